//! Crate boundaries the compiler cannot hold alone: `tocsin-web` talks to the engine only. Its
//! Cargo.toml has no `tocsin-store`, and since a `dyn Store` reached through `Engine::store()`
//! needs no import, its sources must not call `.store()` either.

use std::fs;
use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn web_reaches_the_store_only_through_the_engine() {
    let web = xtask::workspace_root().join("crates/tocsin-web");
    let manifest = fs::read_to_string(web.join("Cargo.toml")).expect("web's Cargo.toml");
    assert!(
        !manifest.contains("tocsin-store"),
        "tocsin-web depends on tocsin-store again"
    );
    let mut files = Vec::new();
    rust_files(&web.join("src"), &mut files);
    assert!(!files.is_empty());
    let mut found = Vec::new();
    for file in files {
        let text = fs::read_to_string(&file).expect("readable source");
        for (at, line) in text.lines().enumerate() {
            if line.contains(".store()") || line.contains("tocsin_store") {
                found.push(format!("{}:{}: {}", file.display(), at + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "web reaches into the store:\n{}",
        found.join("\n")
    );
}
