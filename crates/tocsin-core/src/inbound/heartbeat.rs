//! Healthchecks.io-style ping paths: what the part after `/ping/<key>` says about a job's run.
//!
//! `/ping/<key>` reports success, `/start` a run beginning, `/fail` a failure, and `/<0-255>` the
//! job's exit status, so a cron line can end with `; curl …/ping/<key>/$?`.

use super::ParseError;

/// What one ping reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ping {
    Success,
    Start,
    Fail,
    /// An exit status: `0` is success, anything else a failure.
    Exit(u8),
}

impl Ping {
    /// Whether the ping reports a failed run (`/fail` or a non-zero exit status).
    pub fn is_failure(self) -> bool {
        matches!(self, Ping::Fail | Ping::Exit(1..=255))
    }
}

/// Parses the path after the key: `None` (or empty, for a trailing slash) is success.
pub fn parse_suffix(rest: Option<&str>) -> Result<Ping, ParseError> {
    let rest = rest.unwrap_or("").trim_matches('/');
    match rest {
        "" => Ok(Ping::Success),
        "start" => Ok(Ping::Start),
        "fail" => Ok(Ping::Fail),
        // At most three ASCII digits: `u8::from_str` would also take `+7`, which is no exit status.
        digits if digits.len() <= 3 && digits.bytes().all(|b| b.is_ascii_digit()) => {
            digits.parse::<u8>().map(Ping::Exit).map_err(|_| {
                ParseError::invalid("exit status", format!("must be 0 to 255; got {digits}"))
            })
        }
        other => Err(ParseError::invalid(
            "ping path",
            format!("must end in /start, /fail or an exit status 0-255; got /{other}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn suffixes_follow_healthchecks() {
        let cases = [
            (None, Ok(Ping::Success)),
            (Some(""), Ok(Ping::Success)),
            (Some("/"), Ok(Ping::Success)),
            (Some("start"), Ok(Ping::Start)),
            (Some("/fail"), Ok(Ping::Fail)),
            (Some("0"), Ok(Ping::Exit(0))),
            (Some("1"), Ok(Ping::Exit(1))),
            (Some("255"), Ok(Ping::Exit(255))),
            (Some("007"), Ok(Ping::Exit(7))),
            (
                Some("256"),
                Err(ParseError::invalid(
                    "exit status",
                    "must be 0 to 255; got 256",
                )),
            ),
            (
                Some("+7"),
                Err(ParseError::invalid(
                    "ping path",
                    "must end in /start, /fail or an exit status 0-255; got /+7",
                )),
            ),
            (
                Some("1000"),
                Err(ParseError::invalid(
                    "ping path",
                    "must end in /start, /fail or an exit status 0-255; got /1000",
                )),
            ),
            (
                Some("log"),
                Err(ParseError::invalid(
                    "ping path",
                    "must end in /start, /fail or an exit status 0-255; got /log",
                )),
            ),
            (
                Some("START"),
                Err(ParseError::invalid(
                    "ping path",
                    "must end in /start, /fail or an exit status 0-255; got /START",
                )),
            ),
        ];
        for (rest, expected) in cases {
            assert_eq!(parse_suffix(rest), expected, "{rest:?}");
        }
    }

    #[test]
    fn exit_zero_is_success_and_others_fail() {
        assert!(!Ping::Exit(0).is_failure());
        assert!(Ping::Exit(3).is_failure());
        assert!(Ping::Fail.is_failure());
        assert!(!Ping::Success.is_failure() && !Ping::Start.is_failure());
    }

    proptest! {
        #[test]
        fn arbitrary_suffixes_never_panic(rest in proptest::option::of(".{0,16}")) {
            let _ = parse_suffix(rest.as_deref());
        }

        #[test]
        fn every_exit_status_round_trips(code in any::<u8>()) {
            prop_assert_eq!(parse_suffix(Some(&code.to_string())), Ok(Ping::Exit(code)));
        }
    }
}
