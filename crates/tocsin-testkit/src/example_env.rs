//! The variables `spec/tocsin.example.toml` needs, read from `tests/fixtures/example.env` (public
//! test values: the example has no fallbacks for secrets), for every test that loads the example.

use std::path::Path;

/// `NAME=value` pairs of `tests/fixtures/example.env`, in file order.
pub fn example_env() -> Vec<(String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/example.env");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    text.lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}
