//! `[watchdog]`.

use crate::field::Field;
use crate::ops::Watchdog;
use crate::raw::RawWatchdog;
use tocsin_core::Secret;

use super::ctx::Ctx;

pub(super) fn watchdog(ctx: &mut Ctx, raw: &Field<RawWatchdog>) -> Option<Watchdog> {
    let raw = ctx.section(raw, "watchdog")?;
    let url = ctx
        .require(&raw.url, "watchdog.url", "\"https://hc-ping.com/...\"")
        .filter(|url| ctx.url(url, "watchdog.url"));
    let every = match ctx.duration(&raw.every, "watchdog.every", true) {
        Some(every) if every < Watchdog::MIN_EVERY => {
            ctx.error(
                "watchdog.every",
                format!(
                    "`every` is {}; the watchdog pings at most once a second",
                    tocsin_core::format_duration(every)
                ),
                Some("write \"1s\" or longer, like `every = \"1m\"`".to_owned()),
            );
            None
        }
        Some(every) => Some(every),
        None if raw.every.is_present() => None,
        None => Some(Watchdog::DEFAULT_EVERY),
    };
    Some(Watchdog {
        url: Secret::new(url?),
        every: every?,
    })
}
