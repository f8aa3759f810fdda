//! Where things are: an index from a key path (`monitor[3].interval`) to the spans of its key and
//! value, and the conversion of byte offsets into 1-based line:column.

use std::collections::HashMap;
use std::ops::Range;
use std::path::PathBuf;

use toml::de::{DeTable, DeValue};

/// A file's text, for turning byte offsets into lines and columns.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    pub file: PathBuf,
    text: String,
    /// Offset of the parsed part inside `text` (a runbook's front matter starts after `+++`).
    base: usize,
    line_starts: Vec<usize>,
}

impl Source {
    pub fn new(file: PathBuf, text: &str, base: usize) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(at, _)| at + 1));
        Self {
            file,
            text: text.to_owned(),
            base,
            line_starts,
        }
    }

    /// 1-based line and column (in characters) of an offset into the parsed part.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        self.absolute_position(self.base + offset)
    }

    /// 1-based line and column (in characters) of an offset into the whole file.
    pub fn absolute_position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let start = self
            .line_starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(0);
        let column = match self.text.get(start..offset) {
            Some(prefix) => prefix.chars().count(),
            None => offset - start,
        };
        (line.max(1), column + 1)
    }

    /// The parsed part's text at a span (used to point inside a string value).
    pub fn slice(&self, span: &Range<usize>) -> &str {
        self.text
            .get(self.base + span.start..self.base + span.end)
            .unwrap_or("")
    }
}

/// What kind of TOML value sits at a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    String,
    Integer,
    Float,
    Boolean,
    Datetime,
    Array,
    Table,
}

impl Kind {
    pub fn of(value: &DeValue<'_>) -> Kind {
        match value {
            DeValue::String(_) => Kind::String,
            DeValue::Integer(_) => Kind::Integer,
            DeValue::Float(_) => Kind::Float,
            DeValue::Boolean(_) => Kind::Boolean,
            DeValue::Datetime(_) => Kind::Datetime,
            DeValue::Array(_) => Kind::Array,
            DeValue::Table(_) => Kind::Table,
        }
    }

    /// "a string", "an integer", ... for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Kind::String => "a string",
            Kind::Integer => "an integer",
            Kind::Float => "a float",
            Kind::Boolean => "a boolean",
            Kind::Datetime => "a date/time",
            Kind::Array => "an array",
            Kind::Table => "a table",
        }
    }
}

/// One key (or array item) of the document.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// The key's span; `None` for array items.
    pub key: Option<Range<usize>>,
    /// The value's span; for a `[[table]]` item or a `[table]` it is the header.
    pub value: Range<usize>,
    pub kind: Kind,
    /// The value, when it is a string (after `${}` expansion).
    pub text: Option<String>,
    /// The keys of a table, in no particular order.
    pub keys: Vec<String>,
}

/// Every path of a document, with its spans.
#[derive(Debug, Clone, Default)]
pub(crate) struct SpanIndex {
    entries: HashMap<String, Entry>,
    root_keys: Vec<String>,
}

impl SpanIndex {
    pub fn build(root: &DeTable<'_>) -> Self {
        let mut index = SpanIndex {
            root_keys: root.keys().map(|key| key.get_ref().to_string()).collect(),
            ..SpanIndex::default()
        };
        for (key, value) in root.iter() {
            let path = join_key("", key.get_ref());
            index.add(path, Some(key.span()), value.span(), value.get_ref());
        }
        index
    }

    fn add(
        &mut self,
        path: String,
        key: Option<Range<usize>>,
        span: Range<usize>,
        value: &DeValue<'_>,
    ) {
        let mut keys = Vec::new();
        match value {
            DeValue::Table(table) => {
                for (child_key, child) in table.iter() {
                    keys.push(child_key.get_ref().to_string());
                    let child_path = join_key(&path, child_key.get_ref());
                    self.add(
                        child_path,
                        Some(child_key.span()),
                        child.span(),
                        child.get_ref(),
                    );
                }
            }
            DeValue::Array(items) => {
                for (at, item) in items.iter().enumerate() {
                    self.add(join_index(&path, at), None, item.span(), item.get_ref());
                }
            }
            _ => {}
        }
        let text = value.as_str().map(str::to_owned);
        let entry = Entry {
            key,
            value: span,
            kind: Kind::of(value),
            text,
            keys,
        };
        self.entries.insert(path, entry);
    }

    pub fn get(&self, path: &str) -> Option<&Entry> {
        self.entries.get(path)
    }

    /// The string value at a path, if there is one.
    pub fn text(&self, path: &str) -> Option<&str> {
        self.get(path).and_then(|entry| entry.text.as_deref())
    }

    /// The keys present in the table at `path` (the document's top level for "").
    pub fn keys(&self, path: &str) -> Vec<String> {
        if path.is_empty() {
            return self.root_keys.clone();
        }
        self.get(path)
            .map(|entry| entry.keys.clone())
            .unwrap_or_default()
    }

    /// Every table path with its keys (array items included), for tests over a whole document.
    #[cfg(test)]
    pub fn tables(&self) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = self
            .entries
            .iter()
            .filter(|(_, entry)| entry.kind == Kind::Table)
            .map(|(path, entry)| (path.clone(), entry.keys.clone()))
            .collect();
        out.push((String::new(), self.root_keys.clone()));
        out.sort();
        out
    }
}

/// `parent.key`, quoting the key when it is not a bare TOML key.
pub(crate) fn join_key(parent: &str, key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let key = if bare {
        key.to_owned()
    } else {
        format!("{key:?}")
    };
    if parent.is_empty() {
        key
    } else {
        format!("{parent}.{key}")
    }
}

/// `parent[index]`.
pub(crate) fn join_index(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

/// The parent of a path (`monitor[3]` for `monitor[3].interval`, "" for `server`).
pub(crate) fn parent(path: &str) -> &str {
    let cut = path.rfind(['.', '[']).unwrap_or(0);
    path.get(..cut).unwrap_or("")
}

/// A path with its array indexes removed (`monitor.expect` for `monitor[3].expect`).
pub(crate) fn shape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => in_index = true,
            ']' => in_index = false,
            c if !in_index => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let source = Source::new(PathBuf::from("x"), "ab\nنص = 1\n", 0);
        assert_eq!(source.position(0), (1, 1));
        assert_eq!(source.position(3), (2, 1));
        // "نص " is 5 bytes, 3 characters: `=` is in column 4.
        assert_eq!(source.position(8), (2, 4));
    }

    #[test]
    fn paths_join_and_split() {
        assert_eq!(join_key("", "server"), "server");
        assert_eq!(join_key("a", "X-Api Key"), "a.\"X-Api Key\"");
        assert_eq!(parent("monitor[3].interval"), "monitor[3]");
        assert_eq!(parent("monitor[3]"), "monitor");
        assert_eq!(parent("server"), "");
        assert_eq!(
            shape("escalation[0].steps[1].targets"),
            "escalation.steps.targets"
        );
    }
}
