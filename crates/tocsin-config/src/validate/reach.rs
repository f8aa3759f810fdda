//! Warns about a severity that reaches nobody on the team: it pages no one and tells no team
//! channel, so its incidents are only seen by whoever opens the web UI. The runbook's SEV-3 is
//! "individual comms within 4 hours", not silence; a severity meant to record only says so by
//! writing `notify = []`.

use crate::people::Route;
use crate::raw::RawSeverity;
use crate::spans::join_key;
use crate::types::Severity;

use super::Names;
use super::ctx::Ctx;
use crate::field::Field;

/// Adds a warning for each severity that pages nobody and notifies no team channel (Slack or
/// webhook: e-mail channels are customer-facing), unless its `notify` is written empty on purpose.
pub(crate) fn severities_reach_someone(
    ctx: &mut Ctx,
    raw: &Field<Vec<RawSeverity>>,
    severities: &[Severity],
    routes: &[Route],
    label_routes: &[crate::label_route::LabelRoute],
    names: &Names,
) {
    let Some(raw) = raw.ok() else { return };
    let someone_is_paged = routes.iter().any(|route| route.escalation.is_some())
        || label_routes.iter().any(|route| route.escalation.is_some());
    for (at, raw) in raw.iter().enumerate() {
        let Some(severity) = raw
            .id
            .ok()
            .and_then(|id| severities.iter().find(|s| &s.id == id))
        else {
            continue;
        };
        let explicitly_silent = raw.notify.ok().is_some_and(Vec::is_empty);
        let team_channel = severity.notify.iter().any(|channel| {
            names
                .channel_types
                .get(channel)
                .is_some_and(|kind| kind != "email")
        });
        let pages = severity.pages() && someone_is_paged;
        if pages || team_channel || explicitly_silent {
            continue;
        }
        let why = if severity.pages() {
            "no [[route]] names an escalation policy".to_owned()
        } else if severity.page == Some(false) {
            "it says `page = false`".to_owned()
        } else {
            format!(
                "a level that answers within {} pages nobody",
                tocsin_core::format_duration(severity.respond_within)
            )
        };
        let item = format!("severity[{at}]");
        let path = if raw.notify.is_present() {
            join_key(&item, "notify")
        } else {
            join_key(&item, "id")
        };
        ctx.warn(
            &path,
            format!(
                "severity `{}` reaches nobody on the team: {why}, and `notify` names no team channel (Slack or webhook)",
                severity.id
            ),
            Some(
                "add the team's channel to `notify`, or write `notify = []` if its incidents are only recorded"
                    .to_owned(),
            ),
        );
    }
}
