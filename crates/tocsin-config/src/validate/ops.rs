//! `[watchdog]` and `[self_monitoring]`.

use crate::field::Field;
use crate::ops::{SelfMonitoring, Watchdog};
use crate::raw::{RawSelfMonitoring, RawWatchdog};
use tocsin_core::Secret;

use super::Names;
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

pub(super) fn self_monitoring(
    ctx: &mut Ctx,
    raw: &Field<RawSelfMonitoring>,
    names: &Names,
) -> Option<SelfMonitoring> {
    let raw = ctx.section(raw, "self_monitoring")?;
    let severity = ctx.require(&raw.severity, "self_monitoring.severity", "\"SEV-2\"");
    if let Some(severity) = &severity {
        ctx.reference(
            severity,
            "self_monitoring.severity",
            "severity",
            "[[severity]]",
            &names.severities,
        );
    }
    let outbox_age = ctx
        .duration(&raw.outbox_age, "self_monitoring.outbox_age", true)
        .unwrap_or(SelfMonitoring::DEFAULT_OUTBOX_AGE);
    let probe_lag = ctx
        .duration(&raw.probe_lag, "self_monitoring.probe_lag", true)
        .unwrap_or(SelfMonitoring::DEFAULT_PROBE_LAG);
    let disk_free_below_mb = match ctx.get(
        &raw.disk_free_below_mb,
        "self_monitoring.disk_free_below_mb",
    ) {
        Some(mb) => match u64::try_from(mb) {
            Ok(mb) => mb,
            Err(_) => {
                ctx.error(
                    "self_monitoring.disk_free_below_mb",
                    format!("`disk_free_below_mb` is {mb}; it cannot be negative"),
                    Some(
                        "write MiB, like `disk_free_below_mb = 1024` (0 turns the check off)"
                            .to_owned(),
                    ),
                );
                SelfMonitoring::DEFAULT_DISK_FREE_BELOW_MB
            }
        },
        None => SelfMonitoring::DEFAULT_DISK_FREE_BELOW_MB,
    };
    Some(SelfMonitoring {
        severity: severity?,
        outbox_age,
        probe_lag,
        disk_free_below_mb,
    })
}
