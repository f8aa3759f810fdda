//! The valid keys of each table, read from the raw structs themselves (a probe deserializer
//! captures the field list serde passes to `deserialize_struct`), so they cannot drift.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};

use crate::raw::*;

/// The keys serde accepts for `T` (its field names after renaming).
pub(crate) fn fields_of<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    let mut fields = None;
    // The probe always fails once it has seen the field list.
    let _ = T::deserialize(Probe(&mut fields));
    fields.unwrap_or(&[])
}

/// The keys of the table at a path shape (`monitor.expect`; "" for the document's top level).
/// `None` for free-form tables (headers, severity maps), whose keys are data.
pub(crate) fn keys_at(shape: &str, front_matter: bool) -> Option<&'static [&'static str]> {
    if front_matter {
        return (shape.is_empty()).then(fields_of::<RawFrontMatter>);
    }
    Some(match shape {
        "" => fields_of::<RawRoot>(),
        "server" => fields_of::<RawServer>(),
        "org" => fields_of::<RawOrg>(),
        "severity" => fields_of::<RawSeverity>(),
        "contact" => fields_of::<RawContact>(),
        "schedule" => fields_of::<RawSchedule>(),
        "schedule.rotation" => fields_of::<RawRotation>(),
        "schedule.layers" => fields_of::<RawLayer>(),
        "escalation" => fields_of::<RawEscalation>(),
        "escalation.steps" => fields_of::<RawStep>(),
        "route" => fields_of::<RawRoute>(),
        "smtp" => fields_of::<RawSmtp>(),
        "channel" => fields_of::<RawChannel>(),
        "template" => fields_of::<RawTemplate>(),
        "monitor" => fields_of::<RawMonitor>(),
        "monitor.expect" => fields_of::<RawExpect>(),
        "monitor.expect.json" => fields_of::<RawJsonExpect>(),
        "integration" => fields_of::<RawIntegration>(),
        "runbooks" => fields_of::<RawRunbooks>(),
        "status_page" => fields_of::<RawStatusPage>(),
        "status_page.components" => fields_of::<RawComponent>(),
        "postmortem" => fields_of::<RawPostmortem>(),
        "postmortem.review" => fields_of::<RawReview>(),
        "drill" => fields_of::<RawDrill>(),
        "action" => fields_of::<RawAction>(),
        "engine" => fields_of::<RawEngine>(),
        "maintenance" => fields_of::<RawMaintenance>(),
        "watchdog" => fields_of::<RawWatchdog>(),
        "self_monitoring" => fields_of::<RawSelfMonitoring>(),
        "tickets" => fields_of::<RawTickets>(),
        _ => return None,
    })
}

struct Probe<'a>(&'a mut Option<&'static [&'static str]>);

#[derive(Debug)]
struct ProbeDone;

impl fmt::Display for ProbeDone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("probe")
    }
}

impl std::error::Error for ProbeDone {}

impl de::Error for ProbeDone {
    fn custom<T: fmt::Display>(_: T) -> Self {
        ProbeDone
    }
}

impl<'de> Deserializer<'de> for Probe<'_> {
    type Error = ProbeDone;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, ProbeDone> {
        Err(ProbeDone)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, ProbeDone> {
        *self.0 = Some(fields);
        Err(ProbeDone)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_reads_renamed_field_names() {
        let monitor = fields_of::<RawMonitor>();
        assert!(monitor.contains(&"type"));
        assert!(monitor.contains(&"interval"));
        assert!(!monitor.contains(&"kind"));
        assert_eq!(
            fields_of::<RawEngine>(),
            &[
                "reopen_window",
                "grouping_window",
                "integration_rate_limit",
                "probe_concurrency_per_host",
                "keep_raw_checks"
            ]
        );
    }

    #[test]
    fn every_table_of_the_example_has_its_keys_listed() {
        // Drift guard: every table the contract file uses maps to a raw struct whose fields
        // include every key written there (free-form tables excepted).
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../spec/tocsin.example.toml"
        );
        let text = std::fs::read_to_string(path).expect("the example exists");
        let root = toml::de::DeTable::parse(&text).expect("the example parses");
        let index = crate::spans::SpanIndex::build(root.get_ref());
        let free_form = [
            "monitor.headers",
            "integration.severity_map",
            "action.headers",
        ];
        for (path, keys) in index.tables() {
            let shape = crate::spans::shape(&path);
            if free_form.contains(&shape.as_str()) {
                assert!(keys_at(&shape, false).is_none(), "{shape} is free-form");
                continue;
            }
            let known = keys_at(&shape, false).unwrap_or_else(|| panic!("no keys for {shape}"));
            for key in keys {
                assert!(
                    known.contains(&key.as_str()),
                    "`{key}` of {path} is not a known key"
                );
            }
        }
    }
}
