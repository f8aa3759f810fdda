//! When the next scheduled drill is due: the first minute after a time that the `[drill]` cron
//! matches in the organisation's time zone.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use tocsin_config::Cron;

/// The first instant after `after` that `cron` matches in `tz`. A wall-clock time skipped by a
/// DST change fires at the first instant after the gap, a repeated one once (croner's rules).
pub fn next_after(cron: &Cron, tz: &TimeZone, after: Timestamp) -> Option<Timestamp> {
    cron.next_after(tz, after)
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
