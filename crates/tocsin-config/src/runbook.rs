//! Runbooks: markdown files with TOML front matter between `+++` lines, and the `{{ ... }}`
//! directives in their text.

use std::ops::Range;
use std::path::PathBuf;

/// A runbook file from the `[runbooks]` folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Runbook {
    /// Identifier, named by monitors' and integrations' `runbook`. Default: the file name
    /// without `.md`. Unique.
    pub id: String,
    /// Heading, like `"Database connection refused"`. Required.
    pub title: String,
    /// The usual cause, in one line.
    pub likely_cause: Option<String>,
    /// The `[[severity]]` this runbook is for.
    pub severity: Option<String>,
    /// Words and phrases that, found in an incident's alert text, suggest this runbook (with
    /// `likely_cause`, it is a "common issue" of the knowledge base), like `["404", "/api/v1"]`.
    pub match_rules: Vec<String>,
    /// The markdown after the front matter.
    pub body: String,
    /// The file it was read from.
    pub path: PathBuf,
    /// The `{{ ... }}` directives of `body`, in order.
    pub directives: Vec<Directive>,
}

/// A `{{ ... }}` in a runbook's text, replaced by live data when the runbook is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// What it shows.
    pub kind: DirectiveKind,
    /// Byte range of the whole `{{ ... }}` in `body`.
    pub range: Range<usize>,
    /// 1-based line in the file.
    pub line: usize,
    /// 1-based column (in characters) in the file.
    pub column: usize,
}

/// The directives a runbook may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectiveKind {
    /// `{{ monitor "id" }}`: the monitor's current state.
    Monitor(String),
    /// `{{ since "id" }}`: when the monitor's current state began.
    Since(String),
    /// `{{ action "id" }}`: a button running the action.
    Action(String),
    /// `{{ template "id" }}`: the customer template, ready to send.
    Template(String),
    /// `{{ last_change "deploy" }}` or `{{ last_change "merge" }}`: the latest change of that
    /// kind.
    LastChange(ChangeKind),
}

/// A kind of change reported by change integrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// `"deploy"`: a deployment.
    Deploy,
    /// `"merge"`: a merged pull request.
    Merge,
}

/// The names of the directives, for messages.
pub(crate) const DIRECTIVES: [&str; 5] = ["monitor", "since", "action", "template", "last_change"];

/// A runbook file split at its `+++` lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Split<'a> {
    pub front: &'a str,
    /// Offset of `front` in the file.
    pub front_at: usize,
    pub body: &'a str,
    /// Offset of `body` in the file.
    pub body_at: usize,
}

/// Splits a runbook file; `Err` with the offset of the problem and its message and help.
pub(crate) fn split(text: &str) -> Result<Split<'_>, (usize, String, String)> {
    let mut lines = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        lines.push((at, line));
        at += line.len();
    }
    let is_fence = |line: &str| line.trim_end() == "+++";
    match lines.first() {
        Some((_, first)) if is_fence(first) => {}
        _ => {
            return Err((
                0,
                "runbook does not start with a `+++` line".to_owned(),
                "start the file with front matter: `+++`, then `title = \"...\"`, then `+++`"
                    .to_owned(),
            ));
        }
    }
    let front_at = lines[0].1.len();
    let Some((close_at, close)) = lines.iter().skip(1).find(|(_, line)| is_fence(line)) else {
        return Err((
            0,
            "runbook front matter is not closed".to_owned(),
            "end the front matter with a line holding only `+++`".to_owned(),
        ));
    };
    let body_at = close_at + close.len();
    Ok(Split {
        front: text.get(front_at..*close_at).unwrap_or(""),
        front_at,
        body: text.get(body_at..).unwrap_or(""),
        body_at,
    })
}

/// A directive as written: `{{ name "arg" }}`, not yet checked against the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawDirective {
    pub name: String,
    pub arg: String,
    /// Range of the whole `{{ ... }}` in the body.
    pub range: Range<usize>,
    /// Range of the quoted argument in the body.
    pub arg_range: Range<usize>,
}

/// A malformed directive: its offset in the body, message and help.
pub(crate) type DirectiveError = (usize, String, String);

/// Finds the `{{ ... }}` directives of a runbook's body.
pub(crate) fn scan(body: &str) -> (Vec<RawDirective>, Vec<DirectiveError>) {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    let mut from = 0;
    while let Some(open) = body.get(from..).and_then(|rest| rest.find("{{")) {
        let start = from + open;
        let Some(close) = body.get(start..).and_then(|rest| rest.find("}}")) else {
            errors.push((
                start,
                "`{{` is not closed".to_owned(),
                "close the directive with `}}`, like `{{ monitor \"api-health\" }}`".to_owned(),
            ));
            break;
        };
        let end = start + close + 2;
        let inner = body.get(start + 2..start + close).unwrap_or("");
        from = end;
        let trimmed = inner.trim_start();
        let lead = inner.len() - trimmed.len();
        let name: String = trimmed
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let after_name = trimmed.get(name.len()..).unwrap_or("");
        let arg_text = after_name.trim();
        let arg_at =
            start + 2 + lead + name.len() + (after_name.len() - after_name.trim_start().len());
        if name.is_empty() {
            errors.push((
                start,
                format!("`{{{{{inner}}}}}` is not a directive"),
                format!(
                    "write a directive like `{{{{ monitor \"id\" }}}}`; known: {}",
                    DIRECTIVES.join(", ")
                ),
            ));
            continue;
        }
        let quoted = arg_text.len() >= 2
            && arg_text.starts_with('"')
            && arg_text.ends_with('"')
            && !arg_text[1..arg_text.len() - 1].contains('"');
        if !quoted {
            errors.push((
                arg_at.min(end),
                format!("directive `{name}` needs one argument in double quotes"),
                format!("write it like `{{{{ {name} \"id\" }}}}`"),
            ));
            continue;
        }
        found.push(RawDirective {
            name,
            arg: arg_text[1..arg_text.len() - 1].to_owned(),
            range: start..end,
            arg_range: arg_at..arg_at + arg_text.len(),
        });
    }
    (found, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_front_matter_from_the_body() {
        let text = "+++\nid = \"a\"\n+++\n\n## Fix\n";
        let split = split(text).expect("valid");
        assert_eq!(split.front, "id = \"a\"\n");
        assert_eq!(split.front_at, 4);
        assert_eq!(split.body, "\n## Fix\n");
        assert_eq!(&text[split.body_at..], "\n## Fix\n");
    }

    #[test]
    fn refuses_files_without_front_matter() {
        assert!(split("# Title\n").is_err());
        assert!(split("+++\nid = \"a\"\n").is_err());
    }

    #[test]
    fn finds_directives_and_their_arguments() {
        let body = "a {{ monitor \"db\" }} b {{last_change \"deploy\"}}";
        let (found, errors) = scan(body);
        assert!(errors.is_empty());
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].name, "monitor");
        assert_eq!(found[0].arg, "db");
        assert_eq!(&body[found[0].range.clone()], "{{ monitor \"db\" }}");
        assert_eq!(&body[found[0].arg_range.clone()], "\"db\"");
        assert_eq!(found[1].name, "last_change");
        assert_eq!(&body[found[1].arg_range.clone()], "\"deploy\"");
    }

    #[test]
    fn reports_malformed_directives() {
        let (_, errors) = scan("{{ monitor db }} {{ }} {{ since \"x\"");
        assert_eq!(errors.len(), 3);
    }
}
