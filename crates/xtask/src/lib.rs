//! xtask: the repository's chores, as code. `cargo run -p xtask -- config-reference` regenerates
//! docs/reference/configuration.md from the configuration types; `cargo run -p xtask -- tidy`
//! runs the house-rule checks that `tests/tidy.rs` enforces.

pub mod config_reference;
pub mod module_graph;
pub mod tidy;

use std::path::{Path, PathBuf};

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}
