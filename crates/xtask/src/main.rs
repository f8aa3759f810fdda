//! `cargo run -p xtask -- <task>`: `config-reference [--check]` writes (or checks)
//! docs/reference/configuration.md; `tidy [ROOT]` lists house-rule violations (of the workspace
//! at ROOT, by default this one).

use std::io::Write;
use std::process::ExitCode;

use xtask::{config_reference, tidy, workspace_root};

const USAGE: &str = "usage: cargo run -p xtask -- config-reference [--check] | tidy [ROOT]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["config-reference"] => config_reference_task(false),
        ["config-reference", "--check"] => config_reference_task(true),
        ["tidy"] => tidy_task(&workspace_root()),
        ["tidy", root] => tidy_task(std::path::Path::new(root)),
        _ => {
            say(USAGE);
            ExitCode::from(2)
        }
    }
}

/// Writes a line to standard error (the tasks' only output).
fn say(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

fn config_reference_task(check: bool) -> ExitCode {
    let root = workspace_root();
    let text = match config_reference::render(&root) {
        Ok(text) => text,
        Err(problems) => {
            say(&problems.to_string());
            return ExitCode::FAILURE;
        }
    };
    let path = root.join(config_reference::PATH);
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if check {
        if current == text {
            return ExitCode::SUCCESS;
        }
        say(config_reference::STALE);
        return ExitCode::FAILURE;
    }
    if current == text {
        say(&format!("{} is up to date", config_reference::PATH));
        return ExitCode::SUCCESS;
    }
    let written = path
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(&path, &text));
    match written {
        Ok(()) => {
            say(&format!("wrote {}", config_reference::PATH));
            ExitCode::SUCCESS
        }
        Err(error) => {
            say(&format!("cannot write {}: {error}", path.display()));
            ExitCode::FAILURE
        }
    }
}

fn tidy_task(root: &std::path::Path) -> ExitCode {
    let findings = tidy::check(root);
    for finding in &findings {
        say(&finding.to_string());
    }
    if findings.is_empty() {
        say("tidy: no findings");
        ExitCode::SUCCESS
    } else {
        say(&format!("tidy: {} finding(s)", findings.len()));
        ExitCode::FAILURE
    }
}
