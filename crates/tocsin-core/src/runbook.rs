//! A runbook's checklist as data: its markdown body as sections of `- [ ]` items, where a section
//! headed "Within N minutes" is a phase with a deadline counted from the incident's start; and
//! which runbook an incident gets. Pure: text in, model out. What happens to a checklist during an
//! incident is [`crate::checklist`].

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

/// A runbook's body as a checklist.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Checklist {
    pub sections: Vec<Section>,
}

/// A `#`/`##`/`###` heading and the checklist items under it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Section {
    pub title: String,
    /// For a phase ("Within 5 minutes"): how long after the incident's start it is due.
    pub within: Option<Duration>,
    pub items: Vec<ChecklistItem>,
}

/// One `- [ ] text` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChecklistItem {
    /// Stable id: a slug of the item's words (directives left out), unique in the runbook.
    pub id: String,
    /// The item's text as written, `{{ ... }}` directives included.
    pub text: String,
    /// 0-based line in the body.
    pub line: usize,
}

impl Checklist {
    /// Every item, in order.
    pub fn items(&self) -> impl Iterator<Item = (&Section, &ChecklistItem)> {
        self.sections
            .iter()
            .flat_map(|section| section.items.iter().map(move |item| (section, item)))
    }

    pub fn item(&self, id: &str) -> Option<&ChecklistItem> {
        self.items()
            .map(|(_, item)| item)
            .find(|item| item.id == id)
    }

    /// The phases (sections with a deadline), with their index among the sections.
    pub fn phases(&self) -> impl Iterator<Item = (usize, &Section, Duration)> {
        self.sections
            .iter()
            .enumerate()
            .filter_map(|(index, section)| section.within.map(|within| (index, section, within)))
    }
}

/// Parses a runbook body as CommonMark with GitHub's task lists: headings start sections (text
/// before the first heading is a section without a title), task-list items (`- [ ] …`,
/// `* [x] …`) are the checklist, and everything else is prose — a `- [ ]` or a `#` inside a
/// code block is text, not an item or a heading. An item's text is its first line as written
/// after the box, `{{ ... }}` directives included.
pub fn parse(body: &str) -> Checklist {
    use pulldown_cmark::{Event, Options, Parser, Tag};
    let mut sections: Vec<Section> = Vec::new();
    let mut used: BTreeMap<String, u32> = BTreeMap::new();
    let parser = Parser::new_ext(body, Options::ENABLE_TASKLISTS).into_offset_iter();
    for (event, range) in parser {
        match event {
            Event::Start(Tag::Heading { .. }) => {
                let title = heading_title(&body[range]);
                sections.push(Section {
                    within: phase_deadline(&title),
                    title,
                    items: Vec::new(),
                });
            }
            Event::TaskListMarker(_) => {
                let rest = &body[range.end..];
                let text = rest[..rest.find('\n').unwrap_or(rest.len())].trim();
                if text.is_empty() {
                    continue;
                }
                if sections.is_empty() {
                    sections.push(Section {
                        title: String::new(),
                        within: None,
                        items: Vec::new(),
                    });
                }
                let base = slug(text);
                let count = used.entry(base.clone()).or_insert(0);
                *count += 1;
                let id = if *count == 1 {
                    base
                } else {
                    format!("{base}-{count}")
                };
                if let Some(section) = sections.last_mut() {
                    section.items.push(ChecklistItem {
                        id,
                        text: text.to_owned(),
                        line: body[..range.start].matches('\n').count(),
                    });
                }
            }
            _ => {}
        }
    }
    Checklist { sections }
}

/// A heading's title as written: an ATX heading (`## Title`) without its `#`s, or a setext
/// heading's (`Title` over `===`) first line.
fn heading_title(source: &str) -> String {
    let first = source.lines().next().unwrap_or_default().trim();
    first.trim_start_matches('#').trim().to_owned()
}

/// "Within 5 minutes", "Within 1 hour", "within 15 min" → the duration; other headings → `None`.
pub fn phase_deadline(title: &str) -> Option<Duration> {
    let lower = title.trim().to_ascii_lowercase();
    let rest = lower.strip_prefix("within")?.trim_start();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let count: u64 = digits.parse().ok()?;
    let unit: String = rest[digits.len()..]
        .trim_start()
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect();
    let seconds = match unit.as_str() {
        "s" | "sec" | "secs" | "second" | "seconds" => 1,
        "m" | "min" | "mins" | "minute" | "minutes" => 60,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600,
        "d" | "day" | "days" => 86_400,
        _ => return None,
    };
    Some(Duration::from_secs(count.checked_mul(seconds)?))
}

/// The item's words without its directives, lowercase ASCII, joined by `-`, at most 8 words.
fn slug(text: &str) -> String {
    let mut plain = String::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        plain.push_str(&rest[..open]);
        rest = rest[open..]
            .find("}}")
            .map_or("", |close| &rest[open + close + 2..]);
    }
    plain.push_str(rest);
    let words: Vec<String> = plain
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .take(8)
        .map(str::to_ascii_lowercase)
        .collect();
    if words.is_empty() {
        "item".to_owned()
    } else {
        words.join("-")
    }
}

/// Which runbook an incident gets, and each runbook's checklist (the part of the configuration
/// the engine needs).
#[derive(Debug, Clone, Default)]
pub struct RunbookPolicy {
    pub checklists: BTreeMap<String, Checklist>,
    /// `[[route]]` category (`*` for the default route) → runbook id.
    pub by_route: BTreeMap<String, String>,
    /// `[[severity]]` id → runbook id.
    pub by_severity: BTreeMap<String, String>,
}

impl RunbookPolicy {
    /// The monitor's or integration's own runbook, else its category's route's (or the `*`
    /// route's), else its severity's.
    pub fn resolve(
        &self,
        own: Option<&str>,
        category: Option<&str>,
        severity: &str,
    ) -> Option<String> {
        if let Some(own) = own {
            return Some(own.to_owned());
        }
        let route = category
            .and_then(|category| self.by_route.get(category))
            .or_else(|| self.by_route.get("*"));
        route.or_else(|| self.by_severity.get(severity)).cloned()
    }
}
