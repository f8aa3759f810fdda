//! `[[contact]]`, `[[schedule]]`, `[[escalation]]` and `[[route]]`.

use std::collections::HashMap;

use jiff::civil::Date;

use super::Names;
use super::ctx::Ctx;
use crate::field::Field;
use crate::people::{
    Contact, ContactMethod, Escalation, EscalationStep, Route, Target, WeeklyTime,
};
use crate::raw::{RawContact, RawEscalation, RawRoute};
use crate::spans::{join_index, join_key};

pub(super) fn contacts(ctx: &mut Ctx, raw: &Field<Vec<RawContact>>, names: &Names) -> Vec<Contact> {
    let mut seen = HashMap::new();
    let mut out = Vec::new();
    for (item, raw) in ctx.items(raw, "contact") {
        let key = |name: &str| join_key(&item, name);
        let id = ctx.id(&raw.id, &item);
        if let Some(id) = &id {
            ctx.unique(&mut seen, id, &key("id"), "[[contact]]");
        }
        let label = id.clone().unwrap_or_default();
        let name = ctx
            .get(&raw.name, &key("name"))
            .unwrap_or_else(|| label.clone());
        let title = ctx.get(&raw.title, &key("title"));
        let email = ctx
            .get(&raw.email, &key("email"))
            .filter(|email| !email.is_empty());
        if let Some(email) = &email
            && !valid_email(email)
        {
            ctx.error(
                &key("email"),
                format!("`{email}` is not an email address"),
                Some("write a plain address, like \"sami@example.com\"".to_owned()),
            );
        }
        let phone = ctx
            .get(&raw.phone, &key("phone"))
            .filter(|phone| !phone.is_empty());
        if let Some(phone) = &phone
            && !valid_phone(phone)
        {
            ctx.error(
                &key("phone"),
                format!("`{phone}` is not a phone number"),
                Some("write it in international form, like \"+966500000000\"".to_owned()),
            );
        }
        let external = ctx.get(&raw.external, &key("external")).unwrap_or(false);
        let methods_path = key("methods");
        let written = ctx.get(&raw.methods, &methods_path).unwrap_or_default();
        if external && !written.is_empty() {
            ctx.error(
                &methods_path,
                format!("external contact `{label}` is never paged, so it cannot have `methods`"),
                Some("remove `methods`, or remove `external = true`".to_owned()),
            );
        }
        let mut methods = Vec::new();
        for (at, method) in written.iter().enumerate() {
            let path = join_index(&methods_path, at);
            if method == "email" {
                if email.is_none() {
                    ctx.error(
                        &path,
                        format!("contact `{label}` is paged by email but has no `email`"),
                        Some("add `email = \"...\"` to this contact".to_owned()),
                    );
                } else if !names.has_smtp {
                    ctx.error(
                        &path,
                        format!(
                            "contact `{label}` is paged by email but there is no [smtp] section"
                        ),
                        Some("add [smtp] with `host` and `from`".to_owned()),
                    );
                }
                methods.push(ContactMethod::Email);
                continue;
            }
            if !ctx.reference(method, &path, "channel", "[[channel]]", &names.channels) {
                continue;
            }
            match names.channel_types.get(method).map(String::as_str) {
                Some("email") => ctx.error(
                    &path,
                    format!("channel `{method}` is an email channel for customers and cannot page a person"),
                    Some("write \"email\" to page this contact by email through [smtp]".to_owned()),
                ),
                Some("slack_app") => ctx.error(
                    &path,
                    format!("slack_app channel `{method}` posts one message per incident and does not page a person"),
                    Some("name it in a severity's `notify`, and give the contact `slack = \"U…\"` to be mentioned and invited".to_owned()),
                ),
                Some("webhook") if phone.is_none() => ctx.error(
                    &path,
                    format!("contact `{label}` is paged through webhook channel `{method}` but has no `phone`"),
                    Some("add `phone = \"+...\"`: the relay gets it as `to`".to_owned()),
                ),
                _ => {}
            }
            methods.push(ContactMethod::Channel(method.clone()));
        }
        let verified_on = ctx
            .get(&raw.verified_on, &key("verified_on"))
            .and_then(|datetime| date(ctx, &datetime, &key("verified_on")));
        let url = ctx.get(&raw.url, &key("url"));
        if let Some(url) = &url {
            ctx.url(url, &key("url"));
        }
        let slack = ctx
            .get(&raw.slack, &key("slack"))
            .filter(|user| !user.is_empty());
        if let Some(user) = &slack
            && !user.chars().all(|c| c.is_ascii_alphanumeric())
        {
            ctx.error(
                &key("slack"),
                format!("`slack` `{user}` is not a Slack user id"),
                Some(
                    "use the member id from their Slack profile (letters and digits, like \"U0123456789\")"
                        .to_owned(),
                ),
            );
        }
        if let Some(id) = id {
            out.push(Contact {
                id,
                name,
                title,
                email,
                phone,
                methods,
                verified_on,
                external,
                url,
                slack,
            });
        }
    }
    out
}

fn date(ctx: &mut Ctx, value: &toml::value::Datetime, path: &str) -> Option<Date> {
    let parsed = match (value.date, value.time) {
        (Some(date), None) => Date::new(
            i16::try_from(date.year).unwrap_or(i16::MAX),
            i8::try_from(date.month).unwrap_or(0),
            i8::try_from(date.day).unwrap_or(0),
        )
        .ok(),
        _ => None,
    };
    if parsed.is_none() {
        ctx.error(
            path,
            format!("`{value}` is not a date"),
            Some("write a date without a time, unquoted, like `2026-11-01`".to_owned()),
        );
    }
    parsed
}

fn valid_email(email: &str) -> bool {
    match email.split_once('@') {
        Some((user, domain)) => {
            !user.is_empty()
                && domain.contains('.')
                && !email.contains(char::is_whitespace)
                && !domain.contains('@')
        }
        None => false,
    }
}

fn valid_phone(phone: &str) -> bool {
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let rest = phone.strip_prefix('+').unwrap_or(phone);
    digits >= 6
        && rest
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')' | '.'))
}

/// Checks that a contact can be paged: known, not external, with a method.
pub(super) fn pageable(ctx: &mut Ctx, contact: &str, path: &str, names: &Names) {
    if !ctx.reference(contact, path, "contact", "[[contact]]", &names.contacts) {
        return;
    }
    if names.external.contains(contact) {
        ctx.error(
            path,
            format!("contact `{contact}` is external and is never paged"),
            Some(
                "page a team member instead; show outside parties with a route's `call`".to_owned(),
            ),
        );
    } else if !names.pageable.contains(contact) {
        ctx.error(
            path,
            format!("contact `{contact}` is paged but has no `methods`"),
            Some(format!(
                "add `methods = [\"email\"]` (or a channel id) to contact `{contact}`"
            )),
        );
    }
}

/// Parses `"sun 09:00"`; reports another text.
pub(super) fn weekly_time(ctx: &mut Ctx, text: &str, path: &str) -> Option<WeeklyTime> {
    let parsed = WeeklyTime::parse(text);
    if parsed.is_none() {
        ctx.error(
            path,
            format!("`{text}` is not a day and time"),
            Some("write a weekday and a 24-hour time, like \"sun 09:00\"".to_owned()),
        );
    }
    parsed
}

pub(super) fn escalations(
    ctx: &mut Ctx,
    raw: &Field<Vec<RawEscalation>>,
    names: &Names,
) -> Vec<Escalation> {
    let mut seen = HashMap::new();
    let mut out = Vec::new();
    for (item, raw) in ctx.items(raw, "escalation") {
        let key = |name: &str| join_key(&item, name);
        let id = ctx.id(&raw.id, &item);
        if let Some(id) = &id {
            ctx.unique(&mut seen, id, &key("id"), "[[escalation]]");
        }
        let repeat = match ctx.get(&raw.repeat, &key("repeat")) {
            Some(repeat) => match u32::try_from(repeat) {
                Ok(repeat) if repeat <= 100 => Some(repeat),
                _ => {
                    ctx.error(
                        &key("repeat"),
                        format!("`repeat` is {repeat}; it must be from 0 to 100"),
                        Some("write how many more times the steps run after the last one, like `repeat = 2`".to_owned()),
                    );
                    None
                }
            },
            None => Some(0),
        };
        let steps_path = key("steps");
        if !raw.steps.is_present() {
            ctx.missing(
                &steps_path,
                "[{ targets = [\"schedule:...\"], after = \"5m\" }]",
            );
        }
        let raw_steps = ctx.items(&raw.steps, &steps_path);
        if raw.steps.ok().is_some_and(Vec::is_empty) {
            ctx.error(
                &steps_path,
                "`steps` is empty",
                Some("add at least one step".to_owned()),
            );
        }
        let mut steps = Some(Vec::new());
        for (step_path, step) in raw_steps {
            let targets_path = join_key(&step_path, "targets");
            let written = ctx.require(&step.targets, &targets_path, "[\"schedule:...\"]");
            if written.as_ref().is_some_and(Vec::is_empty) {
                ctx.error(
                    &targets_path,
                    "`targets` is empty",
                    Some("name who this step pages".to_owned()),
                );
            }
            let mut targets = Vec::new();
            for (at, text) in written.iter().flatten().enumerate() {
                let path = join_index(&targets_path, at);
                if let Some(target) = target(ctx, text, &path, names) {
                    targets.push(target);
                }
            }
            let after = ctx.require_duration(&step.after, &join_key(&step_path, "after"), "5m");
            match (after, written) {
                (Some(after), Some(_)) => {
                    if let Some(steps) = &mut steps {
                        steps.push(EscalationStep { targets, after });
                    }
                }
                _ => steps = None,
            }
        }
        if let (Some(id), Some(repeat), Some(steps)) = (id, repeat, steps) {
            out.push(Escalation { id, repeat, steps });
        }
    }
    out
}

fn target(ctx: &mut Ctx, text: &str, path: &str, names: &Names) -> Option<Target> {
    let Some(target) = Target::parse(text) else {
        let help = if names.contacts.contains(text) {
            format!("did you mean \"contact:{text}\"?")
        } else if names.schedules.contains(text) {
            format!("did you mean \"schedule:{text}\"?")
        } else {
            "write \"schedule:<id>\" or \"contact:<id>\"".to_owned()
        };
        ctx.error(
            path,
            format!("`{text}` is not an escalation target"),
            Some(help),
        );
        return None;
    };
    match &target {
        Target::Schedule(id) => {
            ctx.reference(id, path, "schedule", "[[schedule]]", &names.schedules);
        }
        Target::Contact(id) => pageable(ctx, id, path, names),
    }
    Some(target)
}

pub(super) fn routes(ctx: &mut Ctx, raw: &Field<Vec<RawRoute>>, names: &Names) -> Vec<Route> {
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut out = Vec::new();
    for (item, raw) in ctx.items(raw, "route") {
        // A route with `match` is a label route (`label_routes.rs`).
        if raw.matches.is_present() {
            continue;
        }
        let key = |name: &str| join_key(&item, name);
        let category = ctx.require(&raw.category, &key("category"), "\"backend\"");
        if let Some(category) = &category {
            if let Some(first) = seen.get(category) {
                let line = ctx.line_of(first);
                ctx.error(
                    &key("category"),
                    format!("duplicate [[route]] category `{category}`"),
                    Some(format!("the first is at line {line}; merge the two routes")),
                );
            } else {
                seen.insert(category.clone(), key("category"));
            }
        }
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
        if let Some(category) = category {
            out.push(Route {
                title: title.unwrap_or_else(|| category.clone()),
                category,
                escalation,
                call,
                runbook,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::hints::did_you_mean;

    #[test]
    fn emails_and_phones() {
        assert!(valid_email("sami@dealix.example"));
        assert!(!valid_email("sami"));
        assert!(!valid_email("sami@localhost"));
        assert!(valid_phone("+966500000000"));
        assert!(valid_phone("+1 (555) 010-0000"));
        assert!(!valid_phone("call me"));
    }

    #[test]
    fn suggestion_helper_is_shared() {
        assert_eq!(did_you_mean("samy", ["sami"].iter().copied()), Some("sami"));
    }
}
