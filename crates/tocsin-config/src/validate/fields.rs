//! Reading raw fields in a [`Ctx`]: present, missing or of the wrong type, and the common value
//! checks (durations, word choices, references, ids, URLs), each reported consistently.

use std::collections::HashMap;
use std::time::Duration;

use super::ctx::{Ctx, key_name};
use super::hints::{Known, did_you_mean, duration_message, owner_table, suggest_id, valid_id};
use crate::field::{Expected, Field, Shape};
use crate::schema::keys_at;
use crate::spans::{Kind, join_index, join_key, parent, shape};

impl Ctx {
    fn is_poisoned(&self, path: &str) -> bool {
        self.poisoned.iter().any(|bad| {
            bad == path
                || bad
                    .strip_prefix(path)
                    .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
        })
    }

    /// The value when present and well typed; reports a wrong type.
    pub fn get<T: Expected + Clone>(&mut self, field: &Field<T>, path: &str) -> Option<T> {
        match field {
            Field::Missing => None,
            Field::Ok(_) if self.is_poisoned(path) => None,
            Field::Ok(value) => Some(value.clone()),
            Field::Wrong(detail) => {
                self.wrong_type(path, T::SHAPE, detail);
                None
            }
        }
    }

    /// Like [`Ctx::get`], and reports a missing key; `example` is a value to show in the help.
    pub fn require<T: Expected + Clone>(
        &mut self,
        field: &Field<T>,
        path: &str,
        example: &str,
    ) -> Option<T> {
        if !field.is_present() {
            self.missing(path, example);
            return None;
        }
        self.get(field, path)
    }

    /// Reports a missing required key at its table.
    pub fn missing(&mut self, path: &str, example: &str) {
        let key = key_name(path);
        let table = parent(path);
        // A misspelt key next to it (`intervall`) is already reported with a suggestion.
        let known = keys_at(&shape(table), self.front_matter).unwrap_or(&[]);
        let misspelt = self.index.keys(table).iter().any(|written| {
            !known.contains(&written.as_str())
                && did_you_mean(written, std::iter::once(key)).is_some()
        });
        if misspelt {
            return;
        }
        let message = format!("missing required key `{key}` in {}", self.describe(table));
        self.error(table, message, Some(format!("add `{key} = {example}`")));
    }

    /// A section's table when present and a table; reports a wrong type.
    pub fn section<'a, T: Expected>(&mut self, field: &'a Field<T>, path: &str) -> Option<&'a T> {
        match field {
            Field::Ok(value) => Some(value),
            Field::Missing => None,
            Field::Wrong(detail) => {
                self.wrong_type(path, T::SHAPE, detail);
                None
            }
        }
    }

    /// The items of an array of tables, each with its path; reports a wrong type.
    pub fn items<'a, T>(&mut self, field: &'a Field<Vec<T>>, name: &str) -> Vec<(String, &'a T)>
    where
        Vec<T>: Expected,
    {
        self.section(field, name)
            .map(|items| {
                items
                    .iter()
                    .enumerate()
                    .map(|(at, item)| (join_index(name, at), item))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn wrong_type(&mut self, path: &str, shape: Shape, detail: &str) {
        let key = key_name(path).to_owned();
        let Some(entry) = self.index.get(path) else {
            self.error(
                path,
                format!("`{key}` has the wrong type: {detail}"),
                Some(shape.help(&key)),
            );
            return;
        };
        let found = entry.kind;
        // Inside a list or a table of strings, point at the first item that is not a string.
        let item_shape = match (shape, found) {
            (Shape::StrArray | Shape::StrOrStrArray, Kind::Array) => Some(Kind::String),
            (Shape::TableArray, Kind::Array) => Some(Kind::Table),
            (Shape::StrMap, Kind::Table) => Some(Kind::String),
            _ => None,
        };
        if let Some(item_kind) = item_shape {
            let children: Vec<String> = if found == Kind::Array {
                (0..)
                    .map(|at| join_index(path, at))
                    .take_while(|p| self.index.get(p).is_some())
                    .collect()
            } else {
                self.index
                    .keys(path)
                    .iter()
                    .map(|k| join_key(path, k))
                    .collect()
            };
            let bad = children.into_iter().find_map(|child| {
                let kind = self.index.get(&child)?.kind;
                (kind != item_kind).then_some((child, kind))
            });
            if let Some((child, kind)) = bad {
                let what = match child.rsplit_once('[') {
                    Some((_, index)) if child.ends_with(']') => {
                        let number = index.trim_end_matches(']').parse::<usize>().unwrap_or(0) + 1;
                        format!("item {number} of `{key}`")
                    }
                    _ => format!("`{key}.{}`", key_name(&child)),
                };
                let message = format!(
                    "{what} must be {}, but it is {}",
                    item_kind.describe(),
                    kind.describe()
                );
                self.error(&child, message, Some(shape.help(&key)));
                return;
            }
        }
        let expected_kind = match shape {
            Shape::Str => Some(Kind::String),
            Shape::Int => Some(Kind::Integer),
            Shape::Bool => Some(Kind::Boolean),
            Shape::Date => Some(Kind::Datetime),
            _ => None,
        };
        if expected_kind == Some(found) {
            self.error(
                path,
                format!("`{key}` is not valid: {detail}"),
                Some(shape.help(&key)),
            );
        } else {
            let message = format!(
                "`{key}` must be {}, but it is {}",
                shape.describe(),
                found.describe()
            );
            self.error(path, message, Some(shape.help(&key)));
        }
    }

    /// A duration; reports a bad one. `positive` refuses zero.
    pub fn duration(
        &mut self,
        field: &Field<String>,
        path: &str,
        positive: bool,
    ) -> Option<Duration> {
        let text = self.get(field, path)?;
        self.parse_duration(&text, path, positive)
    }

    /// A required duration.
    pub fn require_duration(
        &mut self,
        field: &Field<String>,
        path: &str,
        example: &str,
    ) -> Option<Duration> {
        if !field.is_present() {
            self.missing(path, &format!("\"{example}\""));
            return None;
        }
        self.duration(field, path, true)
    }

    pub fn parse_duration(&mut self, text: &str, path: &str, positive: bool) -> Option<Duration> {
        match tocsin_core::parse_duration(text) {
            Ok(duration) if positive && duration.is_zero() => {
                let key = key_name(path);
                self.error(
                    path,
                    format!("`{key}` must be longer than zero"),
                    Some("write a positive duration, like \"30s\" or \"15m\"".to_owned()),
                );
                None
            }
            Ok(duration) => Some(duration),
            Err(error) => {
                let (message, help) = duration_message(text, &error);
                self.error(path, message, Some(help));
                None
            }
        }
    }

    /// One of a fixed set of words; reports another.
    pub fn choice<E: Copy>(
        &mut self,
        field: &Field<String>,
        path: &str,
        options: &[(&str, E)],
    ) -> Option<E> {
        let text = self.get(field, path)?;
        if let Some((_, value)) = options.iter().find(|(name, _)| *name == text) {
            return Some(*value);
        }
        let names: Vec<&str> = options.iter().map(|(name, _)| *name).collect();
        let key = key_name(path);
        let list = names
            .iter()
            .map(|name| format!("\"{name}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let help = match did_you_mean(&text, names.iter().copied()) {
            Some(close) => format!("did you mean \"{close}\"? `{key}` is one of {list}"),
            None => format!("`{key}` is one of {list}"),
        };
        self.error(path, format!("`{text}` is not a valid `{key}`"), Some(help));
        None
    }

    /// Checks that `value` (at `path`) names something of `known`; `what` is its kind
    /// ("severity"), `table` how it is defined ("[[severity]]").
    pub fn reference(
        &mut self,
        value: &str,
        path: &str,
        what: &str,
        table: &str,
        known: &Known,
    ) -> bool {
        if known.contains(value) {
            return true;
        }
        let owner = self.describe(owner_table(path));
        let message = format!("unknown {what} `{value}` in {owner}");
        let help = match did_you_mean(value, known.ids.iter().map(String::as_str)) {
            Some(close) => format!("did you mean `{close}`?"),
            None if known.ids.is_empty() => {
                format!("no {table} is defined; add one with `id = \"{value}\"`")
            }
            None => format!("use one of: {}", known.ids.join(", ")),
        };
        self.error(path, message, Some(help));
        false
    }

    /// Remembers an id; reports it when already seen in `seen`.
    pub fn unique(
        &mut self,
        seen: &mut HashMap<String, String>,
        id: &str,
        path: &str,
        table: &str,
    ) {
        if let Some(first) = seen.get(id) {
            let line = self.line_of(first);
            self.error(
                path,
                format!("duplicate {table} id `{id}`"),
                Some(format!(
                    "the first is at line {line}; ids must be unique, so rename or remove one"
                )),
            );
        } else {
            seen.insert(id.to_owned(), path.to_owned());
        }
    }

    /// A required id, checked for its form.
    pub fn id(&mut self, field: &Field<String>, item: &str) -> Option<String> {
        let path = join_key(item, "id");
        let id = self.require(field, &path, "\"...\"")?;
        if valid_id(&id) {
            Some(id)
        } else {
            self.error(
                &path,
                format!("id `{id}` may hold only letters, digits, `-`, `_` and `.`"),
                Some(format!("write it like `{}`", suggest_id(&id))),
            );
            None
        }
    }

    /// Reports keys present in a table that do not apply to its `type`.
    pub fn only_keys(&mut self, item: &str, allowed: &[&str], what: &str) {
        let known = keys_at(&shape(item), self.front_matter).unwrap_or(&[]);
        for key in self.index.keys(item) {
            // Unknown keys are reported once, as unknown.
            if allowed.contains(&key.as_str()) || !known.contains(&key.as_str()) {
                continue;
            }
            let path = join_key(item, &key);
            self.error_key(
                &path,
                format!("key `{key}` does not apply to {what}"),
                Some(format!(
                    "remove it; the keys of {what} are: {}",
                    allowed.join(", ")
                )),
            );
        }
    }

    /// Checks an `http://` or `https://` URL.
    pub fn url(&mut self, value: &str, path: &str) -> bool {
        let rest = value
            .strip_prefix("http://")
            .or_else(|| value.strip_prefix("https://"));
        let ok = rest.is_some_and(|rest| {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            !host.is_empty() && !rest.contains(char::is_whitespace)
        });
        if !ok {
            let key = key_name(path);
            // The value is echoed without credentials or any secret a `${}` put in: errors end
            // up in CI logs.
            let shown = self.shown(value);
            self.error(
                path,
                format!("`{key}` `{shown}` is not an http:// or https:// URL"),
                Some("write a full URL, like \"https://example.com/path\"".to_owned()),
            );
        }
        ok
    }
}
