//! House rules checked over the source tree (`tests/tidy.rs` runs them):
//!
//! - every `.rs` file under `crates/*/src` and `crates/*/tests` starts (first non-empty line)
//!   with a `//!` module doc saying what it is for;
//! - `#[ignore]` always gives its reason on the same line: `#[ignore = "why"]`;
//! - no `todo!(` or `unimplemented!(` in `crates/*/src`.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

// Built from pieces so this file does not trip its own checks.
const IGNORE: &str = concat!("#[", "ignore");
const TODO: &str = concat!("todo", "!(");
const UNIMPLEMENTED: &str = concat!("unimplemented", "!(");

/// One violation: the file (relative to the workspace root), the line (1-based, 0 for the whole
/// file) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub path: PathBuf,
    pub line: usize,
    pub problem: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.path.display(), self.problem)
        } else {
            write!(f, "{}:{}: {}", self.path.display(), self.line, self.problem)
        }
    }
}

/// Every finding under `root` (the workspace root), in path order.
pub fn check(root: &Path) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (path, in_src) in rust_files(root) {
        let Ok(text) = fs::read_to_string(root.join(&path)) else {
            findings.push(Finding {
                path,
                line: 0,
                problem: "cannot be read as UTF-8".to_owned(),
            });
            continue;
        };
        findings.extend(check_file(&path, &text, in_src));
    }
    findings
}

/// The findings of one file; `in_src` when it is under a crate's `src/`.
pub fn check_file(path: &Path, text: &str, in_src: bool) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut found = |line: usize, problem: String| {
        findings.push(Finding {
            path: path.to_path_buf(),
            line,
            problem,
        });
    };
    let first = text.lines().find(|line| !line.trim().is_empty());
    if !first.is_some_and(|line| line.trim_start().starts_with("//!")) {
        found(
            0,
            "does not start with a `//!` module doc saying what the file is for".to_owned(),
        );
    }
    for (at, line) in text.lines().enumerate() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        let mut rest = code;
        while let Some(start) = rest.find(IGNORE) {
            let after = &rest[start + IGNORE.len()..];
            let reason = after.trim_start().strip_prefix('=').map(str::trim_start);
            if !reason.is_some_and(|reason| reason.starts_with('"')) {
                found(
                    at + 1,
                    format!("`{IGNORE}]` without a reason: write `{IGNORE} = \"why\"]`"),
                );
            }
            rest = after;
        }
        if in_src {
            for banned in [TODO, UNIMPLEMENTED] {
                if code.contains(banned) {
                    found(
                        at + 1,
                        format!("`{banned}` in shipped code: finish it, or return an error"),
                    );
                }
            }
        }
    }
    findings
}

/// The `.rs` files under `crates/*/src` and `crates/*/tests`, relative to `root`, sorted, each
/// with whether it is under `src`.
fn rust_files(root: &Path) -> Vec<(PathBuf, bool)> {
    let mut files = Vec::new();
    let Ok(crates) = fs::read_dir(root.join("crates")) else {
        return files;
    };
    for entry in crates.filter_map(Result::ok) {
        let krate = entry.path();
        for (dir, in_src) in [("src", true), ("tests", false)] {
            walk(&krate.join(dir), &mut |path| {
                if let Ok(relative) = path.strip_prefix(root) {
                    files.push((relative.to_path_buf(), in_src));
                }
            });
        }
    }
    files.sort();
    files
}

fn walk(dir: &Path, visit: &mut dyn FnMut(&Path)) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            walk(&path, visit);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            visit(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str, in_src: bool) -> Vec<usize> {
        check_file(Path::new("x.rs"), text, in_src)
            .into_iter()
            .map(|finding| finding.line)
            .collect()
    }

    #[test]
    fn wants_a_module_doc_first() {
        assert_eq!(
            problems("\n//! Doc.\nfn a() {}\n", true),
            Vec::<usize>::new()
        );
        assert_eq!(problems("// Comment.\n//! Doc.\n", true), vec![0]);
        assert_eq!(problems("use x;\n", true), vec![0]);
        assert_eq!(problems("", true), vec![0]);
    }

    #[test]
    fn wants_a_reason_for_ignore() {
        let bare = format!("//! Doc.\n{IGNORE}]\n{IGNORE} = \"slow\"]\n{IGNORE}=\"x\"]\n");
        assert_eq!(problems(&bare, false), vec![2]);
    }

    #[test]
    fn bans_unfinished_code_in_src_only() {
        let text = format!("//! Doc.\nfn a() {{ {TODO}) }}\n// {UNIMPLEMENTED}) in a comment\n");
        assert_eq!(problems(&text, true), vec![2]);
        assert_eq!(problems(&text, false), Vec::<usize>::new());
    }
}
