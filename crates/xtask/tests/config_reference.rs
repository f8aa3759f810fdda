//! docs/reference/configuration.md is generated from the configuration types; this fails when
//! the committed file is not what the generator writes today.

use std::path::Path;

use xtask::config_reference::{PATH, STALE, render};
use xtask::workspace_root;

#[test]
fn the_configuration_reference_is_up_to_date() {
    let root = workspace_root();
    let generated = render(&root).unwrap_or_else(|problems| panic!("{problems}"));
    let committed = std::fs::read_to_string(root.join(PATH)).unwrap_or_default();
    assert!(committed == generated, "{STALE}");
}

#[test]
fn sections_follow_the_example_file() {
    // The reference lists sections in the loader's order; the contract file must agree.
    let root = workspace_root();
    let generated = render(&root).unwrap_or_else(|problems| panic!("{problems}"));
    let example = std::fs::read_to_string(root.join("spec/tocsin.example.toml"))
        .unwrap_or_else(|error| panic!("spec/tocsin.example.toml: {error}"));
    let mut in_example = Vec::new();
    for line in example.lines() {
        let header = line.trim();
        if !header.starts_with('[') {
            continue;
        }
        let name = header.trim_matches(|c| c == '[' || c == ']');
        let section = name.split('.').next().unwrap_or(name).to_owned();
        if !in_example.contains(&section) {
            in_example.push(section);
        }
    }
    let in_reference: Vec<String> = generated
        .lines()
        .filter_map(|line| line.strip_prefix("## `"))
        .map(|header| {
            header
                .trim_matches(|c| c == '[' || c == ']' || c == '`')
                .to_owned()
        })
        .filter(|section| in_example.contains(section))
        .collect();
    assert_eq!(in_reference, in_example);
    assert!(Path::new(PATH).is_relative());
}
