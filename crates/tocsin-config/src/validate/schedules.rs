//! `[[schedule]]`: a `rotation`, or `layers` of rotations with their days and daily windows.

use std::collections::HashMap;
use std::time::Duration;

use jiff::civil::Weekday;

use super::Names;
use super::core::time_zone;
use super::ctx::Ctx;
use super::people::{pageable, weekly_time};
use crate::field::Field;
use crate::people::{Handoff, Layer, Rotation, Schedule, parse_time, parse_weekday};
use crate::raw::{RawLayer, RawRotation, RawSchedule};
use crate::spans::{join_index, join_key};

const WEEK: Duration = Duration::from_secs(7 * 86_400);

pub(super) fn schedules(
    ctx: &mut Ctx,
    raw: &Field<Vec<RawSchedule>>,
    names: &Names,
    org_timezone: &str,
) -> Vec<Schedule> {
    let mut seen = HashMap::new();
    let mut out = Vec::new();
    for (item, raw) in ctx.items(raw, "schedule") {
        let key = |name: &str| join_key(&item, name);
        let id = ctx.id(&raw.id, &item);
        if let Some(id) = &id {
            ctx.unique(&mut seen, id, &key("id"), "[[schedule]]");
        }
        let label = id.clone().unwrap_or_else(|| item.clone());
        let timezone = match ctx.get(&raw.timezone, &key("timezone")) {
            Some(zone) => {
                time_zone(ctx, &zone, &key("timezone"));
                zone
            }
            None => org_timezone.to_owned(),
        };
        let (rotation, layers) = match (raw.rotation.is_present(), raw.layers.is_present()) {
            (true, true) => {
                ctx.error_key(
                    &key("layers"),
                    format!("schedule `{label}` has both `rotation` and `layers`"),
                    Some(
                        "keep one: a `rotation` is a schedule of one layer, so move it into \
                         `layers` or drop `layers`"
                            .to_owned(),
                    ),
                );
                continue;
            }
            (false, false) => {
                ctx.error(
                    &item,
                    format!("schedule `{label}` has neither `rotation` nor `layers`"),
                    Some(
                        "add `rotation = { members = [\"...\"], every = \"1w\", handoff = \"sun \
                         09:00\" }`, or `layers = [...]` for several"
                            .to_owned(),
                    ),
                );
                continue;
            }
            (true, false) => {
                let Some(rotation) = rotation(ctx, &raw.rotation, &key("rotation"), names) else {
                    continue;
                };
                let layer = Layer::always(&rotation);
                (Some(rotation), vec![layer])
            }
            (false, true) => {
                let Some(layers) = layers(ctx, &raw.layers, &key("layers"), names) else {
                    continue;
                };
                (None, layers)
            }
        };
        if let Some(id) = id {
            out.push(Schedule {
                id,
                timezone,
                rotation,
                layers,
            });
        }
    }
    out
}

/// `rotation = { members, every, handoff }`.
fn rotation(
    ctx: &mut Ctx,
    raw: &Field<RawRotation>,
    path: &str,
    names: &Names,
) -> Option<Rotation> {
    let rotation = ctx.section(raw, path)?;
    let members = members(ctx, &rotation.members, &join_key(path, "members"), names);
    let every = ctx.require_duration(&rotation.every, &join_key(path, "every"), "1w");
    let handoff_path = join_key(path, "handoff");
    let handoff = ctx
        .require(&rotation.handoff, &handoff_path, "\"sun 09:00\"")
        .and_then(|text| weekly_time(ctx, &text, &handoff_path));
    Some(Rotation {
        members: members?,
        every: every?,
        handoff: handoff?,
    })
}

/// `layers = [{ members, every, handoff, days, until }, …]`; `None` when any layer is wrong.
fn layers(
    ctx: &mut Ctx,
    raw: &Field<Vec<RawLayer>>,
    path: &str,
    names: &Names,
) -> Option<Vec<Layer>> {
    if raw.ok().is_some_and(Vec::is_empty) {
        ctx.error(
            path,
            "`layers` is empty",
            Some(
                "add a layer, like `{ members = [\"...\"], every = \"1w\", handoff = \"sun 09:00\" }`"
                    .to_owned(),
            ),
        );
        return None;
    }
    let items = ctx.items(raw, path);
    if items.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    let mut complete = true;
    for (item, raw) in items {
        match layer(ctx, raw, &item, names) {
            Some(layer) => out.push(layer),
            None => complete = false,
        }
    }
    complete.then_some(out)
}

fn layer(ctx: &mut Ctx, raw: &RawLayer, path: &str, names: &Names) -> Option<Layer> {
    let key = |name: &str| join_key(path, name);
    let members = members(ctx, &raw.members, &key("members"), names);
    let every = ctx.require_duration(&raw.every, &key("every"), "1d");
    let handoff = ctx
        .require(&raw.handoff, &key("handoff"), "\"09:00\"")
        .and_then(|text| handoff(ctx, &text, &key("handoff")));
    let mut valid = true;
    if let (Some(every), Some(Handoff { weekday: None, .. })) = (every, handoff)
        && every >= WEEK
    {
        ctx.error(
            &key("handoff"),
            "a hand-off without a day needs an `every` shorter than a week",
            Some("write the day too, like \"sun 09:00\"".to_owned()),
        );
        valid = false;
    }
    // `None` inside: not written; `None` outside: written wrong (and reported).
    let days = match ctx.get(&raw.days, &key("days")) {
        Some(days) => weekdays(ctx, &days, &key("days")).map(Some),
        None => Some(None),
    };
    let until = match ctx.get(&raw.until, &key("until")) {
        Some(text) => until(ctx, &text, &key("until"), handoff).map(Some),
        None => Some(None),
    };
    if !valid {
        return None;
    }
    Some(Layer {
        members: members?,
        every: every?,
        handoff: handoff?,
        days: days?,
        until: until?,
    })
}

/// The members of a rotation or layer: at least one, each a contact who can be paged.
fn members(
    ctx: &mut Ctx,
    raw: &Field<Vec<String>>,
    path: &str,
    names: &Names,
) -> Option<Vec<String>> {
    let members = ctx.require(raw, path, "[\"...\"]");
    if members.as_ref().is_some_and(Vec::is_empty) {
        ctx.error(
            path,
            "`members` is empty",
            Some("list the contact ids who take turns on call".to_owned()),
        );
    }
    for (at, member) in members.iter().flatten().enumerate() {
        pageable(ctx, member, &join_index(path, at), names);
    }
    members
}

/// Parses `"sun 09:00"` or `"09:00"`; reports another text.
fn handoff(ctx: &mut Ctx, text: &str, path: &str) -> Option<Handoff> {
    let parsed = Handoff::parse(text);
    if parsed.is_none() {
        ctx.error(
            path,
            format!("`{text}` is not a hand-off time"),
            Some(
                "write a 24-hour time, like \"09:00\", or a weekday and a time, like \"sun 09:00\""
                    .to_owned(),
            ),
        );
    }
    parsed
}

/// `days = ["sun", "mon", …]`: at least one, each a day name, none twice.
fn weekdays(ctx: &mut Ctx, days: &[String], path: &str) -> Option<Vec<Weekday>> {
    if days.is_empty() {
        ctx.error(
            path,
            "`days` is empty",
            Some(
                "list the days the layer is on call, or leave `days` out for every day".to_owned(),
            ),
        );
        return None;
    }
    let mut out = Vec::new();
    let mut valid = true;
    for (at, day) in days.iter().enumerate() {
        let item = join_index(path, at);
        match parse_weekday(day) {
            Some(weekday) if out.contains(&weekday) => {
                ctx.error(
                    &item,
                    format!("`{day}` is listed twice in `days`"),
                    Some("list each day once".to_owned()),
                );
                valid = false;
            }
            Some(weekday) => out.push(weekday),
            None => {
                ctx.error(
                    &item,
                    format!("`{day}` is not a day of the week"),
                    Some("write a day name, like \"mon\" or \"sunday\"".to_owned()),
                );
                valid = false;
            }
        }
    }
    valid.then_some(out)
}

/// `until = "17:00"`: a time of day other than the hand-off's.
fn until(
    ctx: &mut Ctx,
    text: &str,
    path: &str,
    handoff: Option<Handoff>,
) -> Option<jiff::civil::Time> {
    let Some(time) = parse_time(text.trim()) else {
        ctx.error(
            path,
            format!("`{text}` is not a time of day"),
            Some("write a 24-hour time, like \"17:00\"".to_owned()),
        );
        return None;
    };
    if handoff.is_some_and(|handoff| handoff.time == time) {
        ctx.error(
            path,
            format!("`until` is the hand-off time, {text}: each window would be a whole day"),
            Some("leave `until` out for windows from one day's hand-off to the next".to_owned()),
        );
        return None;
    }
    Some(time)
}
