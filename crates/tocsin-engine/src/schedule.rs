//! The in-memory schedule: every probed monitor keyed by its next due instant in a binary heap,
//! so the probe worker sleeps until exactly the next check and starts it then — no polling, no
//! claim round-trip to the store on the hot path. The store keeps each monitor's `next_check_at`
//! (written with its results), which is where a restart resumes.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Mutex;

use jiff::Timestamp;
use tocsin_core::monitor::MonitorState;
use tocsin_store::MonitorRecord;
use tokio::sync::Notify;

/// Where a monitor goes after a check: its state (when it is tracked here; heartbeats keep
/// theirs in the store) and its next due instant.
#[derive(Debug, Clone)]
pub(crate) struct Rescheduled {
    pub state: Option<MonitorState>,
    pub next: Timestamp,
}

#[derive(Debug, Default)]
pub(crate) struct Schedule {
    inner: Mutex<Inner>,
    /// Wakes the probe worker when a monitor became due earlier than it planned to sleep.
    pub(crate) changed: Notify,
}

#[derive(Debug, Default)]
struct Inner {
    /// (due ms, generation, slot): an entry whose generation is not its slot's is stale.
    heap: BinaryHeap<Reverse<(i64, u64, usize)>>,
    slots: Vec<Slot>,
    by_id: HashMap<String, usize>,
}

#[derive(Debug)]
struct Slot {
    record: MonitorRecord,
    generation: u64,
    in_flight: bool,
    /// This replica probes it (always, on a single node; its share, among several replicas).
    held: bool,
}

impl Inner {
    fn push(&mut self, slot: usize, due: Timestamp) {
        let Some(entry) = self.slots.get_mut(slot) else {
            return;
        };
        entry.generation = entry.generation.wrapping_add(1);
        entry.record.next_check_at = due;
        self.heap
            .push(Reverse((due.as_millisecond(), entry.generation, slot)));
    }

    fn earliest(&self) -> Option<i64> {
        self.heap.peek().map(|Reverse((due, _, _))| *due)
    }
}

impl Schedule {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds (or replaces) monitors with their state and first due instant.
    pub fn load(&self, records: Vec<MonitorRecord>) {
        let mut inner = self.lock();
        for record in records {
            let due = record.next_check_at;
            let slot = match inner.by_id.get(&record.id) {
                Some(slot) => *slot,
                None => {
                    let slot = inner.slots.len();
                    inner.by_id.insert(record.id.clone(), slot);
                    inner.slots.push(Slot {
                        record: record.clone(),
                        generation: 0,
                        in_flight: false,
                        held: true,
                    });
                    slot
                }
            };
            if let Some(entry) = inner.slots.get_mut(slot) {
                entry.record = record;
                entry.held = true;
            }
            inner.push(slot, due);
        }
        drop(inner);
        self.changed.notify_one();
    }

    /// Those of `ids` the schedule does not hold yet.
    pub fn not_held(&self, ids: &[String]) -> Vec<String> {
        let inner = self.lock();
        ids.iter()
            .filter(|id| {
                inner
                    .by_id
                    .get(*id)
                    .and_then(|slot| inner.slots.get(*slot))
                    .is_none_or(|entry| !entry.held)
            })
            .cloned()
            .collect()
    }

    /// Keeps exactly the monitors `held` in the schedule (this replica's share): `taken`, the
    /// records of those new to it, are added as `load` adds them; the others leave it (one being
    /// checked finishes its check, then stays out). Answers how many were added.
    pub fn hold(&self, held: &[String], taken: Vec<MonitorRecord>) -> usize {
        let keep: std::collections::HashSet<&str> = held.iter().map(String::as_str).collect();
        let mut inner = self.lock();
        for entry in &mut inner.slots {
            if entry.held && !keep.contains(entry.record.id.as_str()) {
                entry.held = false;
                // Its entries in the heap are stale from now on.
                entry.generation = entry.generation.wrapping_add(1);
            }
        }
        drop(inner);
        let added = taken.len();
        if added > 0 {
            self.load(taken);
        }
        added
    }

    /// Takes every monitor due at `now`, earliest first; each stays out of the schedule until
    /// [`Schedule::finish`] puts it back.
    pub fn take_due(&self, now: Timestamp) -> Vec<MonitorRecord> {
        let now = now.as_millisecond();
        let mut inner = self.lock();
        let mut due = Vec::new();
        while let Some(Reverse((at, generation, slot))) = inner.heap.peek().copied() {
            if at > now {
                break;
            }
            inner.heap.pop();
            if let Some(entry) = inner.slots.get_mut(slot)
                && entry.generation == generation
                && entry.held
                && !entry.in_flight
            {
                entry.in_flight = true;
                due.push(entry.record.clone());
            }
        }
        due
    }

    /// Puts a checked monitor back, due at `next`.
    pub fn finish(&self, id: &str, rescheduled: Rescheduled) {
        let mut inner = self.lock();
        let Some(slot) = inner.by_id.get(id).copied() else {
            return;
        };
        let earlier = inner
            .earliest()
            .is_none_or(|due| rescheduled.next.as_millisecond() < due);
        let Some(entry) = inner.slots.get_mut(slot) else {
            return;
        };
        entry.in_flight = false;
        if !entry.held {
            // Another replica probes it now; if it comes back, it comes with its stored record.
            return;
        }
        if let Some(state) = rescheduled.state {
            entry.record.state = state;
        }
        inner.push(slot, rescheduled.next);
        drop(inner);
        if earlier {
            self.changed.notify_one();
        }
    }

    /// Moves a monitor's next due instant (a heartbeat's ping moved its deadline). A monitor
    /// being checked keeps its check; `finish` then sets its next instant.
    pub fn set_due(&self, id: &str, due: Timestamp) {
        let mut inner = self.lock();
        let Some(slot) = inner.by_id.get(id).copied() else {
            return;
        };
        if inner
            .slots
            .get(slot)
            .is_none_or(|entry| entry.in_flight || !entry.held)
        {
            return;
        }
        inner.push(slot, due);
        drop(inner);
        self.changed.notify_one();
    }

    /// The earliest instant any monitor is due.
    pub fn next_due(&self) -> Option<Timestamp> {
        let mut inner = self.lock();
        // Drop stale entries so the answer is a real due instant.
        while let Some(Reverse((_, generation, slot))) = inner.heap.peek().copied() {
            let live = inner.slots.get(slot).is_some_and(|entry| {
                entry.generation == generation && entry.held && !entry.in_flight
            });
            if live {
                break;
            }
            inner.heap.pop();
        }
        inner
            .earliest()
            .and_then(|due| Timestamp::from_millisecond(due).ok())
    }

    /// A monitor as the schedule knows it (its latest state, its next due instant), if this
    /// replica probes it.
    pub fn record(&self, id: &str) -> Option<MonitorRecord> {
        let inner = self.lock();
        let slot = inner.by_id.get(id)?;
        inner
            .slots
            .get(*slot)
            .filter(|entry| entry.held)
            .map(|entry| entry.record.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, due_ms: i64) -> MonitorRecord {
        MonitorRecord {
            id: id.to_owned(),
            state: MonitorState::pending(),
            next_check_at: Timestamp::from_millisecond(due_ms).expect("valid"),
            run_started_at: None,
        }
    }

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_millisecond(ms).expect("valid")
    }

    #[test]
    fn monitors_come_due_in_order_and_once_until_put_back() {
        let schedule = Schedule::default();
        schedule.load(vec![
            record("b", 2_000),
            record("a", 1_000),
            record("c", 9_000),
        ]);
        assert_eq!(schedule.next_due(), Some(at(1_000)));
        assert!(schedule.take_due(at(999)).is_empty());
        let due: Vec<String> = schedule
            .take_due(at(2_000))
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(due, ["a", "b"]);
        assert!(schedule.take_due(at(5_000)).is_empty(), "in flight");
        assert_eq!(schedule.next_due(), Some(at(9_000)));
        schedule.finish(
            "a",
            Rescheduled {
                state: None,
                next: at(3_000),
            },
        );
        assert_eq!(schedule.next_due(), Some(at(3_000)));
        // A moved deadline replaces the old entry.
        schedule.set_due("c", at(4_000));
        let due: Vec<String> = schedule
            .take_due(at(8_000))
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(due, ["a", "c"]);
    }
}
