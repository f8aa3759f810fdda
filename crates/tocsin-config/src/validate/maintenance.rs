//! `[[maintenance]]`: windows during which covered monitors do not page.

use std::collections::HashMap;
use std::time::Duration;

use jiff::Timestamp;

use super::Names;
use super::ctx::Ctx;
use crate::cron::Cron;
use crate::field::Field;
use crate::maintenance::{Maintenance, MaintenanceWhen};
use crate::raw::RawMaintenance;
use crate::spans::{join_index, join_key};

/// The longest recurring window: longer ones are better written as one-off windows, and the
/// bound keeps finding the occurrence in force cheap.
const LONGEST: Duration = Duration::from_secs(7 * 86_400);

pub(super) fn windows(
    ctx: &mut Ctx,
    raw: &Field<Vec<RawMaintenance>>,
    names: &Names,
) -> Vec<Maintenance> {
    let mut seen = HashMap::new();
    let mut windows = Vec::new();
    for (item, raw) in ctx.items(raw, "maintenance") {
        let id = ctx.id(&raw.id, &item);
        if let Some(id) = &id {
            ctx.unique(&mut seen, id, &join_key(&item, "id"), "maintenance");
        }
        let title = ctx.get(&raw.title, &join_key(&item, "title"));
        let monitors = references(ctx, &raw.monitors, &item, "monitors", names);
        let components = references(ctx, &raw.components, &item, "components", names);
        if monitors.as_ref().is_some_and(Vec::is_empty)
            && components.as_ref().is_some_and(Vec::is_empty)
        {
            ctx.error(
                &item,
                "this maintenance window covers nothing",
                Some(
                    "add `monitors = [\"...\"]` or `components = [\"...\"]` (a status-page \
                     component covers every monitor of it)"
                        .to_owned(),
                ),
            );
        }
        let when = when(ctx, raw, &item);
        if let (Some(id), Some(monitors), Some(components), Some(when)) =
            (id, monitors, components, when)
        {
            windows.push(Maintenance {
                title: title.unwrap_or_else(|| id.clone()),
                id,
                monitors,
                components,
                when,
            });
        }
    }
    windows
}

/// A list of monitor or component ids, each checked to exist.
fn references(
    ctx: &mut Ctx,
    field: &Field<Vec<String>>,
    item: &str,
    key: &str,
    names: &Names,
) -> Option<Vec<String>> {
    let path = join_key(item, key);
    let ids = if field.is_present() {
        ctx.get(field, &path)?
    } else {
        Vec::new()
    };
    let mut ok = true;
    for (at, id) in ids.iter().enumerate() {
        let entry = join_index(&path, at);
        ok &= match key {
            "monitors" => ctx.reference(id, &entry, "monitor", "[[monitor]]", &names.monitors),
            _ => ctx.reference(
                id,
                &entry,
                "status page component",
                "[status_page] components",
                &names.components,
            ),
        };
    }
    ok.then_some(ids)
}

/// `from` + `until`, or `schedule` + `duration` — one pair, not both, not neither.
fn when(ctx: &mut Ctx, raw: &RawMaintenance, item: &str) -> Option<MaintenanceWhen> {
    let once = raw.from.is_present() || raw.until.is_present();
    let recurring = raw.schedule.is_present() || raw.duration.is_present();
    match (once, recurring) {
        (true, true) => {
            ctx.error(
                &join_key(item, "schedule"),
                "a maintenance window is either one-off (`from`, `until`) or recurring \
                 (`schedule`, `duration`), not both",
                Some("remove one pair; write two windows if you need both".to_owned()),
            );
            None
        }
        (false, false) => {
            ctx.error(
                item,
                "this maintenance window has no time",
                Some(
                    "add `from = 2026-12-01T02:00:00+03:00` and `until = ...` for a one-off \
                     window, or `schedule = \"0 2 * * sun\"` and `duration = \"1h\"` for a \
                     recurring one"
                        .to_owned(),
                ),
            );
            None
        }
        (true, false) => {
            let from = instant(ctx, &raw.from, &join_key(item, "from"));
            let until = instant(ctx, &raw.until, &join_key(item, "until"));
            let (from, until) = (from?, until?);
            if until <= from {
                ctx.error(
                    &join_key(item, "until"),
                    format!("`until` ({until}) is not after `from` ({from})"),
                    Some("a window ends after it starts".to_owned()),
                );
                return None;
            }
            Some(MaintenanceWhen::Once { from, until })
        }
        (false, true) => {
            let schedule_path = join_key(item, "schedule");
            let schedule = ctx
                .require(&raw.schedule, &schedule_path, "\"0 2 * * sun\"")
                .and_then(|text| {
                    Cron::parse(&text)
                        .map_err(|error| ctx.error(&schedule_path, error.message, Some(error.help)))
                        .ok()
                });
            let duration_path = join_key(item, "duration");
            let duration = ctx.require_duration(&raw.duration, &duration_path, "1h");
            if duration.is_some_and(|duration| duration > LONGEST) {
                ctx.error(
                    &duration_path,
                    "a recurring maintenance window lasts at most 7 days",
                    Some("write a longer maintenance as a one-off window (`from`, `until`)".into()),
                );
                return None;
            }
            Some(MaintenanceWhen::Recurring {
                schedule: schedule?,
                duration: duration?,
            })
        }
    }
}

/// A TOML date-time with an offset, as an instant.
fn instant(ctx: &mut Ctx, field: &Field<toml::value::Datetime>, path: &str) -> Option<Timestamp> {
    if !field.is_present() {
        ctx.missing(path, "2026-12-01T02:00:00+03:00");
        return None;
    }
    let value = ctx.get(field, path)?;
    let parsed = (value.date.is_some() && value.time.is_some() && value.offset.is_some())
        .then(|| value.to_string().parse::<Timestamp>().ok())
        .flatten();
    if parsed.is_none() {
        ctx.error(
            path,
            format!("`{value}` is not a date and time with an offset"),
            Some(
                "write it unquoted with its offset, like `2026-12-01T02:00:00+03:00` (or `Z` \
                 for UTC)"
                    .to_owned(),
            ),
        );
    }
    parsed
}
