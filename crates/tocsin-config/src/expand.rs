//! `${NAME}`, `${NAME:-default}` and `${file:/path}` in string values, applied after parsing so
//! quoting is never broken. The environment is a parameter: nothing here reads the process
//! environment. A `${file:…}` is read from the file system (a relative path from the
//! configuration file's folder), its final line break dropped: how container and systemd secrets
//! are handed over. What an expansion put in that is a secret (every file's content, and every
//! variable whose name says it is one) is kept, so that it can be redacted wherever it shows.

use std::borrow::Cow;
use std::ops::Range;
use std::path::Path;

use toml::de::{DeTable, DeValue};

use crate::spans::{join_index, join_key};

/// Looks a variable up; `None` when it is not set.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Why a `${...}` could not be expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpandError {
    /// Byte offset of the `${` in the string value.
    pub at: usize,
    /// What was wrong.
    pub message: String,
    /// What to do.
    pub help: String,
}

/// Expands every `${NAME}` / `${NAME:-default}` / `${file:/path}` in `input`; `$${` is a literal
/// `${`. A relative file path is read from the working directory.
///
/// The default applies when the variable is unset or empty, as in a POSIX shell.
pub fn expand(input: &str, env: Env<'_>) -> Result<String, Vec<ExpandError>> {
    expand_in(input, env, Path::new(""), None).map(|expanded| expanded.text)
}

/// A string value with its expansions done.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Expanded {
    pub text: String,
    /// What expansions put in that is a secret: a file's content, a secret-named variable.
    pub secrets: Vec<String>,
}

/// The text of a `${file:…}`: the file's content without its final line break.
fn read_secret_file(path: &str, base: &Path) -> std::io::Result<String> {
    let content = std::fs::read_to_string(base.join(path))?;
    Ok(content.trim_end_matches(['\n', '\r']).to_owned())
}

/// [`expand`] with relative `${file:…}` paths read from `base`; `key` (the key the value belongs
/// to) is named in a file's error.
pub(crate) fn expand_in(
    input: &str,
    env: Env<'_>,
    base: &Path,
    key: Option<&str>,
) -> Result<Expanded, Vec<ExpandError>> {
    let mut secrets = Vec::new();
    let mut out = String::with_capacity(input.len());
    let mut errors = Vec::new();
    let mut rest = input;
    let mut offset = 0;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let after = &rest[dollar..];
        if let Some(escaped) = after.strip_prefix("$${") {
            out.push_str("${");
            rest = escaped;
            offset += dollar + 3;
            continue;
        }
        if !after.starts_with("${") {
            out.push('$');
            rest = after.get(1..).unwrap_or("");
            offset += dollar + 1;
            continue;
        }
        let at = offset + dollar;
        let Some(close) = after.find('}') else {
            errors.push(ExpandError {
                at,
                message: "`${` is not closed".to_owned(),
                help: "close it with `}`, or write `$${` for a literal `${`".to_owned(),
            });
            out.push_str(after);
            rest = "";
            break;
        };
        let inner = &after[2..close];
        if let Some(file) = inner.strip_prefix("file:") {
            let file = file.trim();
            let whose = key.map(|key| format!(" for `{key}`")).unwrap_or_default();
            if file.is_empty() {
                errors.push(ExpandError {
                    at,
                    message: format!("`${{file:}}`{whose} names no file"),
                    help: "write the secret file's path, like `${file:/run/secrets/token}`"
                        .to_owned(),
                });
            } else {
                match read_secret_file(file, base) {
                    Ok(content) => {
                        out.push_str(&content);
                        secrets.push(content);
                    }
                    Err(error) => errors.push(ExpandError {
                        at,
                        message: format!(
                            "cannot read the secret file `{}`{whose}: {error}",
                            base.join(file).display()
                        ),
                        help: "create the file with the secret as its content (one final line \
                               break is dropped) and make it readable by tocsin, or fix the path; \
                               a relative path is read from the configuration file's folder"
                            .to_owned(),
                    }),
                }
            }
            rest = &after[close + 1..];
            offset = at + close + 1;
            continue;
        }
        let (name, default) = match inner.split_once(':') {
            Some((name, rest)) => match rest.strip_prefix('-') {
                Some(default) => (name, Some(default)),
                None => {
                    errors.push(ExpandError {
                        at,
                        message: format!("`${{{inner}}}` is not a supported expansion"),
                        help: format!(
                            "write `${{{name}}}`, `${{{name}:-default}}` for a fallback value, or \
                             `${{file:/path}}` to read a secret file"
                        ),
                    });
                    (name, Some(""))
                }
            },
            None => (inner, None),
        };
        if !valid_name(name) {
            errors.push(ExpandError {
                at,
                message: format!("`{name}` is not a valid environment variable name"),
                help: "names are letters, digits and `_`, not starting with a digit; write \
                       `$${` for a literal `${`"
                    .to_owned(),
            });
        } else {
            match (env(name).filter(|value| !value.is_empty()), default) {
                (Some(value), _) => {
                    out.push_str(&value);
                    if tocsin_core::redact::is_secret_name(name) {
                        secrets.push(value);
                    }
                }
                (None, Some(default)) => out.push_str(default),
                (None, None) => match env(name) {
                    Some(empty) => out.push_str(&empty),
                    None => errors.push(ExpandError {
                        at,
                        message: format!("environment variable `{name}` is not set"),
                        help: format!(
                            "set `{name}` in the environment, or give a default: `${{{name}:-value}}`"
                        ),
                    }),
                },
            }
        }
        rest = &after[close + 1..];
        offset = at + close + 1;
    }
    out.push_str(rest);
    if errors.is_empty() {
        Ok(Expanded { text: out, secrets })
    } else {
        Err(errors)
    }
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// An expansion problem in a parsed document: the string value's path and span, and the error.
#[derive(Debug, Clone)]
pub(crate) struct TreeError {
    pub path: String,
    pub span: Range<usize>,
    pub error: ExpandError,
}

/// Where expansions come from, and what they found.
struct Walk<'a, 'e> {
    env: Env<'e>,
    base: &'a Path,
    errors: Vec<TreeError>,
    secrets: Vec<String>,
}

/// Expands every string value of a parsed document in place, relative `${file:…}` paths from
/// `base`. Returns the problems and the secret values expansions put in.
pub(crate) fn expand_tree(
    root: &mut DeTable<'_>,
    env: Env<'_>,
    base: &Path,
) -> (Vec<TreeError>, Vec<String>) {
    let mut walk = Walk {
        env,
        base,
        errors: Vec::new(),
        secrets: Vec::new(),
    };
    for (key, value) in root.iter_mut() {
        let span = value.span();
        let path = join_key("", key.get_ref());
        expand_value(value.get_mut(), &path, span, &mut walk);
    }
    (walk.errors, walk.secrets)
}

fn expand_value(value: &mut DeValue<'_>, path: &str, span: Range<usize>, walk: &mut Walk<'_, '_>) {
    match value {
        DeValue::String(text) => {
            if !text.contains('$') {
                return;
            }
            let key = crate::validate::ctx::key_name(path);
            match expand_in(text, walk.env, walk.base, Some(key)) {
                Ok(expanded) => {
                    *text = Cow::Owned(expanded.text);
                    walk.secrets.extend(expanded.secrets);
                }
                Err(found) => walk.errors.extend(found.into_iter().map(|error| TreeError {
                    path: path.to_owned(),
                    span: span.clone(),
                    error,
                })),
            }
        }
        DeValue::Array(items) => {
            for (at, item) in items.iter_mut().enumerate() {
                let span = item.span();
                expand_value(item.get_mut(), &join_index(path, at), span, walk);
            }
        }
        DeValue::Table(table) => {
            for (key, item) in table.iter_mut() {
                let span = item.span();
                let child = join_key(path, key.get_ref());
                expand_value(item.get_mut(), &child, span, walk);
            }
        }
        DeValue::Integer(_) | DeValue::Float(_) | DeValue::Boolean(_) | DeValue::Datetime(_) => {}
    }
}

/// Where, in the source text of a string value, the `${` at byte `at` of its decoded value is:
/// the n-th `${` of the decoded value is taken to be the n-th one of the source text (escapes
/// before it change lengths, never the count of `${`). Falls back to the value's start.
pub(crate) fn locate(source_text: &str, decoded: &str, at: usize) -> usize {
    let nth = decoded
        .get(..at)
        .map(|before| before.matches("${").count())
        .unwrap_or(0);
    source_text
        .match_indices("${")
        .nth(nth)
        .map(|(offset, _)| offset)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "A" => Some("alpha".to_owned()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn expands_set_variables() {
        assert_eq!(expand("x${A}y", &env).as_deref(), Ok("xalphay"));
        assert_eq!(expand("${A}${A}", &env).as_deref(), Ok("alphaalpha"));
    }

    #[test]
    fn defaults_apply_when_unset_or_empty() {
        assert_eq!(expand("${A:-x}", &env).as_deref(), Ok("alpha"));
        assert_eq!(expand("${B:-x}", &env).as_deref(), Ok("x"));
        assert_eq!(expand("${EMPTY:-x}", &env).as_deref(), Ok("x"));
        assert_eq!(expand("${B:-}", &env).as_deref(), Ok(""));
        assert_eq!(
            expand("${B:-http://h:1/p}/q", &env).as_deref(),
            Ok("http://h:1/p/q")
        );
    }

    #[test]
    fn a_set_but_empty_variable_without_default_is_empty() {
        assert_eq!(expand("[${EMPTY}]", &env).as_deref(), Ok("[]"));
    }

    #[test]
    fn a_missing_variable_is_an_error_naming_it() {
        let errors = expand("ab${MISSING}", &env).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].at, 2);
        assert_eq!(
            errors[0].message,
            "environment variable `MISSING` is not set"
        );
    }

    #[test]
    fn every_missing_variable_is_reported() {
        let errors = expand("${X} and ${Y}", &env).unwrap_err();
        let names: Vec<_> = errors.iter().map(|e| e.at).collect();
        assert_eq!(names, vec![0, 9]);
    }

    #[test]
    fn dollars_and_escapes_are_literal() {
        assert_eq!(
            expand("cost $5, $${A}", &env).as_deref(),
            Ok("cost $5, ${A}")
        );
    }

    #[test]
    fn malformed_expansions_are_errors() {
        assert!(expand("${A", &env).is_err());
        assert!(expand("${1A}", &env).is_err());
        assert!(expand("${A:x}", &env).is_err());
    }

    #[test]
    fn a_file_is_read_without_its_final_line_break_and_kept_as_a_secret() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("token"), "file-secret-value-1\n").expect("write");
        let expanded = expand_in("Bearer ${file:token}", &env, dir.path(), Some("auth"))
            .unwrap_or_else(|_| panic!("expands"));
        assert_eq!(expanded.text, "Bearer file-secret-value-1");
        assert_eq!(expanded.secrets, vec!["file-secret-value-1".to_owned()]);
    }

    #[test]
    fn a_missing_file_is_an_error_naming_the_key_and_the_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let errors = expand_in("${file:/nowhere/x}", &env, dir.path(), Some("secret"))
            .err()
            .expect("an error");
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0]
                .message
                .starts_with("cannot read the secret file `/nowhere/x` for `secret`: "),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn only_secret_named_variables_are_kept_as_secrets() {
        let env = |name: &str| Some(format!("value-of-{name}"));
        let expanded = expand_in("${APP_URL}/${API_TOKEN}", &env, Path::new(""), None)
            .unwrap_or_else(|_| panic!("expands"));
        assert_eq!(expanded.secrets, vec!["value-of-API_TOKEN".to_owned()]);
    }

    #[test]
    fn locates_the_dollar_in_the_source_text() {
        assert_eq!(locate("\"a\\tb ${X}\"", "a\tb ${X}", 4), 6);
        assert_eq!(locate("\"${A} ${X}\"", "${A} ${X}", 5), 6);
    }
}
