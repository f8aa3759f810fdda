//! The knowledge base of common issues: runbooks ranked against a text (a search, or an
//! incident's alert text) by a score a person can follow.
//!
//! The score: each `match` rule of the runbook found in the text (case-insensitive substring)
//! counts 5; each distinct word of the text found in the title counts 3, in `likely_cause` 3,
//! in the body 1. Words are lowercase runs of letters and digits, at least two long, minus a few
//! filler words. Ties go to the runbook first in file order.

use std::collections::BTreeSet;

use crate::runbook::Runbook;

/// One runbook that matched, its score and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit<'a> {
    /// The runbook.
    pub runbook: &'a Runbook,
    /// Its score (see the module's documentation).
    pub score: u32,
    /// What matched: `match "404"`, `title: deploy`, …
    pub reasons: Vec<String>,
}

const FILLER: [&str; 16] = [
    "the", "a", "an", "is", "of", "to", "in", "on", "and", "or", "for", "it", "at", "be", "by",
    "with",
];

fn words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|word| word.chars().count() >= 2 && !FILLER.contains(&word.as_str()))
        .collect()
}

/// Scores one runbook against `text`.
pub fn score<'a>(runbook: &'a Runbook, text: &str) -> Hit<'a> {
    let lower = text.to_lowercase();
    let query = words(text);
    let mut score = 0;
    let mut reasons = Vec::new();
    for rule in &runbook.match_rules {
        let rule_lower = rule.to_lowercase();
        if !rule_lower.trim().is_empty() && lower.contains(rule_lower.trim()) {
            score += 5;
            reasons.push(format!("match \"{rule}\""));
        }
    }
    let fields: [(&str, u32, BTreeSet<String>); 3] = [
        ("title", 3, words(&runbook.title)),
        (
            "likely cause",
            3,
            words(runbook.likely_cause.as_deref().unwrap_or("")),
        ),
        ("text", 1, words(&runbook.body)),
    ];
    for (name, weight, field) in &fields {
        let shared: Vec<&String> = query.intersection(field).collect();
        if !shared.is_empty() {
            score += weight * u32::try_from(shared.len()).unwrap_or(u32::MAX);
            reasons.push(format!(
                "{name}: {}",
                shared
                    .iter()
                    .map(|word| word.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    Hit {
        runbook,
        score,
        reasons,
    }
}

/// Every runbook matching `text` at all, best first.
pub fn search<'a>(runbooks: &'a [Runbook], text: &str) -> Vec<Hit<'a>> {
    let mut hits: Vec<Hit<'a>> = runbooks
        .iter()
        .map(|runbook| score(runbook, text))
        .filter(|hit| hit.score > 0)
        .collect();
    // A stable sort keeps file order among equal scores.
    hits.sort_by_key(|hit| std::cmp::Reverse(hit.score));
    hits
}

/// The common issues (runbooks with a `likely_cause` or `match` rules) an incident's text
/// suggests: at most `limit`, each matching a rule or scoring at least 6 (two title or cause
/// words) — a single shared body word is not a suggestion.
pub fn suggest<'a>(runbooks: &'a [Runbook], text: &str, limit: usize) -> Vec<Hit<'a>> {
    search(runbooks, text)
        .into_iter()
        .filter(|hit| hit.runbook.likely_cause.is_some() || !hit.runbook.match_rules.is_empty())
        .filter(|hit| hit.reasons.iter().any(|r| r.starts_with("match")) || hit.score >= 6)
        .take(limit)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runbook(id: &str, title: &str, cause: Option<&str>, rules: &[&str], body: &str) -> Runbook {
        Runbook {
            id: id.into(),
            title: title.into(),
            likely_cause: cause.map(Into::into),
            severity: None,
            match_rules: rules.iter().map(|r| (*r).into()).collect(),
            body: body.into(),
            path: format!("{id}.md").into(),
            directives: vec![],
        }
    }

    #[test]
    fn match_rules_outrank_shared_words() {
        let books = [
            runbook(
                "db",
                "Database connection refused",
                Some("DATABASE_URL wrong or the Postgres add-on is down."),
                &[],
                "Check the database.",
            ),
            runbook(
                "404",
                "/api/v1/* returns 404",
                Some("Deploy failed or wrong start command."),
                &["404", "/api/v1"],
                "Check the deploy.",
            ),
        ];
        let hits = search(&books, "GET /api/v1/deals answered 404");
        assert_eq!(hits[0].runbook.id, "404");
        assert!(hits[0].reasons.contains(&"match \"404\"".to_owned()));
        let hits = search(&books, "connection refused by database");
        assert_eq!(hits[0].runbook.id, "db");
        // title: database, connection, refused; likely cause: database (DATABASE_URL); text: database.
        assert_eq!(hits[0].score, 3 * 3 + 3 + 1);
    }

    #[test]
    fn suggestions_need_a_rule_or_a_strong_overlap() {
        let books = [runbook(
            "db",
            "Database connection refused",
            Some("Postgres is down."),
            &[],
            "Check the hosting dashboard.",
        )];
        assert!(suggest(&books, "dashboard slow", 3).is_empty());
        assert_eq!(suggest(&books, "database connection lost", 3).len(), 1);
    }
}
