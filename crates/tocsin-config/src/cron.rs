//! Five-field cron expressions (minute hour day-of-month month day-of-week), for `[drill]`.

use std::fmt;

use jiff::civil::DateTime;

/// A parsed cron expression: the allowed values of each field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    /// The expression as written.
    pub expr: String,
    /// Allowed minutes, 0-59.
    pub minutes: Vec<u8>,
    /// Allowed hours, 0-23.
    pub hours: Vec<u8>,
    /// Allowed days of the month, 1-31.
    pub days_of_month: Vec<u8>,
    /// Allowed months, 1-12.
    pub months: Vec<u8>,
    /// Allowed days of the week, 0-6 with 0 = Sunday (7 is read as Sunday too).
    pub days_of_week: Vec<u8>,
    day_of_month_any: bool,
    day_of_week_any: bool,
}

/// Why a cron expression was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronError {
    /// What was wrong.
    pub message: String,
    /// What to do.
    pub help: String,
}

const FIELDS: [(&str, u8, u8); 5] = [
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day-of-month", 1, 31),
    ("month", 1, 12),
    ("day-of-week", 0, 7),
];

impl Cron {
    /// Parses `*`, numbers, ranges `a-b`, steps `*/n` and `a-b/n`, and lists joined by commas.
    pub fn parse(expr: &str) -> Result<Cron, CronError> {
        let parts: Vec<&str> = expr.split_whitespace().collect();
        if parts.len() != 5 {
            return Err(CronError {
                message: format!("cron schedule `{expr}` has {} fields, not 5", parts.len()),
                help: "write minute hour day-of-month month day-of-week, like \"0 9 1 * *\" \
                       (09:00 on the 1st of each month)"
                    .to_owned(),
            });
        }
        let mut sets = Vec::with_capacity(5);
        for (part, (name, low, high)) in parts.iter().zip(FIELDS) {
            sets.push(parse_field(part, name, low, high)?);
        }
        let mut days_of_week: Vec<u8> = sets[4].iter().map(|day| day % 7).collect();
        days_of_week.sort_unstable();
        days_of_week.dedup();
        Ok(Cron {
            expr: expr.to_owned(),
            minutes: sets[0].clone(),
            hours: sets[1].clone(),
            days_of_month: sets[2].clone(),
            months: sets[3].clone(),
            days_of_week,
            day_of_month_any: parts[2] == "*",
            day_of_week_any: parts[4] == "*",
        })
    }

    /// True when the expression fires at this minute (seconds are ignored). As in classic cron,
    /// when both day fields are restricted a day matching either one fires.
    pub fn matches(&self, at: DateTime) -> bool {
        let has = |set: &[u8], value: i8| u8::try_from(value).is_ok_and(|v| set.contains(&v));
        let day_of_month = has(&self.days_of_month, at.day());
        let day_of_week = has(&self.days_of_week, at.weekday().to_sunday_zero_offset());
        let day = match (self.day_of_month_any, self.day_of_week_any) {
            (true, true) => true,
            (false, true) => day_of_month,
            (true, false) => day_of_week,
            (false, false) => day_of_month || day_of_week,
        };
        day && has(&self.minutes, at.minute())
            && has(&self.hours, at.hour())
            && has(&self.months, at.month())
    }
}

impl fmt::Display for Cron {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.expr)
    }
}

fn parse_field(text: &str, name: &str, low: u8, high: u8) -> Result<Vec<u8>, CronError> {
    let bad = |why: String| CronError {
        message: format!("cron {name} field `{text}` {why}"),
        help: format!(
            "use `*`, a number from {low} to {high}, a range like `{low}-{high}`, a step like \
             `*/5`, or a list joined by commas"
        ),
    };
    let number = |digits: &str| -> Result<u8, CronError> {
        let value: u8 = digits
            .parse()
            .map_err(|_| bad(format!("has `{digits}`, which is not a number")))?;
        if value < low || value > high {
            return Err(bad(format!("has {value}, outside {low}-{high}")));
        }
        Ok(value)
    };
    let mut values = Vec::new();
    for item in text.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => {
                let step: u8 = step.parse().ok().filter(|step| *step > 0).ok_or_else(|| {
                    bad(format!("has step `{step}`, which is not a positive number"))
                })?;
                (range, step)
            }
            None => (item, 1),
        };
        let (from, to) = if range == "*" {
            (low, high)
        } else if let Some((from, to)) = range.split_once('-') {
            let (from, to) = (number(from)?, number(to)?);
            if from > to {
                return Err(bad(format!(
                    "has the range {from}-{to}, which runs backwards"
                )));
            }
            (from, to)
        } else {
            let at = number(range)?;
            (at, if step > 1 { high } else { at })
        };
        values.extend((from..=to).step_by(usize::from(step)));
    }
    values.sort_unstable();
    values.dedup();
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn parses_the_drill_schedule() {
        let cron = Cron::parse("0 9 1 * *").expect("valid");
        assert_eq!(cron.minutes, vec![0]);
        assert_eq!(cron.hours, vec![9]);
        assert_eq!(cron.days_of_month, vec![1]);
        assert_eq!(cron.months.len(), 12);
        assert!(cron.matches(date(2026, 12, 1).at(9, 0, 0, 0)));
        assert!(!cron.matches(date(2026, 12, 2).at(9, 0, 0, 0)));
        assert!(!cron.matches(date(2026, 12, 1).at(9, 1, 0, 0)));
    }

    #[test]
    fn steps_ranges_lists_and_sunday_as_seven() {
        let cron = Cron::parse("*/15 8-10 * * 1-5,7").expect("valid");
        assert_eq!(cron.minutes, vec![0, 15, 30, 45]);
        assert_eq!(cron.hours, vec![8, 9, 10]);
        assert_eq!(cron.days_of_week, vec![0, 1, 2, 3, 4, 5]);
        // 2026-11-28 is a Saturday.
        assert!(!cron.matches(date(2026, 11, 28).at(9, 15, 0, 0)));
        assert!(cron.matches(date(2026, 11, 29).at(9, 15, 0, 0)));
    }

    #[test]
    fn refuses_bad_expressions() {
        assert!(Cron::parse("0 9 1 *").is_err());
        assert!(Cron::parse("60 9 1 * *").is_err());
        assert!(Cron::parse("0 9 0 * *").is_err());
        assert!(Cron::parse("0 9 5-1 * *").is_err());
        assert!(Cron::parse("*/0 9 1 * *").is_err());
        assert!(Cron::parse("x 9 1 * *").is_err());
    }
}
