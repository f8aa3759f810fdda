//! Tests for on-call resolution, with literal and simulated times and the bundled tz database.

use std::time::Duration;

use jiff::civil::{Date, DateTime, Time, Weekday, date, time};
use jiff::tz::{TimeZone, TimeZoneDatabase};
use jiff::{SignedDuration, Timestamp, ToSpan};
use proptest::prelude::*;

use super::ical::unfold;
use super::*;

const MINUTE: SignedDuration = SignedDuration::from_mins(1);
const SECOND: SignedDuration = SignedDuration::from_secs(1);

/// The bundled database, so results do not depend on the machine's zoneinfo.
fn zone(name: &str) -> TimeZone {
    TimeZoneDatabase::bundled().get(name).unwrap()
}

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn names(members: &[&str]) -> Vec<String> {
    members.iter().map(|m| (*m).to_owned()).collect()
}

fn schedule(
    tz: &str,
    members: &[&str],
    every: Duration,
    weekday: Weekday,
    at: Time,
) -> ScheduleSpec {
    ScheduleSpec {
        id: "primary".to_owned(),
        timezone: zone(tz),
        layers: vec![RotationSpec {
            members: names(members),
            every,
            handoff_weekday: weekday,
            handoff_time: at,
            days: None,
            until: None,
        }],
    }
}

const WEEK: Duration = Duration::from_secs(7 * 86_400);
const DAY: Duration = Duration::from_secs(86_400);

fn weekly(tz: &str, members: &[&str]) -> ScheduleSpec {
    schedule(tz, members, WEEK, Weekday::Sunday, time(9, 0, 0, 0))
}

fn who(s: &ScheduleSpec, overrides: &[Override], at: Timestamp) -> String {
    on_call(s, overrides, at).unwrap().contact
}

fn over(contact: &str, from: &str, until: &str) -> Override {
    Override {
        schedule: "primary".to_owned(),
        contact: contact.to_owned(),
        from: ts(from),
        until: ts(until),
    }
}

/// The instant of a local wall-clock time, computed with jiff directly (not the code under test).
fn local(tz: &str, dt: DateTime) -> Timestamp {
    dt.to_zoned(zone(tz)).unwrap().timestamp()
}

/// A year and more of weekly Sunday 09:00 handoffs. Expected instants come from the local civil
/// date-time; expected members from counting weeks since the documented anchor, 2024-01-07 (the
/// first Sunday on or after 2024-01-01), which is 104 weeks before 2026-01-04.
fn weekly_year(tz_name: &str) {
    let members = ["ana", "bo", "cy"];
    let s = weekly(tz_name, &members);
    let tz = zone(tz_name);
    let first: Date = date(2026, 1, 4);
    assert_eq!(first.weekday(), Weekday::Sunday);
    assert_eq!(date(2024, 1, 7) + (104 * 7).days(), first);
    for week in 0..60i64 {
        let day = first + (week * 7).days();
        let handoff = local(tz_name, day.to_datetime(time(9, 0, 0, 0)));
        let incoming = members[((104 + week) % 3) as usize];
        let outgoing = members[((104 + week - 1) % 3) as usize];

        let before = on_call(&s, &[], handoff - MINUTE).unwrap();
        assert_eq!(before.contact, outgoing, "{tz_name} week {week} ({day})");
        assert_eq!(before.until, handoff);
        assert_eq!(before.next.as_deref(), Some(incoming));

        for at in [handoff, handoff + MINUTE] {
            let now = on_call(&s, &[], at).unwrap();
            assert_eq!(now.contact, incoming, "{tz_name} week {week} ({day})");
            assert_eq!(now.since, handoff);
            let start = now.since.to_zoned(tz.clone());
            assert_eq!(start.weekday(), Weekday::Sunday);
            assert_eq!(start.time(), time(9, 0, 0, 0), "{tz_name} week {week}");
            let end = now.until.to_zoned(tz.clone());
            assert_eq!(end.date(), day + 7.days());
            assert_eq!(end.time(), time(9, 0, 0, 0));
        }
    }
}

#[test]
fn weekly_rotation_for_a_year_in_new_york_keeps_sunday_0900_across_dst() {
    weekly_year("America/New_York");
    // The DST weeks, with literal instants: 09:00 EST is 14:00Z, 09:00 EDT is 13:00Z.
    let s = weekly("America/New_York", &["ana", "bo", "cy"]);
    for (at, since, until) in [
        (
            "2026-03-05T12:00Z",
            "2026-03-01T14:00Z",
            "2026-03-08T13:00Z",
        ),
        (
            "2026-03-10T12:00Z",
            "2026-03-08T13:00Z",
            "2026-03-15T13:00Z",
        ),
        (
            "2026-10-28T12:00Z",
            "2026-10-25T13:00Z",
            "2026-11-01T14:00Z",
        ),
        (
            "2026-11-03T12:00Z",
            "2026-11-01T14:00Z",
            "2026-11-08T14:00Z",
        ),
    ] {
        let now = on_call(&s, &[], ts(at)).unwrap();
        assert_eq!((now.since, now.until), (ts(since), ts(until)), "at {at}");
    }
    // The spring week is 167 hours long, the autumn one 169: wall-clock, not elapsed, weeks.
    let spring = on_call(&s, &[], ts("2026-03-05T12:00Z")).unwrap();
    assert_eq!(
        spring.until.duration_since(spring.since),
        SignedDuration::from_hours(167)
    );
    let autumn = on_call(&s, &[], ts("2026-10-28T12:00Z")).unwrap();
    assert_eq!(
        autumn.until.duration_since(autumn.since),
        SignedDuration::from_hours(169)
    );
}

#[test]
fn weekly_rotation_for_a_year_in_riyadh() {
    weekly_year("Asia/Riyadh");
    let s = weekly("Asia/Riyadh", &["ana", "bo", "cy"]);
    let now = on_call(&s, &[], ts("2026-03-10T00:00Z")).unwrap();
    assert_eq!(
        (now.since, now.until),
        (ts("2026-03-08T06:00Z"), ts("2026-03-15T06:00Z"))
    );
}

#[test]
fn the_anchor_starts_members_zero_and_the_rotation_extends_backwards() {
    let s = weekly("UTC", &["ana", "bo", "cy"]);
    assert_eq!(who(&s, &[], ts("2024-01-07T09:00Z")), "ana");
    assert_eq!(who(&s, &[], ts("2024-01-07T08:59:59Z")), "cy");
    assert_eq!(who(&s, &[], ts("2023-12-31T08:59:59Z")), "bo");
    assert_eq!(who(&s, &[], ts("2024-01-14T09:00Z")), "bo");
    // Before 2024 the same arithmetic: 2023-01-08 is shift -52, and -52 mod 3 == 2.
    let old = on_call(&s, &[], ts("2023-01-10T00:00Z")).unwrap();
    assert_eq!(old.contact, "cy");
    assert_eq!(old.since, ts("2023-01-08T09:00Z"));
}

#[test]
fn daily_handoff_in_the_spring_forward_gap_moves_past_the_gap() {
    // 2026-03-08 02:30 does not exist in New York (02:00 jumps to 03:00). Compatible
    // disambiguation moves it forward by the gap: 03:30 EDT, 07:30Z. The days around it keep
    // 02:30 local: 07:30Z (EST) on the 7th, 06:30Z (EDT) on the 9th.
    let s = schedule(
        "America/New_York",
        &["ana", "bo"],
        DAY,
        Weekday::Monday,
        time(2, 30, 0, 0),
    );
    let tz = zone("America/New_York");
    let saturday = on_call(&s, &[], ts("2026-03-07T12:00Z")).unwrap();
    assert_eq!(saturday.since, ts("2026-03-07T07:30Z"));
    assert_eq!(saturday.until, ts("2026-03-08T07:30Z"));
    let sunday = on_call(&s, &[], ts("2026-03-08T07:30Z")).unwrap();
    assert_ne!(sunday.contact, saturday.contact);
    assert_eq!(Some(sunday.contact.clone()), saturday.next);
    assert_eq!(sunday.since.to_zoned(tz.clone()).time(), time(3, 30, 0, 0));
    assert_eq!(sunday.until, ts("2026-03-09T06:30Z"));
    assert_eq!(sunday.until.to_zoned(tz).time(), time(2, 30, 0, 0));
    assert_eq!(who(&s, &[], ts("2026-03-08T07:29:59Z")), saturday.contact);
}

#[test]
fn daily_handoff_in_the_fall_back_fold_takes_the_first_occurrence() {
    // 2026-11-01 01:30 happens twice in New York; the first (EDT, 05:30Z) is the handoff.
    let s = schedule(
        "America/New_York",
        &["ana", "bo"],
        DAY,
        Weekday::Monday,
        time(1, 30, 0, 0),
    );
    let now = on_call(&s, &[], ts("2026-11-01T06:00Z")).unwrap();
    assert_eq!(now.since, ts("2026-11-01T05:30Z"));
    assert_eq!(now.until, ts("2026-11-02T06:30Z"));
    assert_eq!(
        now.until.duration_since(now.since),
        SignedDuration::from_hours(25)
    );
}

#[test]
fn twelve_hour_rotation_counts_elapsed_time() {
    // Anchor: Sunday 2024-01-07 09:00 EST = 14:00Z; then every 12 elapsed hours, so in summer
    // the handoffs are at 10:00 and 22:00 EDT rather than 09:00 and 21:00.
    let s = schedule(
        "America/New_York",
        &["ana", "bo"],
        Duration::from_secs(12 * 3600),
        Weekday::Sunday,
        time(9, 0, 0, 0),
    );
    let anchor = ts("2024-01-07T14:00Z");
    assert_eq!(who(&s, &[], anchor), "ana");
    for at in [
        "2026-07-05T14:00Z",
        "2026-12-25T02:00Z",
        "2025-03-09T14:00Z",
        "2023-06-01T02:00Z",
    ] {
        let at = ts(at);
        let halves = at.duration_since(anchor).as_secs().div_euclid(12 * 3600);
        let expected = if halves.rem_euclid(2) == 0 {
            "ana"
        } else {
            "bo"
        };
        let other = if expected == "ana" { "bo" } else { "ana" };
        let now = on_call(&s, &[], at).unwrap();
        assert_eq!(now.contact, expected, "at {at}");
        assert_eq!(now.since, at);
        assert_eq!(now.until, at + SignedDuration::from_hours(12));
        assert_eq!(who(&s, &[], at - SECOND), other);
    }
    let summer = on_call(&s, &[], ts("2026-07-05T15:00Z")).unwrap();
    assert_eq!(
        summer.since.to_zoned(zone("America/New_York")).time(),
        time(10, 0, 0, 0)
    );
}

#[test]
fn one_member_is_always_on_call_and_is_next_too() {
    let s = weekly("Europe/London", &["solo"]);
    let now = on_call(&s, &[], ts("2026-06-03T00:00Z")).unwrap();
    assert_eq!(now.contact, "solo");
    assert_eq!(now.next.as_deref(), Some("solo"));
    assert_eq!(now.until, ts("2026-06-07T08:00Z"));
}

#[test]
fn empty_members_mean_nobody_unless_overridden() {
    let s = weekly("UTC", &[]);
    assert_eq!(on_call(&s, &[], ts("2026-06-03T00:00Z")), None);
    let o = [over("zed", "2026-06-02T00:00Z", "2026-06-04T00:00Z")];
    let now = on_call(&s, &o, ts("2026-06-03T00:00Z")).unwrap();
    assert_eq!(now.contact, "zed");
    assert_eq!(now.next, None);
    assert_eq!(on_call(&s, &o, ts("2026-06-04T00:00Z")), None);
    let no_layers = ScheduleSpec {
        layers: vec![],
        ..s.clone()
    };
    assert_eq!(on_call(&no_layers, &[], ts("2026-06-03T00:00Z")), None);
    let zero = schedule(
        "UTC",
        &["ana"],
        Duration::ZERO,
        Weekday::Monday,
        time(0, 0, 0, 0),
    );
    assert_eq!(on_call(&zero, &[], ts("2026-06-03T00:00Z")), None);
}

#[test]
fn the_last_layer_with_members_wins() {
    let mut s = weekly("UTC", &["ana", "bo", "cy"]);
    let mut top = s.layers[0].clone();
    top.members = names(&["xi"]);
    s.layers.push(top.clone());
    assert_eq!(who(&s, &[], ts("2026-06-03T00:00Z")), "xi");
    top.members.clear();
    s.layers.push(top);
    assert_eq!(who(&s, &[], ts("2026-06-03T00:00Z")), "xi");
}

// In UTC, Sunday 09:00. 2026-06-07 is 126 weeks after the anchor (126 % 3 == 0): "ana" holds
// 06-07 .. 06-14 and "bo" 06-14 .. 06-21 (pinned in `shifts_over_two_weeks…`).
fn utc_weekly() -> ScheduleSpec {
    weekly("UTC", &["ana", "bo", "cy"])
}

#[test]
fn an_override_wins_inside_and_its_edges_are_from_inclusive_until_exclusive() {
    let s = utc_weekly();
    let base = who(&s, &[], ts("2026-06-10T00:00Z"));
    let o = [over("zed", "2026-06-09T00:00Z", "2026-06-11T00:00Z")];

    let before = on_call(&s, &o, ts("2026-06-08T23:59:59Z")).unwrap();
    assert_eq!(before.contact, base);
    assert_eq!(before.until, ts("2026-06-09T00:00Z"));
    assert_eq!(before.next.as_deref(), Some("zed"));

    for at in [
        "2026-06-09T00:00Z",
        "2026-06-10T00:00Z",
        "2026-06-10T23:59:59Z",
    ] {
        let now = on_call(&s, &o, ts(at)).unwrap();
        assert_eq!(now.contact, "zed", "at {at}");
        assert_eq!(now.since, ts("2026-06-09T00:00Z"));
        assert_eq!(now.until, ts("2026-06-11T00:00Z"));
        assert_eq!(now.next.as_deref(), Some(base.as_str()));
    }

    let after = on_call(&s, &o, ts("2026-06-11T00:00Z")).unwrap();
    assert_eq!(after.contact, base);
    assert_eq!(
        after.since,
        ts("2026-06-11T00:00Z"),
        "resumes when the override ends"
    );
    assert_eq!(after.until, ts("2026-06-14T09:00Z"));
}

#[test]
fn an_override_across_a_handoff_hands_over_to_the_incoming_member() {
    let s = utc_weekly();
    let incoming = who(&s, &[], ts("2026-06-14T09:00Z"));
    let o = [over("zed", "2026-06-13T00:00Z", "2026-06-15T00:00Z")];
    let now = on_call(&s, &o, ts("2026-06-14T09:00Z")).unwrap();
    assert_eq!(now.contact, "zed");
    assert_eq!(now.until, ts("2026-06-15T00:00Z"));
    assert_eq!(now.next, Some(incoming.clone()));
    let after = on_call(&s, &o, ts("2026-06-15T00:00Z")).unwrap();
    assert_eq!(
        (after.contact, after.since),
        (incoming, ts("2026-06-15T00:00Z"))
    );
}

#[test]
fn overlapping_overrides_the_latest_start_wins() {
    let s = utc_weekly();
    let o = [
        over("zed", "2026-06-09T00:00Z", "2026-06-12T00:00Z"),
        over("yan", "2026-06-10T00:00Z", "2026-06-11T00:00Z"),
        // Another schedule's and an empty override change nothing.
        Override {
            schedule: "other".to_owned(),
            ..over("xo", "2026-06-09T00:00Z", "2026-06-13T00:00Z")
        },
        over("nil", "2026-06-10T12:00Z", "2026-06-10T12:00Z"),
    ];
    let zed = on_call(&s, &o, ts("2026-06-09T12:00Z")).unwrap();
    assert_eq!(
        (zed.contact.as_str(), zed.until),
        ("zed", ts("2026-06-10T00:00Z"))
    );
    assert_eq!(zed.next.as_deref(), Some("yan"));

    let yan = on_call(&s, &o, ts("2026-06-10T12:00Z")).unwrap();
    assert_eq!(yan.contact, "yan");
    assert_eq!(
        (yan.since, yan.until),
        (ts("2026-06-10T00:00Z"), ts("2026-06-11T00:00Z"))
    );
    assert_eq!(yan.next.as_deref(), Some("zed"));

    let resumed = on_call(&s, &o, ts("2026-06-11T06:00Z")).unwrap();
    assert_eq!(resumed.contact, "zed");
    assert_eq!(
        (resumed.since, resumed.until),
        (ts("2026-06-11T00:00Z"), ts("2026-06-12T00:00Z"))
    );

    // Same start: the later one in the list wins.
    let tie = [
        over("first", "2026-06-09T00:00Z", "2026-06-10T00:00Z"),
        over("second", "2026-06-09T00:00Z", "2026-06-09T12:00Z"),
    ];
    let now = on_call(&s, &tie, ts("2026-06-09T06:00Z")).unwrap();
    assert_eq!(
        (now.contact.as_str(), now.until),
        ("second", ts("2026-06-09T12:00Z"))
    );
    assert_eq!(now.next.as_deref(), Some("first"));
    let then = on_call(&s, &tie, ts("2026-06-09T12:00Z")).unwrap();
    assert_eq!(
        (then.contact.as_str(), then.since),
        ("first", ts("2026-06-09T12:00Z"))
    );
}

#[test]
fn an_earlier_starting_override_does_not_cut_a_later_one() {
    // "zed" starts first and outlasts "yan"; while "yan" holds, zed's start is irrelevant.
    let s = utc_weekly();
    let o = [
        over("yan", "2026-06-10T00:00Z", "2026-06-12T00:00Z"),
        over("zed", "2026-06-09T00:00Z", "2026-06-11T00:00Z"),
    ];
    let yan = on_call(&s, &o, ts("2026-06-10T00:00Z")).unwrap();
    assert_eq!(
        (yan.since, yan.until),
        (ts("2026-06-10T00:00Z"), ts("2026-06-12T00:00Z"))
    );
    let base = who(&s, &[], ts("2026-06-12T00:00Z"));
    assert_eq!(yan.next, Some(base));
}

#[test]
fn shifts_over_two_weeks_split_around_an_override() {
    let s = utc_weekly();
    let first = who(&s, &[], ts("2026-06-07T09:00Z"));
    let second = who(&s, &[], ts("2026-06-14T09:00Z"));
    assert_eq!((first.as_str(), second.as_str()), ("ana", "bo"));
    let o = [over("zed", "2026-06-10T00:00Z", "2026-06-11T00:00Z")];
    let got = shifts(&s, &o, ts("2026-06-07T09:00Z"), ts("2026-06-21T09:00Z"));
    let shift = |contact: &str, start: &str, end: &str| Shift {
        contact: contact.to_owned(),
        start: ts(start),
        end: ts(end),
    };
    assert_eq!(
        got,
        vec![
            shift(&first, "2026-06-07T09:00Z", "2026-06-10T00:00Z"),
            shift("zed", "2026-06-10T00:00Z", "2026-06-11T00:00Z"),
            shift(&first, "2026-06-11T00:00Z", "2026-06-14T09:00Z"),
            shift(&second, "2026-06-14T09:00Z", "2026-06-21T09:00Z"),
        ]
    );
    // A window starting mid-shift returns the whole shift, so its start (and UID) is stable.
    let mid = shifts(&s, &o, ts("2026-06-12T00:00Z"), ts("2026-06-13T00:00Z"));
    assert_eq!(
        mid,
        vec![shift(&first, "2026-06-11T00:00Z", "2026-06-14T09:00Z")]
    );
    assert!(shifts(&s, &o, ts("2026-06-12T00:00Z"), ts("2026-06-12T00:00Z")).is_empty());
}

#[test]
fn shifts_are_bounded() {
    let s = schedule(
        "UTC",
        &["ana", "bo"],
        Duration::from_secs(1),
        Weekday::Monday,
        time(0, 0, 0, 0),
    );
    let got = shifts(&s, &[], ts("2026-01-01T00:00Z"), ts("2027-01-01T00:00Z"));
    assert_eq!(got.len(), MAX_SHIFTS);
}

#[test]
fn shifts_skip_stretches_with_nobody_on_call() {
    let s = weekly("UTC", &[]);
    let o = [
        over("zed", "2026-06-09T00:00Z", "2026-06-10T00:00Z"),
        over("yan", "2026-06-11T00:00Z", "2026-06-12T00:00Z"),
    ];
    let got = shifts(&s, &o, ts("2026-06-01T00:00Z"), ts("2026-07-01T00:00Z"));
    let who: Vec<&str> = got.iter().map(|s| s.contact.as_str()).collect();
    assert_eq!(who, ["zed", "yan"]);
}

fn tiny() -> (ScheduleSpec, Vec<Shift>) {
    let s = utc_weekly();
    let shifts = vec![
        Shift {
            contact: "ana".to_owned(),
            start: ts("2026-03-01T14:00Z"),
            end: ts("2026-03-08T13:00Z"),
        },
        Shift {
            contact: "bo".to_owned(),
            start: ts("2026-03-08T13:00Z"),
            end: ts("2026-03-15T13:00Z"),
        },
    ];
    (s, shifts)
}

fn display(id: &str) -> String {
    match id {
        "ana" => "Ana Lima".to_owned(),
        other => other.to_uppercase(),
    }
}

#[test]
fn icalendar_for_a_tiny_schedule_is_exact() {
    let (s, shifts) = tiny();
    let got = icalendar(&s, &shifts, &display, ts("2026-02-28T12:00:00Z"));
    let expected = "BEGIN:VCALENDAR\r\n\
        VERSION:2.0\r\n\
        PRODID:-//tocsin//on-call//EN\r\n\
        CALSCALE:GREGORIAN\r\n\
        METHOD:PUBLISH\r\n\
        X-WR-CALNAME:On call (primary)\r\n\
        BEGIN:VEVENT\r\n\
        UID:primary-20260301T140000Z@tocsin\r\n\
        DTSTAMP:20260228T120000Z\r\n\
        DTSTART:20260301T140000Z\r\n\
        DTEND:20260308T130000Z\r\n\
        SUMMARY:On call: Ana Lima (primary)\r\n\
        TRANSP:TRANSPARENT\r\n\
        END:VEVENT\r\n\
        BEGIN:VEVENT\r\n\
        UID:primary-20260308T130000Z@tocsin\r\n\
        DTSTAMP:20260228T120000Z\r\n\
        DTSTART:20260308T130000Z\r\n\
        DTEND:20260315T130000Z\r\n\
        SUMMARY:On call: BO (primary)\r\n\
        TRANSP:TRANSPARENT\r\n\
        END:VEVENT\r\n\
        END:VCALENDAR\r\n";
    assert_eq!(got, expected);
}

#[test]
fn icalendar_has_one_event_per_shift_crlf_and_folded_long_lines() {
    let (s, _) = tiny();
    let s = ScheduleSpec {
        id: "payments, primary".to_owned(),
        ..s
    };
    let shifts = shifts(&s, &[], ts("2026-06-01T00:00Z"), ts("2026-07-01T00:00Z"));
    let long = |_: &str| {
        "Dr. Ana María Lima de Souza e Albuquerque, Site Reliability Engineering".to_owned()
    };
    let got = icalendar(&s, &shifts, &long, ts("2026-06-01T00:00Z"));
    assert!(got.starts_with("BEGIN:VCALENDAR\r\n"));
    assert!(got.ends_with("END:VCALENDAR\r\n"));
    assert_eq!(got.matches("BEGIN:VEVENT\r\n").count(), shifts.len());
    assert_eq!(got.matches("END:VEVENT\r\n").count(), shifts.len());
    assert_eq!(
        got.matches('\n').count(),
        got.matches("\r\n").count(),
        "only CRLF"
    );
    let lines: Vec<&str> = got.split("\r\n").collect();
    assert!(lines.iter().all(|l| l.len() <= 75));
    assert!(
        lines.iter().any(|l| l.starts_with(' ')),
        "the long SUMMARY is folded"
    );
    let unfolded = unfold(&got);
    let summary = "SUMMARY:On call: Dr. Ana María Lima de Souza e Albuquerque\\, Site Reliability \
        Engineering (payments\\, primary)\r\n";
    assert_eq!(unfolded.matches(summary).count(), shifts.len());
    let uids: std::collections::BTreeSet<&str> =
        unfolded.lines().filter(|l| l.starts_with("UID:")).collect();
    assert_eq!(uids.len(), shifts.len(), "UIDs are unique per shift");
}

// Property: the answer is the same anywhere in its own segment, and `next` is who is on call
// when it ends — for any rotation, zone, instant and a few overrides around it.
const ZONES: [&str; 5] = [
    "UTC",
    "America/New_York",
    "Asia/Riyadh",
    "Europe/London",
    "Australia/Lord_Howe",
];

fn every() -> impl Strategy<Value = Duration> {
    prop_oneof![
        (1u64..=14).prop_map(|d| Duration::from_secs(d * 86_400)),
        (60u64..=20_160).prop_map(|m| Duration::from_secs(m * 60)),
    ]
}

prop_compose! {
    fn case()(
        members in 1usize..=5,
        every in every(),
        weekday in 0i8..7,
        hour in 0i8..24,
        minute in 0i8..60,
        zone_index in 0usize..ZONES.len(),
        // 2020-01-01 .. 2032-01-01, whole seconds.
        at in 1_577_836_800i64..1_956_528_000,
        overrides in proptest::collection::vec((-4 * 86_400i64..4 * 86_400, 1i64..4 * 86_400), 0..4),
    ) -> (ScheduleSpec, Vec<Override>, Timestamp) {
        let members: Vec<String> = (0..members).map(|i| format!("m{i}")).collect();
        let s = ScheduleSpec {
            id: "primary".to_owned(),
            timezone: zone(ZONES[zone_index]),
            layers: vec![RotationSpec {
                members,
                every,
                handoff_weekday: Weekday::from_monday_zero_offset(weekday).unwrap(),
                handoff_time: time(hour, minute, 0, 0),
                days: None,
                until: None,
            }],
        };
        let overrides = overrides
            .into_iter()
            .enumerate()
            .map(|(i, (offset, len))| Override {
                schedule: "primary".to_owned(),
                contact: format!("o{i}"),
                from: Timestamp::from_second(at + offset).unwrap(),
                until: Timestamp::from_second(at + offset + len).unwrap(),
            })
            .collect();
        (s, overrides, Timestamp::from_second(at).unwrap())
    }
}

proptest! {
    #[test]
    fn on_call_is_constant_over_its_segment((s, o, at) in case()) {
        let now = on_call(&s, &o, at).unwrap();
        prop_assert!(now.since <= at && at < now.until, "{now:?} at {at}");
        prop_assert_eq!(on_call(&s, &o, now.since), Some(now.clone()));
        prop_assert_eq!(on_call(&s, &o, now.until - SECOND), Some(now.clone()));
        let then = on_call(&s, &o, now.until).unwrap();
        prop_assert_eq!(Some(then.contact), now.next.clone());
        prop_assert_eq!(then.since, now.until);
    }

    #[test]
    fn shifts_tile_the_window((s, o, at) in case()) {
        let until = at + SignedDuration::from_hours(24 * 21);
        let got = shifts(&s, &o, at, until);
        prop_assert!(!got.is_empty());
        prop_assert!(got[0].start <= at);
        prop_assert!(got[got.len() - 1].end >= until);
        for pair in got.windows(2) {
            prop_assert_eq!(pair[0].end, pair[1].start);
        }
        for shift in &got {
            let now = on_call(&s, &o, shift.start).unwrap();
            prop_assert_eq!(&now.contact, &shift.contact);
            prop_assert_eq!((now.since, now.until), (shift.start, shift.end));
        }
    }
}
