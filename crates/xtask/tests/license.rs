//! The LICENSE file is the licence the workspace manifest declares, so a reader of the
//! repository and `cargo metadata` (and `cargo deny`) see the same terms.

#[test]
fn the_license_file_is_the_one_the_manifest_names() {
    let root = xtask::workspace_root();
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("Cargo.toml");
    let declared = manifest
        .lines()
        .find_map(|line| line.strip_prefix("license = "))
        .map(|value| value.trim().trim_matches('"').to_owned())
        .expect("[workspace.package] declares a license");
    let text = std::fs::read_to_string(root.join("LICENSE")).expect("a LICENSE file at the root");
    let heading: Vec<&str> = text.split_whitespace().take(4).collect();
    let found = match heading.as_slice() {
        ["Apache", "License", "Version", "2.0,"] => "Apache-2.0",
        ["MIT", "License", ..] => "MIT",
        _ => "an unrecognised licence",
    };
    assert_eq!(
        found, declared,
        "LICENSE holds {found}, while Cargo.toml declares {declared}"
    );
    assert!(
        text.contains("END OF TERMS AND CONDITIONS"),
        "LICENSE is the licence's whole text"
    );
}
