//! Customer notices end well: a severity that mails customers an opening notice must have the
//! resolution's text too (`<template>-resolved`, in every locale the opening one has), because
//! the opening text is never sent again and resolving would otherwise tell customers nothing.

use std::collections::BTreeSet;

use super::ctx::Ctx;
use crate::channels::{Channel, ChannelKind, Template};
use crate::field::Field;
use crate::raw::RawSeverity;
use crate::spans::{join_index, join_key};

/// Reports each severity `notify` entry naming a customer-facing channel whose template has no
/// `-resolved` counterpart, at that entry's line.
pub(super) fn resolved_templates(
    ctx: &mut Ctx,
    raw: &Field<Vec<RawSeverity>>,
    channels: &[Channel],
    templates: &[Template],
) {
    let locales_of = |id: &str| -> BTreeSet<&str> {
        templates
            .iter()
            .filter(|template| template.id == id)
            .map(|template| template.locale.as_str())
            .collect()
    };
    for (at, severity) in raw.ok().into_iter().flatten().enumerate() {
        let Some(id) = severity.id.ok() else { continue };
        let notify_path = join_key(&join_index("severity", at), "notify");
        for (entry, channel_id) in severity.notify.ok().into_iter().flatten().enumerate() {
            let Some(ChannelKind::Email {
                audience: Some(_),
                template: Some(opening),
            }) = channels
                .iter()
                .find(|channel| channel.id == *channel_id)
                .map(|channel| &channel.kind)
            else {
                continue;
            };
            let resolved = format!("{opening}-resolved");
            let have = locales_of(&resolved);
            let missing: Vec<&str> = locales_of(opening)
                .into_iter()
                .filter(|locale| !have.contains(locale))
                .collect();
            let Some(first) = missing.first() else {
                continue;
            };
            ctx.error(
                &join_index(&notify_path, entry),
                format!(
                    "severity `{id}` mails customers template `{opening}` through `{channel_id}`, \
                     but there is no `{resolved}` template for {}: resolving would tell them \
                     nothing (the opening text is never sent again)",
                    missing
                        .iter()
                        .map(|locale| format!("`{locale}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                Some(format!(
                    "add a [[template]] with id = \"{resolved}\" and locale = \"{first}\": the text \
                     customers get when the incident is resolved"
                )),
            );
        }
    }
}
