//! Deciding items in one transaction: what to decide (`Work`) and the call that reads each
//! item's situation, decides it with the pure core, and writes the result — all inside the
//! store's one transaction, so no decision is ever made on stale state.

use jiff::Timestamp;
use tocsin_core::check::CheckOutcome;
use tocsin_core::decide::{Effect, Input, decide};
use tocsin_core::inbound::Change;
use tocsin_core::signal::{Signal, SignalStatus};
use tocsin_store::plan::StoredSignal;
use tocsin_store::{CheckCommit, Commit, Item, ItemOutcome};

use crate::{Engine, EngineError};

/// One thing to decide and what to commit with it.
#[derive(Debug, Clone)]
pub(crate) struct Work {
    pub item: Item,
    /// The input for the pure engine; `None` records the extras only.
    pub input: Option<Input>,
    pub signal: Option<StoredSignal>,
    pub check: Option<CheckCommit>,
    pub fired_timer: Option<i64>,
    pub consume_token: Option<String>,
    pub changes: Vec<Change>,
}

impl Work {
    pub fn new(item: Item, input: Option<Input>) -> Self {
        Work {
            item,
            input,
            signal: None,
            check: None,
            fired_timer: None,
            consume_token: None,
            changes: Vec::new(),
        }
    }

    /// Decides `signal` against the incident open under its dedup key, and keeps the signal.
    pub fn for_signal(signal: Signal) -> Self {
        let item = Item {
            lookup: tocsin_store::Lookup::Key {
                dedup_key: signal.dedup_key.clone(),
                group: None,
            },
            delivery: None,
        };
        Work::signal(item, signal)
    }

    /// Decides `signal` as `item` says and keeps the signal's row. The row is serialized here,
    /// on the caller's task: the group commit's writer is the one part of the path that does
    /// not run in parallel. The decision never reads the sender's details (the row keeps
    /// them), so they are freed here too rather than inside the commit.
    pub fn signal(item: Item, mut signal: Signal) -> Self {
        let stored = StoredSignal::of(&signal);
        drop(std::mem::take(&mut signal.details));
        let mut work = Work::new(item, Some(Input::Signal(signal)));
        work.signal = Some(stored);
        work
    }
}

impl Engine {
    /// Decides every item in one transaction, in order, each seeing the ones before it;
    /// returns once the commit is on disk and its effects are under way.
    pub(crate) async fn decide_all(
        &self,
        works: Vec<Work>,
    ) -> Result<Vec<ItemOutcome>, EngineError> {
        self.decide_all_unflushed(works)
            .await?
            .when_on_disk(self)
            .await
    }

    /// [`Engine::decide_all`] up to the commit: returns as soon as the store has committed
    /// (the write turn free for the next group) with what is left to do once the commit is on
    /// disk — answering, handing the new pages over, waking the workers.
    pub(crate) async fn decide_all_unflushed(
        &self,
        works: Vec<Work>,
    ) -> Result<Decided, EngineError> {
        let decides = works.iter().any(|work| work.input.is_some());
        // One configuration for the whole batch, whatever a reload does meanwhile.
        let live = self.live();
        let mut wakes = Wakes::default();
        // Who is on call, resolved once for the batch (a batch spans milliseconds).
        let roster = self.roster(&live, self.now()).await?;
        // What holds pages back (silences, inhibition), read once for a batch that has a
        // firing signal: only those may open, reopen or release an incident.
        let fires = works.iter().any(|work| {
            matches!(&work.input, Some(Input::Signal(signal)) if signal.status == SignalStatus::Firing)
        });
        let taken = if fires {
            self.quiet(&live, self.now()).await?
        } else {
            crate::silences::TakenQuiet::default()
        };
        let mut quiet = taken.quiet.clone();
        // Whether a decision holds or frees a component: then the kept `Quiet` must hear of it.
        let mut holding_changed = false;
        let items: Vec<Item> = works.iter().map(|work| work.item.clone()).collect();
        let mut works: Vec<Option<Work>> = works.into_iter().map(Some).collect();
        let mut decider = |index: usize, situation: &tocsin_core::decide::Situation| {
            let work = works
                .get_mut(index)
                .and_then(Option::take)
                .unwrap_or_else(|| unreachable!("the store asks for each item exactly once"));
            let now = self.now();
            let mut decision = match work.input {
                Some(input) => decide(
                    &live.policy,
                    situation,
                    input,
                    &self.ctx(now, &roster, &quiet),
                )?,
                None => Default::default(),
            };
            holding_changed |= tocsin_core::noise::changes_holding(
                &live.policy,
                situation.incident.as_ref(),
                decision.incident.as_ref(),
            );
            // A SEV-1 this batch opened (or resolved, or moved) holds (or frees) its component
            // for the decisions after it.
            if let Some(incident) = decision.incident.as_ref()
                && quiet.changed_by(&live.policy, incident)
            {
                std::sync::Arc::make_mut(&mut quiet).note(&live.policy, incident);
            }
            // The core chose which customers are told what; the texts are rendered here.
            self.render_customer_comms(&mut decision);
            wakes.note(&decision.effects, now);
            Ok(Commit {
                now,
                decision,
                signal: work.signal,
                check: work.check,
                fired_timer: work.fired_timer,
                consume_token: work.consume_token,
                changes: work.changes,
            })
        };
        // The deliveries these decisions create go straight to the delivery worker, leased to
        // this process: the first send of a new page waits for no claim of its own.
        let hand_over_until = Some(self.delivery_lease_until(self.now()));
        let transacted = self
            .store
            .transact(items, hand_over_until, &mut decider)
            .await;
        // Told once the change is visible to a read: the batch's own `Quiet`, kept current by
        // its decisions, is what the store now says — unless something else changed meanwhile
        // (`QuietCache::settle`). A failed commit may have changed nothing, but reading afresh
        // costs one read.
        match &transacted {
            Ok(_) if holding_changed => self.quiet_cache.settle(&taken, quiet),
            Ok(_) => {}
            Err(_) => self.quiet_cache.forget(),
        }
        let transacted = transacted?;
        Ok(Decided {
            outcomes: transacted.outcomes,
            handed: transacted.handed,
            durable: transacted.durable,
            decides,
            wakes,
        })
    }

    /// Decides one item on its own.
    pub(crate) async fn decide_one(&self, work: Work) -> Result<ItemOutcome, EngineError> {
        let mut outcomes = self.decide_all(vec![work]).await?;
        outcomes
            .pop()
            .ok_or_else(|| EngineError::Unavailable("the store returned no outcome".into()))
    }
}

/// A committed batch whose effects wait for its commit to be on disk: nothing of it is
/// answered or sent before, and the pages' caches are not told it changed (a crash before the
/// flush loses it whole, and its senders, having had no answer, send it again). A read may
/// already see it, and so does the next batch's `Quiet` (`QuietCache`), which follows what a
/// read would find: after a failed flush no batch is decided again.
#[derive(Debug)]
#[must_use = "a committed batch is answered only through `when_on_disk`"]
pub(crate) struct Decided {
    outcomes: Vec<ItemOutcome>,
    handed: Vec<tocsin_store::PendingDelivery>,
    durable: tocsin_store::Durable,
    decides: bool,
    wakes: Wakes,
}

impl Decided {
    /// Waits for the commit to be on disk, then sets its effects going; its outcomes.
    pub(crate) async fn when_on_disk(
        self,
        engine: &Engine,
    ) -> Result<Vec<ItemOutcome>, EngineError> {
        self.durable.wait().await?;
        if self.decides {
            engine.bump_generation();
        }
        // Handing deliveries over wakes their sender; other notices wake it too.
        engine.deliveries.hand(self.handed);
        if self.wakes.deliveries {
            engine.deliveries.wake.notify_one();
        }
        if self.wakes.timers {
            engine.timers.wake.notify_one();
        }
        Ok(self.outcomes)
    }
}

/// Which workers a batch's decisions give work to at once. The workers poll every `POLL`
/// anyway, so only work due sooner wakes them: an alert storm that only grows incidents must
/// not send the timer and delivery workers to the database after every commit.
#[derive(Debug, Default)]
struct Wakes {
    deliveries: bool,
    timers: bool,
}

impl Wakes {
    fn note(&mut self, effects: &[Effect], now: Timestamp) {
        let soon = now + crate::rounds::POLL;
        for effect in effects {
            match effect {
                Effect::Notify { .. } | Effect::Page { .. } => self.deliveries = true,
                Effect::SetTimer { due_at, .. } => self.timers |= *due_at <= soon,
                Effect::CancelTimers { .. } | Effect::CancelPages { .. } => {}
                // Rare and not timed: wake both rather than reason about each.
                _ => {
                    self.deliveries = true;
                    self.timers = true;
                }
            }
        }
    }
}

/// A failed check's outcome with a message and no HTTP status (heartbeats).
pub(crate) fn failed(error: String) -> CheckOutcome {
    CheckOutcome::down(None, 0, error)
}
