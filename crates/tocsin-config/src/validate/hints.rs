//! Wording helpers: typo suggestions, duration messages, id checks, and id sets.

use std::collections::HashSet;

use tocsin_core::DurationError;

use crate::spans::parent;

/// The table that owns a value: `monitor[3]` for `monitor[3].severity`, and for a list item
/// (`severity[0].notify[1]`) the table holding the list.
pub(crate) fn owner_table(path: &str) -> &str {
    let list = if path.ends_with(']') {
        parent(path)
    } else {
        path
    };
    parent(list)
}

/// A set of ids, in definition order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Known {
    pub ids: Vec<String>,
    set: HashSet<String>,
}

impl Known {
    pub fn insert(&mut self, id: impl Into<String>) {
        let id = id.into();
        if self.set.insert(id.clone()) {
            self.ids.push(id);
        }
    }

    pub fn contains(&self, id: &str) -> bool {
        self.set.contains(id)
    }
}

impl<S: Into<String>> FromIterator<S> for Known {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut known = Known::default();
        for id in iter {
            known.insert(id);
        }
        known
    }
}

/// The closest candidate, when it is close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(
    value: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = value.to_lowercase();
    let limit = (value.chars().count() / 3).max(1);
    candidates
        .filter_map(|candidate| {
            let distance = if candidate.to_lowercase() == lower {
                0
            } else {
                strsim::damerau_levenshtein(value, candidate)
            };
            (distance <= limit && !only_numbers_differ(value, candidate))
                .then_some((distance, candidate))
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// `SEV-1` and `SEV-2` are different things, not a typo of one another.
fn only_numbers_differ(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    a.len() == b.len()
        && a != b
        && a.iter()
            .zip(&b)
            .all(|(x, y)| x == y || (x.is_ascii_digit() && y.is_ascii_digit()))
}

pub(crate) fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

pub(crate) fn suggest_id(id: &str) -> String {
    let mut out = String::new();
    for c in id.trim().chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '_' | '.') {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-').to_owned();
    if out.is_empty() {
        "my-id".to_owned()
    } else {
        out
    }
}

/// The message and help for a refused duration, naming the text as written.
pub(crate) fn duration_message(text: &str, error: &DurationError) -> (String, String) {
    const UNITS: &str = "use a number and one of the units ms, s, m, h, d, w";
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if compact != text.trim() {
        // "15 minutes": diagnose it without the spaces, and name the text as written.
        return match tocsin_core::parse_duration(&compact) {
            Ok(_) => (
                format!("`{text}` has a space in it"),
                format!("write it without spaces: \"{compact}\""),
            ),
            Err(inner) => {
                let (message, help) = duration_message(&compact, &inner);
                (
                    message.replacen(&format!("`{compact}`"), &format!("`{text}`"), 1),
                    help,
                )
            }
        };
    }
    match error {
        DurationError::Empty => (
            "the duration is empty".to_owned(),
            format!("{UNITS}, like \"30s\" or \"15m\""),
        ),
        DurationError::NoNumber(_) => (
            format!("`{text}` has no number"),
            format!("{UNITS}, like \"30s\" or \"15m\""),
        ),
        DurationError::NoUnit(_) => (
            format!("`{text}` has no unit"),
            format!(
                "write the unit after the number, like \"{}s\" or \"{}m\"",
                text.trim(),
                text.trim()
            ),
        ),
        DurationError::UnknownUnit { unit, .. } => {
            let short = match unit.to_lowercase().as_str() {
                "msec" | "msecs" | "millis" | "millisecond" | "milliseconds" => Some("ms"),
                "sec" | "secs" | "second" | "seconds" => Some("s"),
                "min" | "mins" | "minute" | "minutes" => Some("m"),
                "hr" | "hrs" | "hour" | "hours" => Some("h"),
                "day" | "days" => Some("d"),
                "wk" | "wks" | "week" | "weeks" => Some("w"),
                _ => None,
            };
            let help = match short {
                Some(short) => format!(
                    "{UNITS}: write \"{}\"",
                    text.trim().replacen(unit.as_str(), short, 1)
                ),
                None => format!("{UNITS}, like \"15m\""),
            };
            (format!("`{text}` has unknown unit `{unit}`"), help)
        }
        DurationError::Overflow(_) => (
            format!("`{text}` is too large"),
            "use a smaller duration".to_owned(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_ids_are_not_typos_of_each_other() {
        let severities = ["SEV-1", "SEV-2"];
        assert_eq!(
            did_you_mean("SEV1", severities.iter().copied()),
            Some("SEV-1")
        );
        assert_eq!(did_you_mean("SEV-5", severities.iter().copied()), None);
    }

    #[test]
    fn suggestions_only_when_close() {
        let keys = ["interval", "timeout", "confirm"];
        assert_eq!(
            did_you_mean("intervall", keys.iter().copied()),
            Some("interval")
        );
        assert_eq!(
            did_you_mean("timout", keys.iter().copied()),
            Some("timeout")
        );
        assert_eq!(did_you_mean("colour", keys.iter().copied()), None);
        assert_eq!(
            did_you_mean("sev-1", ["SEV-1"].iter().copied()),
            Some("SEV-1")
        );
    }

    #[test]
    fn duration_messages_name_the_text_as_written() {
        let error = tocsin_core::parse_duration("15 minutes").unwrap_err();
        let (message, help) = duration_message("15 minutes", &error);
        assert_eq!(message, "`15 minutes` has unknown unit `minutes`");
        assert!(help.ends_with("write \"15m\""), "{help}");
        let error = tocsin_core::parse_duration("15 m").unwrap_err();
        assert_eq!(
            duration_message("15 m", &error).0,
            "`15 m` has a space in it"
        );
    }

    #[test]
    fn owners_of_list_items_are_their_tables() {
        assert_eq!(owner_table("monitor[3].severity"), "monitor[3]");
        assert_eq!(owner_table("severity[0].notify[1]"), "severity[0]");
        assert_eq!(
            owner_table("escalation[0].steps[1].targets[0]"),
            "escalation[0].steps[1]"
        );
        assert_eq!(owner_table("drill.report_to"), "drill");
    }

    #[test]
    fn ids_are_checked_and_suggested() {
        assert!(valid_id("SEV-1"));
        assert!(valid_id("api-health"));
        assert!(!valid_id("api health"));
        assert!(!valid_id("-x"));
        assert_eq!(suggest_id("API Health"), "api-health");
    }
}
