//! Reading a doc comment's conventions: its sentences, a `Required` or `Default …` sentence, a
//! `` `[section]`: `` or `` `type = "x"`: `` lead; and writing markdown table cells.

/// Whether a key must be written, or what it is when left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Requirement {
    Required,
    Default(String),
    Optional,
}

impl Requirement {
    pub fn cell(&self) -> String {
        match self {
            Requirement::Required => "required".to_owned(),
            Requirement::Default(value) => format!("default: {value}"),
            Requirement::Optional => "optional".to_owned(),
        }
    }
}

/// Splits a doc into sentences: each ends with `.` (or `?`, `!`) followed by a space or the
/// end, outside backticks.
pub(crate) fn sentences(doc: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut in_code = false;
    let mut chars = doc.chars().peekable();
    while let Some(c) = chars.next() {
        current.push(c);
        if c == '`' {
            in_code = !in_code;
        }
        let ends = !in_code
            && matches!(c, '.' | '?' | '!')
            && chars.peek().is_none_or(|next| next.is_whitespace());
        if ends {
            out.push(current.trim().to_owned());
            current.clear();
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_owned());
    }
    out
}

/// A key's requirement, read from its doc, and the doc without the sentence that said it.
///
/// The convention: a sentence starting with `Required` (`Required.`, `Required and unique.`,
/// `Required, at least one.`) marks a required key; one starting with `Default` gives the value
/// used when the key is left out (`Default "10s".`, `Default: the id.`). A doc that mentions a
/// default without such a sentence is refused, so the column cannot silently say "optional".
pub(crate) fn requirement(doc: &str) -> Result<(Requirement, String), String> {
    let mut requirement = Requirement::Optional;
    let mut kept = Vec::new();
    for sentence in sentences(doc) {
        if let Some(rest) = sentence.strip_prefix("Required") {
            if requirement != Requirement::Optional {
                return Err("says `Required` twice, or with a `Default`".to_owned());
            }
            requirement = Requirement::Required;
            let clause = [" and ", ", ", "; "]
                .iter()
                .find_map(|joint| rest.strip_prefix(joint));
            if let Some(rest) = clause {
                kept.push(capitalize(rest));
            } else if rest != "." {
                kept.push(sentence);
            }
        } else if let Some(rest) = sentence.strip_prefix("Default") {
            if requirement != Requirement::Optional {
                return Err("says `Default` twice, or with `Required`".to_owned());
            }
            let value = rest.trim_start_matches(':').trim();
            let value = value.strip_suffix('.').unwrap_or(value);
            if value.is_empty() {
                return Err("has a `Default` sentence without a value".to_owned());
            }
            requirement = Requirement::Default(value.to_owned());
        } else {
            kept.push(sentence);
        }
    }
    if requirement == Requirement::Optional && doc.to_lowercase().contains("default") {
        return Err(
            "mentions a default but has no sentence starting with `Default`, like \
             `Default \"10s\".`"
                .to_owned(),
        );
    }
    Ok((requirement, kept.join(" ")))
}

/// Splits `` `lead`: rest `` into the code span's text and the rest, capitalized.
pub(crate) fn lead(doc: &str) -> Option<(&str, String)> {
    let inner = doc.strip_prefix('`')?;
    let close = inner.find("`: ")?;
    Some((&inner[..close], capitalize(&inner[close + 3..])))
}

/// The first code span of `text` if it is a quoted string (`` `"full"` ``), with its quotes.
pub(crate) fn quoted_value(text: &str) -> Option<&str> {
    let inner = text.strip_prefix("`\"")?;
    let close = inner.find("\"`")?;
    Some(&text[..close + 4])
}

pub(crate) fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Text made safe for a markdown table cell.
pub(crate) fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_sentences_outside_code() {
        assert_eq!(
            sentences("Like `\"a.b. c\"`. Default `\"1.5s\"`."),
            vec!["Like `\"a.b. c\"`.", "Default `\"1.5s\"`."]
        );
        assert_eq!(sentences("No period"), vec!["No period"]);
    }

    #[test]
    fn reads_requirements() {
        assert_eq!(
            requirement("Identifier. Required and unique."),
            Ok((Requirement::Required, "Identifier. Unique.".to_owned()))
        );
        assert_eq!(
            requirement("The steps. Required, at least one."),
            Ok((Requirement::Required, "The steps. At least one.".to_owned()))
        );
        assert_eq!(
            requirement("Time. Default `\"10s\"`, or the `interval` when shorter."),
            Ok((
                Requirement::Default("`\"10s\"`, or the `interval` when shorter".to_owned()),
                "Time.".to_owned()
            ))
        );
        assert_eq!(
            requirement("Name. Default: the id."),
            Ok((
                Requirement::Default("the id".to_owned()),
                "Name.".to_owned()
            ))
        );
        assert_eq!(
            requirement("Time. Required; heartbeats take `every`."),
            Ok((
                Requirement::Required,
                "Time. Heartbeats take `every`.".to_owned()
            ))
        );
        assert_eq!(
            requirement("A role."),
            Ok((Requirement::Optional, "A role.".to_owned()))
        );
        assert!(requirement("Port (default 53).").is_err());
        assert!(requirement("Required. Default 1.").is_err());
    }

    #[test]
    fn reads_leads_and_values() {
        assert_eq!(
            lead("`[server]`: where it listens."),
            Some(("[server]", "Where it listens.".to_owned()))
        );
        assert_eq!(
            lead("`type = \"tcp\"`: a connection."),
            Some(("type = \"tcp\"", "A connection.".to_owned()))
        );
        assert_eq!(lead("No lead."), None);
        assert_eq!(quoted_value("`\"full\"`: fsync."), Some("`\"full\"`"));
        assert_eq!(quoted_value("Plain."), None);
        assert_eq!(cell("a | b"), "a \\| b");
    }
}
