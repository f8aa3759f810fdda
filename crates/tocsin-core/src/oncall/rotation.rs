//! One rotation layer's handoff arithmetic: which shift an instant falls in, and when shifts start.

use jiff::Timestamp;
use jiff::civil::{Date, Time, date};
use jiff::tz::{Disambiguation, TimeZone};
use jiff::{Span, Unit};

use super::RotationSpec;

/// The fixed reference the rotation counts from: the first handoff at or after this local
/// date-time is handoff 0, with `members[0]` on call from it. A constant (rather than, say, the
/// date the schedule was written) keeps the answer a pure function of the configuration.
pub const ANCHOR_REFERENCE: Date = date(2024, 1, 1);

const NANOS_PER_DAY: u128 = 86_400 * 1_000_000_000;

/// The handoff rule, resolved once per call.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// `every` is a whole number of days: handoffs are `days` CALENDAR days apart at the same
    /// wall-clock time, so a weekly rotation keeps Sunday 09:00 across DST changes.
    Civil { days: i128 },
    /// Anything else (12h, 36h, 90m): handoffs are exactly `nanos` of elapsed time apart, so
    /// every shift has the same length even when the wall clock jumps.
    Elapsed { anchor: i128, nanos: i128 },
}

/// A rotation layer that has someone on call (non-empty members, non-zero period).
#[derive(Debug, Clone, Copy)]
pub(super) struct Rotation<'a> {
    members: &'a [String],
    tz: &'a TimeZone,
    anchor: Date,
    spec: &'a RotationSpec,
    step: Step,
}

impl<'a> Rotation<'a> {
    /// `None` when the layer can never have anyone: no members, or a zero period (which config
    /// validation should reject; here it means "this layer is empty" rather than a panic).
    pub(super) fn new(spec: &'a RotationSpec, tz: &'a TimeZone) -> Option<Rotation<'a>> {
        let nanos = spec.every.as_nanos();
        if spec.members.is_empty() || nanos == 0 {
            return None;
        }
        let offset = i64::from(spec.handoff_weekday.to_monday_zero_offset())
            - i64::from(ANCHOR_REFERENCE.weekday().to_monday_zero_offset());
        let anchor = ANCHOR_REFERENCE
            .checked_add(Span::new().try_days(offset.rem_euclid(7)).ok()?)
            .ok()?;
        let step = if nanos.is_multiple_of(NANOS_PER_DAY) {
            Step::Civil {
                days: i128::try_from(nanos / NANOS_PER_DAY).ok()?,
            }
        } else {
            let anchor = resolve(tz, anchor, spec.handoff_time)?.as_nanosecond();
            Step::Elapsed {
                anchor,
                nanos: i128::try_from(nanos).ok()?,
            }
        };
        Some(Rotation {
            members: &spec.members,
            tz,
            anchor,
            spec,
            step,
        })
    }

    /// Who holds shift `n` (shift 0 starts at the anchor; negative shifts precede it).
    pub(super) fn member(&self, n: i128) -> &'a str {
        // `members` is non-empty (checked in `new`), so the modulus is at least 1 and the index
        // is in range; `get` keeps this panic-free regardless.
        let len = i128::try_from(self.members.len()).unwrap_or(i128::MAX);
        usize::try_from(n.rem_euclid(len))
            .ok()
            .and_then(|i| self.members.get(i))
            .map_or("", String::as_str)
    }

    /// When shift `n` starts; `None` if that instant is outside what jiff can represent.
    pub(super) fn handoff(&self, n: i128) -> Option<Timestamp> {
        match self.step {
            Step::Civil { days } => {
                let days = i64::try_from(n.checked_mul(days)?).ok()?;
                let day = self
                    .anchor
                    .checked_add(Span::new().try_days(days).ok()?)
                    .ok()?;
                resolve(self.tz, day, self.spec.handoff_time)
            }
            Step::Elapsed { anchor, nanos } => {
                let at = anchor.checked_add(n.checked_mul(nanos)?)?;
                Timestamp::from_nanosecond(at).ok()
            }
        }
    }

    /// The shift in force at `at`: the largest `n` whose handoff is at or before `at`.
    pub(super) fn shift_at(&self, at: Timestamp) -> i128 {
        match self.step {
            Step::Elapsed { anchor, nanos } => (at.as_nanosecond() - anchor).div_euclid(nanos),
            Step::Civil { days } => {
                // Estimate from the local calendar, then correct: a DST offset moves a handoff
                // by less than a day, so the estimate is off by at most one shift. The loops are
                // bounded anyway, because time-zone data is input too.
                let local = self.tz.to_datetime(at);
                let mut elapsed = self
                    .anchor
                    .until((Unit::Day, local.date()))
                    .map_or(0, |span| i128::from(span.get_days()));
                if local.time() < self.spec.handoff_time {
                    elapsed -= 1;
                }
                let mut n = elapsed.div_euclid(days);
                for _ in 0..8 {
                    match self.handoff(n) {
                        Some(start) if start > at => n -= 1,
                        _ => break,
                    }
                }
                // `>=` rather than `>`: if a zone skips a whole day (Samoa, 2011) two handoffs
                // can resolve to the same instant, and the later shift is the one in force.
                for _ in 0..8 {
                    match self.handoff(n + 1) {
                        Some(next) if next <= at => n += 1,
                        _ => break,
                    }
                }
                n
            }
        }
    }
}

/// The instant of a local handoff (or a layer's window edge) at `time` on `day`. A handoff inside a spring-forward gap (02:30 on a
/// day that jumps from 02:00 to 03:00) resolves to the same distance past the gap (03:30); one
/// in a fall-back fold resolves to its first occurrence. That is `Disambiguation::Compatible`
/// (RFC 5545 and Temporal's default), so calendars and tocsin agree on when shifts start.
pub(super) fn resolve(tz: &TimeZone, day: Date, time: Time) -> Option<Timestamp> {
    tz.to_ambiguous_timestamp(day.to_datetime(time))
        .disambiguate(Disambiguation::Compatible)
        .ok()
}
