//! A layer's daily windows: when a layer limited by `days` and `until` can have someone on call.
//!
//! A window opens at the layer's hand-off time of day on each of its `days` (local time in the
//! schedule's zone) and closes at `until` — the same day when `until` is later, else the next
//! day — or, without `until`, at the next day's hand-off time. Windows that touch (consecutive
//! days without `until`) are one stretch: the layer does not hand over to itself at midnight.

use jiff::Timestamp;
use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{Span, ToSpan};

use super::RotationSpec;
use super::rotation::resolve;

/// How far back and ahead a window edge is looked for, in days. A window is at most about a
/// day long and some weekday is missing (else there is no window at all), so a run of touching
/// windows spans at most six days and its edges are within this many days of any instant.
const REACH: i64 = 8;

/// The windows of a layer that is not on call around the clock.
#[derive(Debug, Clone, Copy)]
pub(super) struct Window<'a> {
    tz: &'a TimeZone,
    /// Monday first.
    days: [bool; 7],
    opens: Time,
    closes: Option<Time>,
}

impl<'a> Window<'a> {
    /// `None` when the layer is on call at every instant (no `days` limit, or all seven, and no
    /// `until`); `Some` with no day at all when it never is (an empty `days`).
    pub(super) fn new(spec: &RotationSpec, tz: &'a TimeZone) -> Option<Window<'a>> {
        let mut days = [spec.days.is_none(); 7];
        for day in spec.days.iter().flatten() {
            if let Some(slot) = usize::try_from(day.to_monday_zero_offset())
                .ok()
                .and_then(|at| days.get_mut(at))
            {
                *slot = true;
            }
        }
        if spec.until.is_none() && days.iter().all(|on| *on) {
            return None;
        }
        Some(Window {
            tz,
            days,
            opens: spec.handoff_time,
            closes: spec.until,
        })
    }

    /// Whether the layer has any window at all.
    pub(super) fn ever(&self) -> bool {
        self.days.iter().any(|on| *on)
    }

    fn on(&self, weekday: Weekday) -> bool {
        usize::try_from(weekday.to_monday_zero_offset())
            .ok()
            .and_then(|at| self.days.get(at))
            .copied()
            .unwrap_or(false)
    }

    /// The window opening on `day`, `[opens, closes)`; `None` when `day` is not one of the
    /// layer's days, or when a clock change leaves the window empty.
    fn of(&self, day: Date) -> Option<(Timestamp, Timestamp)> {
        if !self.on(day.weekday()) {
            return None;
        }
        let next = day.checked_add(1.day()).ok()?;
        let opens = resolve(self.tz, day, self.opens)?;
        let closes = match self.closes {
            Some(closes) if closes > self.opens => resolve(self.tz, day, closes)?,
            Some(closes) => resolve(self.tz, next, closes)?,
            None => resolve(self.tz, next, self.opens)?,
        };
        (opens < closes).then_some((opens, closes))
    }

    /// The windows opening from `offset_from` to `offset_to` days around `at`'s local date.
    fn around(
        &self,
        at: Timestamp,
        offset_from: i64,
        offset_to: i64,
    ) -> impl Iterator<Item = (Date, (Timestamp, Timestamp))> + '_ {
        let today = self.tz.to_datetime(at).date();
        (offset_from..=offset_to).filter_map(move |offset| {
            let day = today.checked_add(Span::new().try_days(offset).ok()?).ok()?;
            Some((day, self.of(day)?))
        })
    }

    /// The stretch of touching windows containing `at`, `[start, end)`; `None` when the layer
    /// is off at `at`.
    pub(super) fn cover(&self, at: Timestamp) -> Option<(Timestamp, Timestamp)> {
        // A window opens at most a day and a clock change before the local date it covers.
        let (day, (mut start, mut end)) = self
            .around(at, -2, 0)
            .filter(|(_, (opens, closes))| *opens <= at && at < *closes)
            .last()?;
        let mut later = day;
        for _ in 0..REACH {
            let Some(next) = later.checked_add(1.day()).ok() else {
                break;
            };
            match self.of(next) {
                Some((opens, closes)) if opens <= end && closes > end => {
                    end = closes;
                    later = next;
                }
                _ => break,
            }
        }
        let mut earlier = day;
        for _ in 0..REACH {
            let Some(previous) = earlier.checked_sub(1.day()).ok() else {
                break;
            };
            match self.of(previous) {
                Some((opens, closes)) if closes >= start && opens < start => {
                    start = opens;
                    earlier = previous;
                }
                _ => break,
            }
        }
        Some((start, end))
    }

    /// When the layer next comes on after `at` (it is off at `at`); `Timestamp::MAX` when no
    /// window opens within reach.
    pub(super) fn next_open(&self, at: Timestamp) -> Timestamp {
        self.around(at, -1, REACH)
            .map(|(_, (opens, _))| opens)
            .find(|opens| *opens > at)
            .unwrap_or(Timestamp::MAX)
    }

    /// When the layer last went off at or before `at` (it is off at `at`); `Timestamp::MIN`
    /// when no window closed within reach.
    pub(super) fn last_close(&self, at: Timestamp) -> Timestamp {
        self.around(at, -REACH, 0)
            .map(|(_, (_, closes))| closes)
            .filter(|closes| *closes <= at)
            .max()
            .unwrap_or(Timestamp::MIN)
    }
}
