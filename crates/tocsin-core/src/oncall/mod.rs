//! Who is on call: rotations, overrides and the shifts they make, as pure functions of time.
//!
//! A schedule's timeline is cut into segments wherever the *source* of the on-call person
//! changes: a layer's handoff, a layer's window opening or closing, or an override starting or
//! ending. Every question — who is on call now, until when, who is next, the shifts in a window
//! — is answered from the segment that contains an instant, so the answers agree with each
//! other by construction.
//!
//! Segments are never merged, even when the same person continues (a one-member rotation, a
//! layer handing back to the one below it with the same person on call, or an override given to
//! the person whose shift follows): `until` is always the next such edge, and `next` may equal
//! `contact`.

mod ical;
#[cfg(test)]
mod layer_tests;
mod layers;
mod override_record;
mod rotation;
#[cfg(test)]
mod tests;
mod window;

use std::time::Duration;

use jiff::Timestamp;
use jiff::civil::{Time, Weekday};
use jiff::tz::TimeZone;

pub use ical::icalendar;
use layers::Layers;
pub use override_record::OverrideRecord;
pub use rotation::ANCHOR_REFERENCE;

/// One rotation layer: `members` take turns, handing off at `handoff_weekday handoff_time` in
/// the schedule's zone and every `every` after that. With `days` or `until` the layer has someone
/// on call only inside its daily windows (see `window.rs`); the turns go on counting outside them.
///
/// The turn order is anchored at the first handoff at or after [`ANCHOR_REFERENCE`]
/// (2024-01-01T00:00 local), where `members[0]` starts; before it the rotation extends backwards
/// the same way. A whole-days `every` steps in wall-clock time (Sunday 09:00 stays Sunday 09:00
/// across DST); any other `every` steps in elapsed time from that first handoff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationSpec {
    /// Contact ids, in turn order.
    pub members: Vec<String>,
    pub every: Duration,
    pub handoff_weekday: Weekday,
    pub handoff_time: Time,
    /// The weekdays whose windows the layer covers, each opening at `handoff_time`; `None`: every
    /// day.
    pub days: Option<Vec<Weekday>>,
    /// When each window closes: the same day when later than `handoff_time`, else the next day.
    /// `None`: at the next day's `handoff_time` (or never, when `days` is `None` too).
    pub until: Option<Time>,
}

impl RotationSpec {
    /// A layer on call around the clock, as `rotation = { … }` writes it.
    pub fn always(
        members: Vec<String>,
        every: Duration,
        handoff_weekday: Weekday,
        handoff_time: Time,
    ) -> RotationSpec {
        RotationSpec {
            members,
            every,
            handoff_weekday,
            handoff_time,
            days: None,
            until: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleSpec {
    pub id: String,
    pub timezone: TimeZone,
    /// Later layers win where they have someone on call (inside their windows); elsewhere the
    /// one below decides. Layers that never have anyone (no members) are skipped.
    pub layers: Vec<RotationSpec>,
}

/// Someone standing in for the rotation on `schedule` over `[from, until)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    pub schedule: String,
    pub contact: String,
    pub from: Timestamp,
    pub until: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnCall {
    pub contact: String,
    /// When this segment began: the handoff, the override's start, or the end of an override
    /// that interrupted this shift.
    pub since: Timestamp,
    /// When it ends: the next handoff, or an override starting or ending, whichever is first.
    pub until: Timestamp,
    /// Who is on call at `until` (`None` only if nobody is, e.g. an override on an empty rotation).
    pub next: Option<String>,
}

/// One stretch of the timeline with one person on call, `[start, end)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shift {
    pub contact: String,
    pub start: Timestamp,
    pub end: Timestamp,
}

/// The most shifts [`shifts`] returns: a feed is asked for a window, and a tiny `every` over a
/// long window must not become an unbounded allocation.
pub const MAX_SHIFTS: usize = 10_000;

/// Who is on call at `at`. An override covering `at` wins over every layer; among overlapping
/// overrides the latest-starting one wins (on a tie, the later one in `overrides`). Overrides
/// apply even when the rotation has no members. `None` when nobody is on call.
pub fn on_call(schedule: &ScheduleSpec, overrides: &[Override], at: Timestamp) -> Option<OnCall> {
    let timeline = Timeline::new(schedule, overrides);
    let segment = timeline.segment(at);
    let contact = segment.contact?;
    let next = timeline.segment(segment.until).contact;
    Some(OnCall {
        contact: contact.to_owned(),
        since: segment.since,
        until: segment.until,
        next: next.map(str::to_owned),
    })
}

/// The shifts overlapping `[from, until)`, in order. They are whole segments — the first may
/// start before `from` and the last end after `until` — so a calendar event keeps its start (and
/// its UID) as the feed's window slides. Stretches with nobody on call are absent; at most
/// [`MAX_SHIFTS`] are returned.
pub fn shifts(
    schedule: &ScheduleSpec,
    overrides: &[Override],
    from: Timestamp,
    until: Timestamp,
) -> Vec<Shift> {
    let timeline = Timeline::new(schedule, overrides);
    let mut out = Vec::new();
    let mut at = from;
    while at < until && out.len() < MAX_SHIFTS {
        let segment = timeline.segment(at);
        if let Some(contact) = segment.contact {
            out.push(Shift {
                contact: contact.to_owned(),
                start: segment.since,
                end: segment.until,
            });
        }
        // A segment always ends after the instant it was asked about; the guard only protects
        // against looping forever at the very end of representable time.
        if segment.until <= at {
            break;
        }
        at = segment.until;
    }
    out
}

/// A schedule's layers and its relevant overrides, prepared once per call.
struct Timeline<'a> {
    layers: Layers<'a>,
    /// Overrides for this schedule with a non-empty range, with their position for tie-breaks.
    overrides: Vec<(usize, &'a Override)>,
}

struct Segment<'a> {
    contact: Option<&'a str>,
    since: Timestamp,
    until: Timestamp,
}

impl<'a> Timeline<'a> {
    fn new(schedule: &'a ScheduleSpec, overrides: &'a [Override]) -> Timeline<'a> {
        let layers = Layers::new(schedule);
        // An override with `until <= from` covers nothing; ignoring it keeps every segment
        // non-empty.
        let overrides = overrides
            .iter()
            .enumerate()
            .filter(|(_, o)| o.schedule == schedule.id && o.from < o.until)
            .collect();
        Timeline { layers, overrides }
    }

    /// The segment containing `at`: `since <= at < until` (except at the ends of time, where
    /// `until` is clamped to `Timestamp::MAX`).
    fn segment(&self, at: Timestamp) -> Segment<'a> {
        // Any override starting after `at` would win from its start (it starts later than
        // whatever covers `at`), so it bounds every kind of segment.
        let next_start = self
            .overrides
            .iter()
            .map(|(_, o)| o.from)
            .filter(|from| *from > at)
            .min()
            .unwrap_or(Timestamp::MAX);
        let winner = self
            .overrides
            .iter()
            .filter(|(_, o)| o.from <= at && at < o.until)
            .max_by_key(|(i, o)| (o.from, *i));
        let (contact, start, end) = match winner {
            Some(&(i, o)) => {
                // It took over at its start, or when a later-starting override inside it ended.
                let resumed = self.last_end(at, |j, other| (other.from, j) > (o.from, i));
                (Some(o.contact.as_str()), o.from.max(resumed), o.until)
            }
            None => {
                let stretch = self.layers.stretch(at);
                let resumed = self.last_end(at, |_, _| true);
                (stretch.contact, stretch.since.max(resumed), stretch.until)
            }
        };
        Segment {
            contact,
            since: start,
            until: end.min(next_start),
        }
    }

    /// The latest end, at or before `at`, of an override matching `filter`: after it, no such
    /// override covers anything up to `at` (one that did would cover `at` or end later).
    fn last_end(&self, at: Timestamp, filter: impl Fn(usize, &Override) -> bool) -> Timestamp {
        self.overrides
            .iter()
            .filter(|(i, o)| o.until <= at && filter(*i, o))
            .map(|(_, o)| o.until)
            .max()
            .unwrap_or(Timestamp::MIN)
    }
}
