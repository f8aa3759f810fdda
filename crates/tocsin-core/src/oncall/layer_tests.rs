//! Tests for schedules of several layers: a weekday day shift over a 24/7 rotation, checked
//! against an independent model at every hand-off of a month that crosses a DST change, and
//! properties of random layered schedules.

use std::collections::BTreeSet;
use std::time::Duration;

use jiff::civil::{Date, DateTime, Time, Weekday, date, time};
use jiff::tz::{TimeZone, TimeZoneDatabase};
use jiff::{SignedDuration, Timestamp, ToSpan, Unit};
use proptest::prelude::*;

use super::*;

const SECOND: SignedDuration = SignedDuration::from_secs(1);
const DAY: Duration = Duration::from_secs(86_400);
const WEEK: Duration = Duration::from_secs(7 * 86_400);
const BERLIN: &str = "Europe/Berlin";

fn zone(name: &str) -> TimeZone {
    TimeZoneDatabase::bundled().get(name).unwrap()
}

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn names(members: &[&str]) -> Vec<String> {
    members.iter().map(|m| (*m).to_owned()).collect()
}

fn local(tz: &str, dt: DateTime) -> Timestamp {
    dt.to_zoned(zone(tz)).unwrap().timestamp()
}

const WEEKDAYS: [Weekday; 5] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
];

/// The acceptance schedule: ana, bo and cy take weeks around the clock (Monday 08:00), and on
/// weekdays from 09:00 to 17:00 dee and eli take days.
fn two_layers() -> ScheduleSpec {
    ScheduleSpec {
        id: "primary".to_owned(),
        timezone: zone(BERLIN),
        layers: vec![
            RotationSpec::always(
                names(&["ana", "bo", "cy"]),
                WEEK,
                Weekday::Monday,
                time(8, 0, 0, 0),
            ),
            RotationSpec {
                days: Some(WEEKDAYS.to_vec()),
                until: Some(time(17, 0, 0, 0)),
                ..RotationSpec::always(
                    names(&["dee", "eli"]),
                    DAY,
                    Weekday::Monday,
                    time(9, 0, 0, 0),
                )
            },
        ],
    }
}

/// Whole local days from the documented anchor (2024-01-01, a Monday) to the local date of the
/// turn in force at `clock` on `day` for a turn starting daily at `handoff`.
fn turn_days(day: Date, clock: Time, handoff: Time) -> i64 {
    let days = date(2024, 1, 1).until((Unit::Day, day)).unwrap().get_days();
    i64::from(days) - i64::from(clock < handoff)
}

/// The model: who the schedule says is on call at `at`, from the local wall clock alone.
fn model(at: Timestamp) -> &'static str {
    let here = at.to_zoned(zone(BERLIN));
    let (day, clock) = (here.date(), here.time());
    let weekday_daytime =
        WEEKDAYS.contains(&day.weekday()) && time(9, 0, 0, 0) <= clock && clock < time(17, 0, 0, 0);
    if weekday_daytime {
        ["dee", "eli"][turn_days(day, clock, time(0, 0, 0, 0)).rem_euclid(2) as usize]
    } else {
        let week = turn_days(day, clock, time(8, 0, 0, 0)).div_euclid(7);
        ["ana", "bo", "cy"][week.rem_euclid(3) as usize]
    }
}

/// The model's hand-offs in `[from, until)`: Monday 08:00 and every weekday's 09:00 and 17:00.
fn model_handoffs(from: Date, until: Date) -> BTreeSet<Timestamp> {
    let mut out = BTreeSet::new();
    let mut day = from;
    while day < until {
        if day.weekday() == Weekday::Monday {
            out.insert(local(BERLIN, day.to_datetime(time(8, 0, 0, 0))));
        }
        if WEEKDAYS.contains(&day.weekday()) {
            out.insert(local(BERLIN, day.to_datetime(time(9, 0, 0, 0))));
            out.insert(local(BERLIN, day.to_datetime(time(17, 0, 0, 0))));
        }
        day = day.tomorrow().unwrap();
    }
    out
}

/// March 2027 in Berlin: clocks go from 02:00 to 03:00 on Sunday the 28th.
fn march_2027() -> (Timestamp, Timestamp) {
    (
        local(BERLIN, date(2027, 3, 1).to_datetime(time(0, 0, 0, 0))),
        local(BERLIN, date(2027, 4, 1).to_datetime(time(0, 0, 0, 0))),
    )
}

#[test]
fn two_layers_name_the_right_person_on_both_sides_of_every_handoff_of_a_month_across_dst() {
    let s = two_layers();
    let (from, until) = march_2027();
    assert_ne!(
        zone(BERLIN).to_offset(from),
        zone(BERLIN).to_offset(until),
        "the month crosses a DST change"
    );
    let got = shifts(&s, &[], from, until);
    let edges: BTreeSet<Timestamp> = got
        .iter()
        .map(|shift| shift.start)
        .filter(|start| (from..until).contains(start))
        .collect();
    assert_eq!(
        edges,
        model_handoffs(date(2027, 3, 1), date(2027, 4, 1)),
        "the hand-offs are exactly Monday 08:00 and each weekday's 09:00 and 17:00"
    );
    for edge in &edges {
        let before = on_call(&s, &[], *edge - SECOND).unwrap();
        let after = on_call(&s, &[], *edge).unwrap();
        assert_eq!(before.contact, model(*edge - SECOND), "before {edge}");
        assert_eq!(after.contact, model(*edge), "at {edge}");
        assert_eq!(before.until, *edge);
        assert_eq!(after.since, *edge);
        assert_eq!(before.next.as_deref(), Some(model(*edge)), "next at {edge}");
    }
    for shift in &got {
        assert_eq!(shift.contact, model(shift.start), "{shift:?}");
    }
    // Local wall-clock times hold on both sides of the change: 09:00 is 08:00Z in winter and
    // 07:00Z in summer.
    let friday = on_call(&s, &[], ts("2027-03-26T12:00Z")).unwrap();
    assert_eq!(
        (friday.since, friday.until),
        (ts("2027-03-26T08:00Z"), ts("2027-03-26T16:00Z"))
    );
    let monday = on_call(&s, &[], ts("2027-03-29T12:00Z")).unwrap();
    assert_eq!(
        (monday.since, monday.until),
        (ts("2027-03-29T07:00Z"), ts("2027-03-29T15:00Z"))
    );
    // The weekend across the change: Friday 17:00 CET to Monday 08:00 CEST is 62 hours, not 63.
    let weekend = on_call(&s, &[], ts("2027-03-28T12:00Z")).unwrap();
    assert_eq!(
        (weekend.since, weekend.until),
        (ts("2027-03-26T16:00Z"), ts("2027-03-29T06:00Z"))
    );
}

#[test]
fn two_layers_agree_with_the_model_every_quarter_hour_of_the_month() {
    let s = two_layers();
    let (from, until) = march_2027();
    let mut at = from;
    while at < until {
        let now = on_call(&s, &[], at).unwrap();
        assert_eq!(now.contact, model(at), "at {at}");
        assert!(now.since <= at && at < now.until);
        at += SignedDuration::from_mins(15);
    }
}

#[test]
fn the_autumn_change_keeps_the_windows_on_the_wall_clock() {
    let s = two_layers();
    // 2027-10-31: Berlin goes back from 03:00 CEST to 02:00 CET.
    let friday = on_call(&s, &[], ts("2027-10-29T10:00Z")).unwrap();
    assert_eq!(friday.since, ts("2027-10-29T07:00Z"));
    let weekend = on_call(&s, &[], ts("2027-10-31T12:00Z")).unwrap();
    assert_eq!(
        (weekend.since, weekend.until),
        (ts("2027-10-29T15:00Z"), ts("2027-11-01T07:00Z")),
        "Friday 17:00 CEST to Monday 08:00 CET: 64 hours"
    );
    let monday = on_call(&s, &[], ts("2027-11-01T08:00Z")).unwrap();
    assert_eq!(monday.since, ts("2027-11-01T08:00Z"), "09:00 CET");
    assert_eq!(monday.contact, model(ts("2027-11-01T08:00Z")));
}

#[test]
fn overrides_win_over_every_layer() {
    let s = two_layers();
    let o = [Override {
        schedule: "primary".to_owned(),
        contact: "zed".to_owned(),
        from: ts("2027-03-10T10:00Z"),
        until: ts("2027-03-10T18:00Z"),
    }];
    let inside = on_call(&s, &o, ts("2027-03-10T12:00Z")).unwrap();
    assert_eq!(inside.contact, "zed");
    assert_eq!(inside.next.as_deref(), Some(model(ts("2027-03-10T18:00Z"))));
    let before = on_call(&s, &o, ts("2027-03-10T09:00Z")).unwrap();
    assert_eq!(
        (before.contact.as_str(), before.until),
        (model(ts("2027-03-10T09:00Z")), ts("2027-03-10T10:00Z"))
    );
    // The day layer closed at 17:00 (16:00Z) under the override: the base layer resumes.
    let after = on_call(&s, &o, ts("2027-03-10T18:00Z")).unwrap();
    assert_eq!(after.contact, model(ts("2027-03-10T18:00Z")));
    assert_eq!(after.since, ts("2027-03-10T18:00Z"));
}

#[test]
fn a_night_window_ends_the_next_morning_and_gaps_leave_nobody() {
    // Only a night layer: 22:00 to 06:00, Friday and Saturday nights.
    let s = ScheduleSpec {
        id: "primary".to_owned(),
        timezone: zone("UTC"),
        layers: vec![RotationSpec {
            days: Some(vec![Weekday::Friday, Weekday::Saturday]),
            until: Some(time(6, 0, 0, 0)),
            ..RotationSpec::always(names(&["owl"]), WEEK, Weekday::Friday, time(22, 0, 0, 0))
        }],
    };
    // 2027-03-05 is a Friday.
    let night = on_call(&s, &[], ts("2027-03-06T03:00Z")).unwrap();
    assert_eq!(night.contact, "owl");
    assert_eq!(
        (night.since, night.until),
        (ts("2027-03-05T22:00Z"), ts("2027-03-06T06:00Z"))
    );
    assert_eq!(night.next, None, "nobody from Saturday 06:00");
    assert_eq!(on_call(&s, &[], ts("2027-03-06T12:00Z")), None);
    assert_eq!(on_call(&s, &[], ts("2027-03-08T12:00Z")), None);
    let got = shifts(&s, &[], ts("2027-03-01T00:00Z"), ts("2027-03-08T00:00Z"));
    let spans: Vec<(Timestamp, Timestamp)> = got.iter().map(|s| (s.start, s.end)).collect();
    assert_eq!(
        spans,
        [
            (ts("2027-03-05T22:00Z"), ts("2027-03-06T06:00Z")),
            (ts("2027-03-06T22:00Z"), ts("2027-03-07T06:00Z")),
        ]
    );
}

#[test]
fn days_without_until_are_one_stretch_from_the_first_opening_to_the_last_close() {
    // A weekly layer on call Monday 09:00 to Saturday 09:00 over a base: no hand-off at midnight
    // or at 09:00 in between.
    let s = ScheduleSpec {
        id: "primary".to_owned(),
        timezone: zone("UTC"),
        layers: vec![
            RotationSpec::always(names(&["base"]), WEEK, Weekday::Monday, time(0, 0, 0, 0)),
            RotationSpec {
                days: Some(WEEKDAYS.to_vec()),
                ..RotationSpec::always(names(&["top"]), WEEK, Weekday::Monday, time(9, 0, 0, 0))
            },
        ],
    };
    // 2027-03-01 is a Monday.
    let now = on_call(&s, &[], ts("2027-03-03T12:00Z")).unwrap();
    assert_eq!(now.contact, "top");
    assert_eq!(
        (now.since, now.until),
        (ts("2027-03-01T09:00Z"), ts("2027-03-06T09:00Z"))
    );
    assert_eq!(now.next.as_deref(), Some("base"));
}

#[test]
fn a_layer_that_never_has_anyone_is_skipped() {
    let mut s = two_layers();
    s.layers.push(RotationSpec {
        days: Some(vec![]),
        ..RotationSpec::always(names(&["ghost"]), DAY, Weekday::Monday, time(0, 0, 0, 0))
    });
    s.layers.push(RotationSpec {
        until: Some(time(12, 0, 0, 0)),
        ..RotationSpec::always(vec![], DAY, Weekday::Monday, time(0, 0, 0, 0))
    });
    let at = ts("2027-03-10T12:00Z");
    assert_eq!(on_call(&s, &[], at), on_call(&two_layers(), &[], at));
}

#[test]
fn a_window_edge_in_the_spring_gap_moves_past_it() {
    // A window from 02:30, which does not exist in Berlin on 2027-03-28: it opens at 03:30 CEST.
    let s = ScheduleSpec {
        id: "primary".to_owned(),
        timezone: zone(BERLIN),
        layers: vec![
            RotationSpec::always(names(&["base"]), WEEK, Weekday::Monday, time(0, 0, 0, 0)),
            RotationSpec {
                until: Some(time(6, 0, 0, 0)),
                ..RotationSpec::always(names(&["early"]), DAY, Weekday::Monday, time(2, 30, 0, 0))
            },
        ],
    };
    let now = on_call(&s, &[], ts("2027-03-28T02:00Z")).unwrap();
    assert_eq!(now.contact, "early");
    assert_eq!(
        (now.since, now.until),
        (ts("2027-03-28T01:30Z"), ts("2027-03-28T04:00Z"))
    );
    let before = on_call(&s, &[], ts("2027-03-28T01:29:59Z")).unwrap();
    assert_eq!(before.contact, "base");
}

// Property: for random layered schedules, the answer is the same anywhere in its segment,
// `next` is who is on call when it ends, and shifts tile a window.
const ZONES: [&str; 4] = ["UTC", "America/New_York", BERLIN, "Australia/Lord_Howe"];

fn every() -> impl Strategy<Value = Duration> {
    prop_oneof![
        (1u64..=14).prop_map(|d| Duration::from_secs(d * 86_400)),
        (60u64..=20_160).prop_map(|m| Duration::from_secs(m * 60)),
    ]
}

fn clock() -> impl Strategy<Value = Time> {
    (0i8..24, 0i8..4).prop_map(|(hour, quarter)| time(hour, quarter * 15, 0, 0))
}

fn layer() -> impl Strategy<Value = RotationSpec> {
    (
        0usize..=3,
        every(),
        0i8..7,
        clock(),
        proptest::option::of(proptest::collection::btree_set(0i8..7, 0..=7)),
        proptest::option::of(clock()),
    )
        .prop_map(
            |(members, every, weekday, handoff, days, until)| RotationSpec {
                members: (0..members).map(|i| format!("m{i}")).collect(),
                every,
                handoff_weekday: Weekday::from_monday_zero_offset(weekday).unwrap(),
                handoff_time: handoff,
                days: days.map(|days| {
                    days.into_iter()
                        .map(|d| Weekday::from_monday_zero_offset(d).unwrap())
                        .collect()
                }),
                until: until.filter(|until| *until != handoff),
            },
        )
}

prop_compose! {
    fn layered()(
        layers in proptest::collection::vec(layer(), 1..=3),
        zone_index in 0usize..ZONES.len(),
        // 2020-01-01 .. 2032-01-01, whole seconds.
        at in 1_577_836_800i64..1_956_528_000,
        overrides in proptest::collection::vec((-4 * 86_400i64..4 * 86_400, 1i64..2 * 86_400), 0..3),
    ) -> (ScheduleSpec, Vec<Override>, Timestamp) {
        let s = ScheduleSpec {
            id: "primary".to_owned(),
            timezone: zone(ZONES[zone_index]),
            layers,
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

/// Who is on call at `at`, from the layers' own rules applied one instant at a time: the last
/// layer with members whose window covers `at` (checked from the local clock), else nobody.
fn naive(s: &ScheduleSpec, at: Timestamp) -> Option<String> {
    let here = at.to_zoned(s.timezone.clone());
    s.layers.iter().rev().find_map(|layer| {
        if layer.members.is_empty() || layer.every.is_zero() {
            return None;
        }
        let opened_on = |day: Date| {
            let on = layer
                .days
                .as_ref()
                .is_none_or(|days| days.contains(&day.weekday()));
            let opens = day.to_datetime(layer.handoff_time);
            let closes = match layer.until {
                Some(until) if until > layer.handoff_time => day.to_datetime(until),
                Some(until) => (day + 1.day()).to_datetime(until),
                None => (day + 1.day()).to_datetime(layer.handoff_time),
            };
            let instant =
                |dt: DateTime| s.timezone.to_ambiguous_timestamp(dt).compatible().unwrap();
            on && instant(opens) <= at && at < instant(closes)
        };
        let always = layer.days.is_none() && layer.until.is_none();
        let covered = always || (-2..=0).any(|offset| opened_on(here.date() + offset.days()));
        covered.then(|| {
            // Who holds the turn is the code under test's arithmetic; windows are the model's.
            let single = ScheduleSpec {
                layers: vec![RotationSpec::always(
                    layer.members.clone(),
                    layer.every,
                    layer.handoff_weekday,
                    layer.handoff_time,
                )],
                ..s.clone()
            };
            on_call(&single, &[], at).map(|o| o.contact)
        })?
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn a_layered_answer_is_constant_over_its_segment((s, o, at) in layered()) {
        let Some(now) = on_call(&s, &o, at) else {
            return Ok(());
        };
        prop_assert!(now.since <= at && at < now.until, "{now:?} at {at}");
        prop_assert_eq!(on_call(&s, &o, now.since), Some(now.clone()));
        prop_assert_eq!(on_call(&s, &o, now.until - SECOND), Some(now.clone()));
        let then = on_call(&s, &o, now.until);
        prop_assert_eq!(then.as_ref().map(|t| t.contact.clone()), now.next.clone());
        if let Some(then) = then {
            prop_assert_eq!(then.since, now.until);
        }
    }

    #[test]
    fn a_layered_answer_matches_the_layers_rules((s, _o, at) in layered()) {
        prop_assert_eq!(on_call(&s, &[], at).map(|o| o.contact), naive(&s, at));
    }

    #[test]
    fn layered_shifts_tile_the_window((s, o, at) in layered()) {
        let until = at + SignedDuration::from_hours(24 * 15);
        let got = shifts(&s, &o, at, until);
        for pair in got.windows(2) {
            prop_assert!(pair[0].end <= pair[1].start);
        }
        for shift in &got {
            let now = on_call(&s, &o, shift.start).unwrap();
            prop_assert_eq!(&now.contact, &shift.contact);
            prop_assert_eq!((now.since, now.until), (shift.start, shift.end));
        }
        // Every instant of the window is either in a shift or has nobody on call.
        let mut probe = at;
        while probe < until {
            let inside = got.iter().any(|s| s.start <= probe && probe < s.end);
            prop_assert_eq!(inside, on_call(&s, &o, probe).is_some(), "at {}", probe);
            probe += SignedDuration::from_hours(7);
        }
    }
}
