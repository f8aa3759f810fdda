//! When the next scheduled drill is due: the first minute after a time that the `[drill]` cron
//! matches in the organisation's time zone.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use tocsin_config::Cron;

/// How far ahead to look: a cron like "0 9 29 2 *" fires only in leap years.
const HORIZON_DAYS: i32 = 8 * 366;

/// The first instant after `after` that `cron` matches in `tz`. A wall-clock time skipped by a
/// DST change fires at the moment after the gap (jiff's "compatible" choice), a repeated one once.
pub fn next_after(cron: &Cron, tz: &TimeZone, after: Timestamp) -> Option<Timestamp> {
    let start: Date = after.to_zoned(tz.clone()).date();
    for offset in 0..HORIZON_DAYS {
        let day = start.checked_add(jiff::Span::new().days(offset)).ok()?;
        for hour in &cron.hours {
            for minute in &cron.minutes {
                let civil = DateTime::from_parts(
                    day,
                    jiff::civil::Time::new(
                        i8::try_from(*hour).ok()?,
                        i8::try_from(*minute).ok()?,
                        0,
                        0,
                    )
                    .ok()?,
                );
                if !cron.matches(civil) {
                    continue;
                }
                let at = tz.to_ambiguous_timestamp(civil).compatible().ok()?;
                if at > after {
                    return Some(at);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_monthly_drill_is_next_due_on_the_first_at_nine_local_time() {
        let cron = Cron::parse("0 9 1 * *").unwrap();
        let riyadh = TimeZone::get("Asia/Riyadh").unwrap();
        let after: Timestamp = "2026-11-26T00:00:00Z".parse().unwrap();
        let next = next_after(&cron, &riyadh, after).unwrap();
        assert_eq!(next, "2026-12-01T06:00:00Z".parse::<Timestamp>().unwrap());
        // Exactly at the run, the next one is a month later.
        let following = next_after(&cron, &riyadh, next).unwrap();
        assert_eq!(
            following,
            "2027-01-01T06:00:00Z".parse::<Timestamp>().unwrap()
        );
    }
}
