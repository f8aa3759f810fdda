//! Shared setup for the fuzz targets: one fixed integration context, and a split of the fuzzer's
//! bytes into a header-like prefix and a body, so targets that take headers fuzz both.

use std::collections::BTreeMap;

use tocsin_core::inbound::IntegrationContext;

/// A context like a configured integration's; fixed so a crash reproduces from its input alone.
pub fn ctx() -> IntegrationContext {
    let severity_map = [
        ("critical", "SEV-1"),
        ("error", "SEV-2"),
        ("warning", "SEV-3"),
    ]
    .into_iter()
    .map(|(word, id)| (word.to_string(), id.to_string()))
    .collect::<BTreeMap<_, _>>();
    IntegrationContext {
        id: "fuzz".into(),
        severity: Some("SEV-2".into()),
        severity_map,
        severity_label: None,
        category: Some("backend".into()),
        component: Some("api".into()),
        runbook: None,
        now: jiff::Timestamp::from_second(1_772_366_400).unwrap_or(jiff::Timestamp::UNIX_EPOCH),
    }
}

/// Splits at the first newline: the first line is a header value (lossy UTF-8), the rest the body.
pub fn split(data: &[u8]) -> (String, &[u8]) {
    match data.iter().position(|&b| b == b'\n') {
        Some(at) => (
            String::from_utf8_lossy(data.get(..at).unwrap_or_default()).into_owned(),
            data.get(at + 1..).unwrap_or_default(),
        ),
        None => (String::new(), data),
    }
}
