//! A schedule's rotation layers together: which layer decides at an instant, and the stretch of
//! time over which that answer holds. A later layer wins wherever it has someone on call (inside
//! one of its windows); elsewhere the next one down decides.

use jiff::Timestamp;

use super::ScheduleSpec;
use super::rotation::Rotation;
use super::window::Window;

/// One layer that can have someone on call: its turns and, unless it is on around the clock,
/// its windows.
#[derive(Debug, Clone, Copy)]
struct Layer<'a> {
    rotation: Rotation<'a>,
    window: Option<Window<'a>>,
}

/// Who the layers put on call over `[since, until)`, before overrides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Stretch<'a> {
    pub contact: Option<&'a str>,
    pub since: Timestamp,
    pub until: Timestamp,
}

/// The layers of a schedule that can have someone, in configured order.
#[derive(Debug, Clone)]
pub(super) struct Layers<'a> {
    layers: Vec<Layer<'a>>,
}

impl<'a> Layers<'a> {
    /// Layers without members, with a zero period or with no day at all are left out: they
    /// never have anyone, so they never win.
    pub(super) fn new(schedule: &'a ScheduleSpec) -> Layers<'a> {
        let layers = schedule
            .layers
            .iter()
            .filter_map(|spec| {
                let rotation = Rotation::new(spec, &schedule.timezone)?;
                let window = Window::new(spec, &schedule.timezone);
                if window.is_some_and(|window| !window.ever()) {
                    return None;
                }
                Some(Layer { rotation, window })
            })
            .collect();
        Layers { layers }
    }

    /// The stretch containing `at`: `since <= at < until`. It ends at the winning layer's next
    /// hand-off or the end of its window, or when a later layer's window opens, whichever is
    /// first; it began at the latest of the matching starts. So every instant of it gets the
    /// same answer, and a hand-off between layers is an edge like any other.
    pub(super) fn stretch(&self, at: Timestamp) -> Stretch<'a> {
        // While a later layer is off, its last close and next open bound the stretch.
        let mut since = Timestamp::MIN;
        let mut until = Timestamp::MAX;
        for layer in self.layers.iter().rev() {
            let (opened, closes) = match &layer.window {
                None => (Timestamp::MIN, Timestamp::MAX),
                Some(window) => match window.cover(at) {
                    Some(cover) => cover,
                    None => {
                        since = since.max(window.last_close(at));
                        until = until.min(window.next_open(at));
                        continue;
                    }
                },
            };
            let n = layer.rotation.shift_at(at);
            let shift_start = layer.rotation.handoff(n).unwrap_or(Timestamp::MIN);
            let shift_end = layer.rotation.handoff(n + 1).unwrap_or(Timestamp::MAX);
            return Stretch {
                contact: Some(layer.rotation.member(n)),
                since: since.max(opened).max(shift_start),
                until: until.min(closes).min(shift_end),
            };
        }
        Stretch {
            contact: None,
            since,
            until,
        }
    }
}
