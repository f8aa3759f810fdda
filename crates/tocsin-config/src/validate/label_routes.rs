//! `[[route]]`s with `match = { label = "value" | "~regex" }`: their matchers compiled at load (a
//! bad regex is an error naming the route's key), their references checked like a category
//! route's. A label route has no `category`.

use tocsin_core::matcher::{MatcherError, Matchers};

use super::Names;
use super::ctx::Ctx;
use crate::field::Field;
use crate::label_route::LabelRoute;
use crate::raw::RawRoute;
use crate::spans::{join_index, join_key};

pub(super) fn label_routes(
    ctx: &mut Ctx,
    raw: &Field<Vec<RawRoute>>,
    names: &Names,
) -> Vec<LabelRoute> {
    let mut out = Vec::new();
    for (item, raw) in ctx.items(raw, "route") {
        if !raw.matches.is_present() {
            continue;
        }
        let key = |name: &str| join_key(&item, name);
        if raw.category.is_present() {
            ctx.error(
                &key("category"),
                "a route with `match` has no `category`",
                Some(
                    "label routes match on labels; drop `category`, or make this a category route without `match`"
                        .to_owned(),
                ),
            );
        }
        let matchers = ctx
            .get(&raw.matches, &key("match"))
            .and_then(|text| match Matchers::parse(&text) {
                Ok(matchers) => Some(matchers),
                Err(error) => {
                    let (path, help) = match &error {
                        MatcherError::BadRegex { label, .. } => (
                            join_key(&key("match"), label),
                            "a value starting with `~` is a regular expression (Rust `regex` syntax), matched against the whole label value",
                        ),
                        MatcherError::Empty => (
                            key("match"),
                            "name at least one label, like `match = { service = \"checkout\" }`",
                        ),
                        _ => (key("match"), "like `match = { service = \"checkout\" }`"),
                    };
                    ctx.error(&path, format!("bad [[route]] `match`: {error}"), Some(help.to_owned()));
                    None
                }
            });
        let title = ctx.get(&raw.title, &key("title"));
        let escalation = ctx.get(&raw.escalation, &key("escalation"));
        if let Some(escalation) = &escalation {
            ctx.reference(
                escalation,
                &key("escalation"),
                "escalation",
                "[[escalation]]",
                &names.escalations,
            );
        }
        let call = ctx.get(&raw.call, &key("call")).unwrap_or_default();
        for (at, contact) in call.iter().enumerate() {
            ctx.reference(
                contact,
                &join_index(&key("call"), at),
                "contact",
                "[[contact]]",
                &names.contacts,
            );
        }
        let runbook = ctx.get(&raw.runbook, &key("runbook"));
        if let Some(runbook) = &runbook {
            ctx.reference(
                runbook,
                &key("runbook"),
                "runbook",
                "runbook",
                &names.runbooks,
            );
        }
        if let Some(matchers) = matchers {
            let title = title.unwrap_or_else(|| {
                matchers
                    .text()
                    .iter()
                    .map(|(label, value)| format!("{label}={value}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            });
            out.push(LabelRoute {
                matchers,
                title,
                escalation,
                call,
                runbook,
            });
        }
    }
    out
}
