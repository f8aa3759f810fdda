//! Five-field cron expressions (minute hour day-of-month month day-of-week) for `[drill]` and
//! recurring `[[maintenance]]` windows, parsed and evaluated by `croner`: besides numbers,
//! ranges, steps and lists, day and month names (`MON`, `jan`), the last day (`L` in
//! day-of-month, `5L` for the last Friday) and the nth weekday (`MON#1`). Pure: the time to
//! evaluate is always passed in.

use std::fmt;

use croner::parser::{CronParser, Seconds, Year};
use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;

/// A parsed cron expression.
#[derive(Debug, Clone)]
pub struct Cron {
    /// The expression as written.
    pub expr: String,
    /// Boxed: croner's tables are large, and a `Cron` sits in small enums.
    parsed: Box<croner::Cron>,
}

/// Two expressions are equal when written the same way.
impl PartialEq for Cron {
    fn eq(&self, other: &Self) -> bool {
        self.expr == other.expr
    }
}

impl Eq for Cron {}

/// Why a cron expression was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronError {
    /// What was wrong.
    pub message: String,
    /// What to do.
    pub help: String,
}

const HELP: &str = "write minute hour day-of-month month day-of-week, like \"0 9 1 * *\" (09:00 on \
                    the 1st of each month), \"0 9 * * MON#1\" (the first Monday) or \"0 3 L * *\" \
                    (the last day of the month); fields take `*`, numbers, ranges `1-5`, steps \
                    `*/15`, lists `1,15`, and day or month names";

impl Cron {
    /// Parses a five-field expression. Classic cron's rules hold: Sunday is 0 or 7, and when
    /// both day fields are restricted a day matching either one fires.
    pub fn parse(expr: &str) -> Result<Cron, CronError> {
        let fields = expr.split_whitespace().count();
        if fields != 5 {
            return Err(CronError {
                message: format!("cron schedule `{expr}` has {fields} fields, not 5"),
                help: HELP.to_owned(),
            });
        }
        let parser = CronParser::builder()
            .seconds(Seconds::Disallowed)
            .year(Year::Disallowed)
            // `5/15` (from 5 on, every 15) was accepted before croner: it keeps its meaning.
            .sloppy_ranges(true)
            .build();
        let parsed = parser.parse(expr).map_err(|error| CronError {
            message: format!("cron schedule `{expr}` is not valid: {error}"),
            help: HELP.to_owned(),
        })?;
        Ok(Cron {
            expr: expr.to_owned(),
            parsed: Box::new(parsed),
        })
    }

    /// True when the expression fires at this minute (seconds are ignored).
    pub fn matches(&self, at: DateTime) -> bool {
        let minute = at
            .with()
            .second(0)
            .subsec_nanosecond(0)
            .build()
            .unwrap_or(at);
        self.parsed.is_time_matching(&minute).unwrap_or(false)
    }

    /// The first instant after `after` at which the expression fires in `tz`. A wall-clock time
    /// skipped by a DST change fires at the first instant after the gap; a repeated one once.
    pub fn next_after(&self, tz: &TimeZone, after: Timestamp) -> Option<Timestamp> {
        self.parsed
            .find_next_occurrence(&after.to_zoned(tz.clone()), false)
            .ok()
            .map(|next| next.timestamp())
    }
}

impl fmt::Display for Cron {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.expr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn parses_the_drill_schedule() {
        let cron = Cron::parse("0 9 1 * *").expect("valid");
        assert!(cron.matches(date(2026, 12, 1).at(9, 0, 0, 0)));
        assert!(cron.matches(date(2026, 12, 1).at(9, 0, 30, 0)));
        assert!(!cron.matches(date(2026, 12, 2).at(9, 0, 0, 0)));
        assert!(!cron.matches(date(2026, 12, 1).at(9, 1, 0, 0)));
    }

    #[test]
    fn steps_ranges_lists_and_sunday_as_seven() {
        let cron = Cron::parse("*/15 8-10 * * 1-5,7").expect("valid");
        // 2026-11-28 is a Saturday, the 29th a Sunday.
        assert!(!cron.matches(date(2026, 11, 28).at(9, 15, 0, 0)));
        assert!(cron.matches(date(2026, 11, 29).at(9, 15, 0, 0)));
        assert!(cron.matches(date(2026, 11, 30).at(10, 45, 0, 0)));
        assert!(!cron.matches(date(2026, 11, 30).at(10, 50, 0, 0)));
        assert!(!cron.matches(date(2026, 11, 30).at(11, 0, 0, 0)));
        // A number with a step runs from it to the end of the field.
        let from_five = Cron::parse("5/20 * * * *").expect("valid");
        assert!(from_five.matches(date(2026, 11, 30).at(3, 45, 0, 0)));
        assert!(!from_five.matches(date(2026, 11, 30).at(3, 0, 0, 0)));
    }

    #[test]
    fn either_restricted_day_field_fires_as_in_classic_cron() {
        // The 1st, or any Monday.
        let cron = Cron::parse("0 9 1 * 1").expect("valid");
        assert!(cron.matches(date(2026, 12, 1).at(9, 0, 0, 0))); // a Tuesday, the 1st
        assert!(cron.matches(date(2026, 12, 7).at(9, 0, 0, 0))); // a Monday
        assert!(!cron.matches(date(2026, 12, 8).at(9, 0, 0, 0)));
    }

    #[test]
    fn day_names_last_day_and_nth_weekday() {
        let first_monday = Cron::parse("0 9 * * MON#1").expect("valid");
        assert!(first_monday.matches(date(2026, 12, 7).at(9, 0, 0, 0)));
        assert!(!first_monday.matches(date(2026, 12, 14).at(9, 0, 0, 0)));
        let sundays = Cron::parse("0 2 * * sun").expect("valid");
        assert!(sundays.matches(date(2026, 11, 29).at(2, 0, 0, 0)));
        let last_day = Cron::parse("0 3 L * *").expect("valid");
        assert!(last_day.matches(date(2026, 2, 28).at(3, 0, 0, 0)));
        assert!(last_day.matches(date(2028, 2, 29).at(3, 0, 0, 0)));
        assert!(!last_day.matches(date(2028, 2, 28).at(3, 0, 0, 0)));
        let last_friday = Cron::parse("0 18 * * 5L").expect("valid");
        assert!(last_friday.matches(date(2026, 12, 25).at(18, 0, 0, 0)));
        assert!(!last_friday.matches(date(2026, 12, 18).at(18, 0, 0, 0)));
        let january = Cron::parse("0 0 1 JAN *").expect("valid");
        assert!(january.matches(date(2027, 1, 1).at(0, 0, 0, 0)));
    }

    #[test]
    fn the_next_run_is_found_in_the_time_zone_across_dst() {
        let cron = Cron::parse("0 9 1 * *").expect("valid");
        let riyadh = TimeZone::get("Asia/Riyadh").expect("zone");
        let after: Timestamp = "2026-11-26T00:00:00Z".parse().expect("time");
        assert_eq!(
            cron.next_after(&riyadh, after),
            "2026-12-01T06:00:00Z".parse().ok()
        );
        // 02:30 does not exist in New York on 2027-03-14: it runs right after the gap.
        let half_two = Cron::parse("30 2 * * *").expect("valid");
        let new_york = TimeZone::get("America/New_York").expect("zone");
        let before: Timestamp = "2027-03-14T05:00:00Z".parse().expect("time");
        assert_eq!(
            half_two.next_after(&new_york, before),
            "2027-03-14T07:00:00Z".parse().ok()
        );
    }

    #[test]
    fn refuses_bad_expressions() {
        for bad in [
            "0 9 1 *",
            "0 0 9 1 * *",
            "60 9 1 * *",
            "0 9 0 * *",
            "0 9 5-1 * *",
            "*/0 9 1 * *",
            "x 9 1 * *",
            "0 9 * * FUNDAY",
            "0 9 * * MON#6",
        ] {
            let error = Cron::parse(bad).expect_err(bad);
            assert!(error.message.contains(bad), "{bad}: {}", error.message);
        }
    }
}
