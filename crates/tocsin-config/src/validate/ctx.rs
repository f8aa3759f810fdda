//! The validation context of one file: where a path is, how a table is described, and how a
//! problem is reported at the right line:column.

use std::collections::HashSet;

use crate::error::ConfigError;
use crate::spans::{Source, SpanIndex, join_key, parent};

/// One file being validated.
#[derive(Debug)]
pub(crate) struct Ctx {
    pub src: Source,
    pub index: SpanIndex,
    /// True for a runbook's front matter (changes how tables are described).
    pub front_matter: bool,
    /// Paths whose `${}` expansion failed: already reported, so not checked further.
    pub poisoned: HashSet<String>,
    pub errors: Vec<ConfigError>,
    /// What `tocsin check` reports without refusing the configuration.
    pub warnings: Vec<ConfigError>,
    /// The secret values `${}` expansions put in (files' contents, secret-named variables), to
    /// be redacted wherever they show.
    pub expanded_secrets: Vec<tocsin_core::Secret>,
}

/// The last segment of a path: the key a message talks about.
pub(crate) fn key_name(path: &str) -> &str {
    let cut = path.rfind('.').map(|at| at + 1).unwrap_or(0);
    path.get(cut..).unwrap_or(path)
}

impl Ctx {
    pub fn new(src: Source, index: SpanIndex, front_matter: bool) -> Self {
        Self {
            src,
            index,
            front_matter,
            poisoned: HashSet::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
            expanded_secrets: Vec::new(),
        }
    }

    // ── Reporting ───────────────────────────────────────────────────────────────────────────

    /// Reports a problem at a byte offset of the parsed text.
    pub fn error_at(&mut self, offset: usize, message: impl Into<String>, help: Option<String>) {
        let (line, column) = self.src.position(offset);
        self.push(line, column, message.into(), help);
    }

    /// Reports a problem at a byte offset of the whole file.
    pub fn error_at_absolute(&mut self, offset: usize, message: String, help: Option<String>) {
        let (line, column) = self.src.absolute_position(offset);
        self.push(line, column, message, help);
    }

    fn push(&mut self, line: usize, column: usize, message: String, help: Option<String>) {
        self.errors.push(ConfigError {
            file: self.src.file.clone(),
            line,
            column,
            message,
            help,
        });
    }

    /// The offset of a path's value, or of the nearest enclosing table that exists.
    pub fn value_offset(&self, path: &str) -> usize {
        let mut at = path;
        loop {
            if let Some(entry) = self.index.get(at) {
                return entry.value.start;
            }
            if at.is_empty() {
                return 0;
            }
            at = parent(at);
        }
    }

    /// The offset of a path's key (its value's when it has no key of its own).
    pub fn key_offset(&self, path: &str) -> usize {
        match self.index.get(path).and_then(|entry| entry.key.clone()) {
            Some(key) => key.start,
            None => self.value_offset(path),
        }
    }

    /// Reports a problem with the value at `path`.
    pub fn error(
        &mut self,
        path: &str,
        message: impl Into<String>,
        help: impl Into<Option<String>>,
    ) {
        let offset = self.value_offset(path);
        self.error_at(offset, message, help.into());
    }

    /// Reports something worth knowing about the value at `path` that does not stop tocsin.
    pub fn warn(&mut self, path: &str, message: impl Into<String>, help: Option<String>) {
        let (line, column) = self.src.position(self.value_offset(path));
        self.warnings.push(ConfigError {
            file: self.src.file.clone(),
            line,
            column,
            message: message.into(),
            help,
        });
    }

    /// Reports a problem with the key at `path`.
    pub fn error_key(
        &mut self,
        path: &str,
        message: impl Into<String>,
        help: impl Into<Option<String>>,
    ) {
        let offset = self.key_offset(path);
        self.error_at(offset, message, help.into());
    }

    /// Reports a problem with a part of the string value at `path`, pointing at that part when
    /// it can be found in the source text.
    pub fn error_in_string(
        &mut self,
        path: &str,
        part: &str,
        message: String,
        help: Option<String>,
    ) {
        let offset = match self.index.get(path) {
            Some(entry) => {
                let written = self.src.slice(&entry.value);
                let inside = if part.is_empty() {
                    None
                } else {
                    written.find(part)
                };
                entry.value.start + inside.unwrap_or(0)
            }
            None => self.value_offset(path),
        };
        self.error_at(offset, message, help);
    }

    /// The environment variables a string value was written with (`${NAME}`, `${NAME:-x}`), in
    /// order, so an error about the expanded value can say which variable to change.
    pub fn variables_in(&self, path: &str) -> Vec<String> {
        let Some(entry) = self.index.get(path) else {
            return Vec::new();
        };
        let written = self.src.slice(&entry.value);
        let mut names = Vec::new();
        let mut rest = written;
        while let Some(open) = rest.find("${") {
            let after = &rest[open + 2..];
            // `${file:/path}` is named with its path; `${NAME:-default}` by its name.
            let end = if after.starts_with("file:") {
                after.find('}').unwrap_or(after.len())
            } else {
                after.find(['}', ':']).unwrap_or(after.len())
            };
            let name = &after[..end];
            if !name.is_empty() && !names.iter().any(|known| known == name) {
                names.push(name.to_owned());
            }
            rest = &after[end..];
        }
        names
    }

    /// `value` as an error may echo it: URL credentials and the secrets `${}` expansions put in
    /// replaced by `[redacted]`.
    pub fn shown(&self, value: &str) -> String {
        tocsin_core::redact::Redactor::new(
            self.expanded_secrets
                .iter()
                .map(|secret| secret.expose().to_owned()),
        )
        .scrub(value)
    }

    /// The 1-based line of a path's value, for "the first is at line N".
    pub fn line_of(&self, path: &str) -> usize {
        self.src.position(self.value_offset(path)).0
    }

    /// "[[monitor]] (`api-health`)", "[server]", "`expect` of [[monitor]] (`api-health`)", ...
    pub fn describe(&self, table: &str) -> String {
        if self.front_matter {
            return if table.is_empty() {
                "the front matter".to_owned()
            } else {
                format!("`{table}` of the front matter")
            };
        }
        if table.is_empty() {
            return "the top level".to_owned();
        }
        let top_end = table.find('.').unwrap_or(table.len());
        let top_name_end = table.find(['.', '[']).unwrap_or(table.len());
        let name = &table[..top_name_end];
        let (top, rest) = match table[top_name_end..].strip_prefix('[') {
            Some(after) => {
                let close = after
                    .find(']')
                    .map(|at| top_name_end + at + 2)
                    .unwrap_or(top_end);
                (&table[..close], table.get(close..).unwrap_or(""))
            }
            None => (name, &table[top_name_end..]),
        };
        let head = if top.len() > name.len() {
            format!("[[{name}]]{}", self.label(top))
        } else {
            format!("[{name}]")
        };
        let rest = rest.trim_start_matches('.');
        if rest.is_empty() {
            return head;
        }
        let mut words = String::new();
        for part in rest.split('.') {
            if !words.is_empty() {
                words.push('.');
            }
            match part.split_once('[') {
                Some((key, index)) => {
                    let number = index.trim_end_matches(']').parse::<usize>().unwrap_or(0) + 1;
                    words.push_str(&format!("`{key}` item {number}"));
                }
                None => words.push_str(&format!("`{part}`")),
            }
        }
        format!("{words} of {head}")
    }

    /// " (`id`)" for an array item: its id, a route's category, or its position.
    fn label(&self, item: &str) -> String {
        let text = |key: &str| self.index.text(&join_key(item, key)).map(str::to_owned);
        if let Some(id) = text("id") {
            return match text("locale") {
                Some(locale) if item.starts_with("template[") => format!(" (`{id}`, {locale})"),
                _ => format!(" (`{id}`)"),
            };
        }
        if let Some(category) = text("category").filter(|_| item.starts_with("route[")) {
            return format!(" (category `{category}`)");
        }
        let number = item
            .rsplit_once('[')
            .and_then(|(_, index)| index.trim_end_matches(']').parse::<usize>().ok())
            .map(|index| index + 1)
            .unwrap_or(1);
        format!(" #{number}")
    }
}
