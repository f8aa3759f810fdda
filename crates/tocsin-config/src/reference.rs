//! The loader's own key lists, for generating `docs/reference/configuration.md`
//! (`cargo run -p xtask -- config-reference`). They are the lists the loader checks documents
//! against, so the reference cannot list a key the loader refuses or miss one it accepts.
//!
//! Not a stable API: it exists for the workspace's `xtask`.

use crate::validate::{channels, extras, integrations, monitors, tickets};

/// The keys of the table at `shape`, in declaration order: `""` for the top level (the
/// sections), `"monitor"`, `"schedule.rotation"`, … `None` for free-form tables (`headers`,
/// `severity_map`), scalars and unknown shapes.
pub fn table_keys(shape: &str) -> Option<&'static [&'static str]> {
    crate::schema::keys_at(shape, false)
}

/// The keys of a runbook's front matter.
pub fn front_matter_keys() -> &'static [&'static str] {
    crate::schema::keys_at("", true).unwrap_or(&[])
}

/// The names of the `{{ … }}` directives a runbook may use.
pub fn directives() -> &'static [&'static str] {
    &crate::runbook::DIRECTIVES
}

/// For a section whose tables have a `type` (`monitor`, `channel`, `integration`, `action`):
/// each type, in order, with every key a table of that type accepts (including `id` and
/// `type`; keys of a sub-table as `expect.status`). `None` for other sections.
pub fn types_of(section: &str) -> Option<Vec<(&'static str, Vec<&'static str>)>> {
    Some(match section {
        "monitor" => monitors::TYPES
            .iter()
            .map(|(kind, _)| (*kind, monitors::allowed_keys(kind)))
            .collect(),
        "channel" => channels::TYPES
            .iter()
            .map(|kind| (*kind, channels::allowed_keys(kind).to_vec()))
            .collect(),
        "integration" => integrations::TYPES
            .iter()
            .map(|(kind, _, _)| (*kind, integrations::allowed_keys(kind)))
            .collect(),
        "action" => extras::ACTION_TYPES
            .iter()
            .map(|kind| (*kind, extras::action_keys(kind).to_vec()))
            .collect(),
        "tickets" => ["github", "webhook"]
            .iter()
            .map(|kind| (*kind, tickets::allowed_keys(kind).to_vec()))
            .collect(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_of_a_typed_section_belongs_to_a_type() {
        for section in ["monitor", "channel", "integration", "action"] {
            let types = types_of(section).expect("typed");
            let keys = table_keys(section).expect("a table");
            for key in keys {
                let used = types.iter().any(|(_, allowed)| {
                    allowed
                        .iter()
                        .any(|k| k == key || k.starts_with(&format!("{key}.")))
                });
                assert!(used, "{section}.{key} belongs to no type");
            }
            for (kind, allowed) in &types {
                for key in allowed {
                    let top = key.split('.').next().unwrap_or(key);
                    assert!(keys.contains(&top), "{section} type {kind}: {key}");
                    if let Some((table, sub)) = key.split_once('.') {
                        let sub_keys = table_keys(&format!("{section}.{table}")).expect("a table");
                        assert!(sub_keys.contains(&sub), "{section} type {kind}: {key}");
                    }
                }
            }
        }
        assert!(types_of("server").is_none());
    }
}
