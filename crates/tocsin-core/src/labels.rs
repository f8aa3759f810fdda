//! A signal's labels: the name → value pairs its source attached (Alertmanager's labels,
//! PagerDuty's component and custom details, Sentry's tags, a monitor's id), which label routes
//! and silences match on. Bounded in count and length, so an alert storm of huge label sets
//! cannot grow memory or the stored rows without limit.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// At most this many labels are kept per signal (the first by name).
pub const MAX_LABELS: usize = 64;
/// A label name longer than this is dropped (names are identifiers, not text).
pub const MAX_NAME: usize = 128;
/// A value longer than this is cut at a character boundary.
pub const MAX_VALUE: usize = 512;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Labels(BTreeMap<String, String>);

impl Labels {
    /// The labels of `pairs`, bounded: empty and over-long names dropped, values cut, at most
    /// [`MAX_LABELS`] kept. A later pair with the same name wins.
    pub fn bounded<N, V>(pairs: impl IntoIterator<Item = (N, V)>) -> Self
    where
        N: Into<String>,
        V: Into<String>,
    {
        let mut map = BTreeMap::new();
        for (name, value) in pairs {
            let name: String = name.into();
            if name.is_empty() || name.len() > MAX_NAME {
                continue;
            }
            let value = cut(value.into());
            // Past the cap only a name already kept may change: which names are kept does not
            // depend on how many the source sent after them.
            if map.len() >= MAX_LABELS && !map.contains_key(&name) {
                continue;
            }
            map.insert(name, value);
        }
        Labels(map)
    }

    /// Adds one label (bounded like [`Labels::bounded`]) unless the name is already set.
    pub fn add_default(&mut self, name: &str, value: &str) {
        if self.0.contains_key(name) || name.is_empty() || name.len() > MAX_NAME {
            return;
        }
        if self.0.len() < MAX_LABELS {
            self.0.insert(name.to_owned(), cut(value.to_owned()));
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

fn cut(mut value: String) -> String {
    if value.len() > MAX_VALUE {
        let mut end = MAX_VALUE;
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        value.truncate(end);
    }
    value
}

/// The string-valued members of a JSON object as labels (numbers and booleans as their text;
/// nested objects and arrays are not labels).
pub fn from_json_object(value: Option<&serde_json::Value>) -> Vec<(String, String)> {
    let Some(serde_json::Value::Object(map)) = value else {
        return Vec::new();
    };
    map.iter()
        .filter_map(|(name, value)| {
            let text = match value {
                serde_json::Value::String(text) => text.clone(),
                serde_json::Value::Number(number) => number.to_string(),
                serde_json::Value::Bool(flag) => flag.to_string(),
                _ => return None,
            };
            Some((name.clone(), text))
        })
        .collect()
}

/// Sentry's `tags`: an array of `[key, value]` pairs (or `{key, value}` objects).
pub fn from_tag_pairs(value: Option<&serde_json::Value>) -> Vec<(String, String)> {
    let Some(serde_json::Value::Array(tags)) = value else {
        return Vec::new();
    };
    tags.iter()
        .filter_map(|tag| match tag {
            serde_json::Value::Array(pair) => match (pair.first(), pair.get(1)) {
                (Some(serde_json::Value::String(k)), Some(serde_json::Value::String(v))) => {
                    Some((k.clone(), v.clone()))
                }
                _ => None,
            },
            serde_json::Value::Object(object) => match (object.get("key"), object.get("value")) {
                (Some(serde_json::Value::String(k)), Some(serde_json::Value::String(v))) => {
                    Some((k.clone(), v.clone()))
                }
                _ => None,
            },
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_bounded_in_count_and_length() {
        let many = (0..1000).map(|n| (format!("l{n:04}"), "v".repeat(10_000)));
        let labels = Labels::bounded(many);
        assert_eq!(labels.len(), MAX_LABELS);
        assert!(labels.iter().all(|(_, value)| value.len() == MAX_VALUE));
        assert_eq!(labels.get("l0000").map(str::len), Some(MAX_VALUE));
        let odd = Labels::bounded([("x".repeat(200), "a"), (String::new(), "b")]);
        assert!(odd.is_empty());
        // A cut never splits a character.
        let arabic = Labels::bounded([("t", "ع".repeat(400))]);
        assert!(
            arabic
                .get("t")
                .is_some_and(|v| v.len() <= MAX_VALUE && v.chars().all(|c| c == 'ع'))
        );
    }
}
