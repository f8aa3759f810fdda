//! Human durations as the configuration writes them: `500ms`, `30s`, `15m`, `1h`, `2d`, `1w`.

use std::fmt;
use std::time::Duration;

/// Why a duration string was refused; the message says what a valid one looks like.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("empty duration; write a number and a unit, like \"30s\" or \"15m\"")]
    Empty,
    #[error("`{0}` has no number; write a number and a unit, like \"30s\" or \"15m\"")]
    NoNumber(String),
    #[error("`{input}` has unknown unit `{unit}`; use one of ms, s, m, h, d, w (e.g. \"15m\")")]
    UnknownUnit { input: String, unit: String },
    #[error("`{0}` has no unit; write the unit after the number, like \"{0}s\" or \"{0}m\"")]
    NoUnit(String),
    #[error("`{0}` is too large")]
    Overflow(String),
}

/// Parses a duration: one or more `<number><unit>` parts (`1h30m` is allowed), units ms, s, m, h, d, w.
pub fn parse_duration(input: &str) -> Result<Duration, DurationError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(DurationError::Empty);
    }
    let mut total: u64 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(DurationError::NoNumber(input.to_owned()));
        }
        let number: u64 = rest[..digits]
            .parse()
            .map_err(|_| DurationError::Overflow(input.to_owned()))?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        if unit_len == 0 {
            return Err(DurationError::NoUnit(input.to_owned()));
        }
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let millis_per_unit: u64 = match unit {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 604_800_000,
            other => {
                return Err(DurationError::UnknownUnit {
                    input: input.to_owned(),
                    unit: other.to_owned(),
                });
            }
        };
        let part = number
            .checked_mul(millis_per_unit)
            .ok_or_else(|| DurationError::Overflow(input.to_owned()))?;
        total = total
            .checked_add(part)
            .ok_or_else(|| DurationError::Overflow(input.to_owned()))?;
    }
    Ok(Duration::from_millis(total))
}

/// Formats a duration the way the configuration writes it, largest units first (`1h30m`).
pub fn format_duration(duration: Duration) -> String {
    let mut millis = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
    if millis == 0 {
        return "0s".to_owned();
    }
    let mut out = String::new();
    for (unit, size) in [
        ("w", 604_800_000u64),
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ] {
        if millis >= size {
            out.push_str(&(millis / size).to_string());
            out.push_str(unit);
            millis %= size;
        }
    }
    out
}

/// A duration shown in human form in `Display`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct HumanDuration(pub Duration);

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_duration(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit_of_the_contract() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert_eq!(parse_duration("1w"), Ok(Duration::from_secs(604_800)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
    }

    #[test]
    fn refuses_what_is_not_a_duration() {
        assert!(matches!(
            parse_duration("15 minutes"),
            Err(DurationError::UnknownUnit { .. }) | Err(DurationError::NoUnit(_))
        ));
        assert!(matches!(
            parse_duration("15x"),
            Err(DurationError::UnknownUnit { .. })
        ));
        assert!(matches!(
            parse_duration("15"),
            Err(DurationError::NoUnit(_))
        ));
        assert!(matches!(
            parse_duration("m"),
            Err(DurationError::NoNumber(_))
        ));
        assert!(matches!(parse_duration(""), Err(DurationError::Empty)));
        assert!(matches!(
            parse_duration("99999999999999999999w"),
            Err(DurationError::Overflow(_))
        ));
    }

    #[test]
    fn formats_back_to_the_written_form() {
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format_duration(Duration::from_millis(500)), "500ms");
    }
}
