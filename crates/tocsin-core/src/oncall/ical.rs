//! The iCalendar (RFC 5545) feed of a schedule's shifts, so people see their turns in a calendar.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::{ScheduleSpec, Shift};

/// RFC 5545 §3.1: content lines are at most 75 octets, excluding the CRLF.
const MAX_LINE_OCTETS: usize = 75;

/// A VCALENDAR with one VEVENT per shift. Times are UTC (`Z` form), so no VTIMEZONE is needed
/// and every client shows them in its own zone. `names` turns a contact id into the name shown;
/// `stamp` is the DTSTAMP (when the feed was made — an input, as every time is). A UID is the
/// schedule and the shift's start, so regenerating the feed updates events instead of adding.
pub fn icalendar(
    schedule: &ScheduleSpec,
    shifts: &[Shift],
    names: &dyn Fn(&str) -> String,
    stamp: Timestamp,
) -> String {
    let mut out = String::new();
    let id = escape(&schedule.id);
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//tocsin//on-call//EN");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, "METHOD:PUBLISH");
    line(&mut out, &format!("X-WR-CALNAME:On call ({id})"));
    let stamp = utc(stamp);
    for shift in shifts {
        let start = utc(shift.start);
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{id}-{start}@tocsin"));
        line(&mut out, &format!("DTSTAMP:{stamp}"));
        line(&mut out, &format!("DTSTART:{start}"));
        line(&mut out, &format!("DTEND:{}", utc(shift.end)));
        let name = escape(&names(&shift.contact));
        line(&mut out, &format!("SUMMARY:On call: {name} ({id})"));
        line(&mut out, "TRANSP:TRANSPARENT");
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

/// `20260308T130000Z`. Built from the fields rather than `strftime`, whose `Display` can fail
/// (and `to_string` would then panic) on extreme years; fractions of a second are dropped
/// because DATE-TIME has none.
fn utc(at: Timestamp) -> String {
    let dt = TimeZone::UTC.to_datetime(at);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

/// TEXT escaping (RFC 5545 §3.3.11): backslash, `;` and `,` are escaped and a newline becomes
/// `\n`; other control characters are not allowed in TEXT, so they are dropped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends one content line, folded (RFC 5545 §3.1): a line longer than 75 octets continues on
/// the next line after a CRLF and one space, and a UTF-8 character is never split across lines.
fn line(out: &mut String, content: &str) {
    let mut octets = 0;
    for c in content.chars() {
        if octets + c.len_utf8() > MAX_LINE_OCTETS {
            out.push_str("\r\n ");
            // The leading space counts towards the continuation line's 75 octets.
            octets = 1;
        }
        out.push(c);
        octets += c.len_utf8();
    }
    out.push_str("\r\n");
}

#[cfg(test)]
pub(super) fn unfold(text: &str) -> String {
    text.replace("\r\n ", "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_at_75_octets_without_splitting_characters() {
        let mut out = String::new();
        let content = format!("SUMMARY:{}", "é".repeat(60));
        line(&mut out, &content);
        assert!(out.ends_with("\r\n"));
        let lines: Vec<&str> = out.trim_end_matches("\r\n").split("\r\n").collect();
        assert!(lines.len() > 1, "a 128-octet line is folded: {out:?}");
        for (i, l) in lines.iter().enumerate() {
            assert!(
                l.len() <= MAX_LINE_OCTETS,
                "line {i} has {} octets",
                l.len()
            );
            assert_eq!(
                i > 0,
                l.starts_with(' '),
                "continuations start with a space"
            );
        }
        assert_eq!(unfold(&out), format!("{content}\r\n"));
    }

    #[test]
    fn a_75_octet_line_is_not_folded() {
        let mut out = String::new();
        line(&mut out, &"x".repeat(75));
        assert_eq!(out, format!("{}\r\n", "x".repeat(75)));
        let mut out = String::new();
        line(&mut out, &"x".repeat(76));
        assert_eq!(out, format!("{}\r\n x\r\n", "x".repeat(75)));
    }

    #[test]
    fn escapes_text() {
        assert_eq!(
            escape("Smith, Jo; a\\b\nc\rd"),
            "Smith\\, Jo\\; a\\\\b\\ncd"
        );
    }

    #[test]
    fn formats_utc_without_fractions() {
        let at: Timestamp = "2026-03-08T07:30:00.999Z".parse().unwrap();
        assert_eq!(utc(at), "20260308T073000Z");
    }
}
