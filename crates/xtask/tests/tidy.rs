//! The house rules over every crate's sources (see `xtask::tidy`): module docs first, reasons
//! on `#[ignore]`, no unfinished code shipped.

#[test]
fn the_source_tree_is_tidy() {
    let findings = xtask::tidy::check(&xtask::workspace_root());
    let report: Vec<String> = findings.iter().map(ToString::to_string).collect();
    assert!(
        findings.is_empty(),
        "{} tidy finding(s):\n{}",
        findings.len(),
        report.join("\n")
    );
}
