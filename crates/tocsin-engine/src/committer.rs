//! The committer: one thread of its own that commits what requests queue — signals and
//! heartbeat pings — group after group, while tokio's workers go on with HTTP.
//!
//! Without it, the request that finds the queue free leads the commit: its worker hands its
//! core to another thread for the transaction (`block_in_place`), and after the commit the next
//! leader waits behind every answer the commit woke before it is polled (measured: a third of
//! the time between two commits during an alert storm). Here the transaction runs on a thread
//! that does nothing else, and the next group starts as soon as the last one is answered.
//!
//! The thread runs a current-thread runtime: a commit still awaits the store (its write turn,
//! the roster's reads), and on that runtime the SQLite writer runs on the calling thread without
//! a hand-off. A committed group's answers wait for its flush to disk on a runtime worker, not
//! here: the next group is written while the last one is flushed (`Answers::send`). Without
//! running workers (tests that step the engine themselves) there is no committer, and each
//! request leads as before (`Engine::submit`, `Engine::ping`).

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{Notify, watch};

use crate::Engine;

/// Committed signal groups whose answers may wait for their flush at once.
const IN_FLIGHT: usize = 4;

/// Whether the committer runs, and what wakes it.
#[derive(Debug, Default)]
pub(crate) struct Committer {
    /// Set by the committer's thread when it starts, cleared when it stops. A request reads it
    /// holding the lock of the queue it just joined; the committer clears it holding both
    /// queues' locks, so no request can queue for a committer that has gone.
    running: AtomicBool,
    /// A request queued something.
    queued: Notify,
}

impl Committer {
    /// Whether the committer will commit what the caller just queued (read under that queue's
    /// lock).
    pub(crate) fn running(&self) -> bool {
        self.running.load(Ordering::SeqCst)
    }

    /// Tells the committer something was queued.
    pub(crate) fn wake(&self) {
        self.queued.notify_one();
    }
}

/// Starts the committer's thread; resolves once it has committed everything queued after
/// `stopped` turned true. When the thread cannot start, the requests lead their own commits.
pub(crate) fn start(
    engine: Arc<Engine>,
    stopped: watch::Receiver<bool>,
) -> Option<impl Future<Output = ()> + Send + 'static> {
    // Answers are sent from the runtime that started the committer (its workers serve HTTP).
    let Ok(answering) = tokio::runtime::Handle::try_current() else {
        tracing::error!(
            "the committer was started outside a runtime; requests commit their own groups"
        );
        return None;
    };
    let started = crate::own_thread::start("tocsin-commit", move || {
        // Requests queue for the committer only from here on: until now they led their own
        // commits, so none can wait for a committer that never started.
        engine.committer.running.store(true, Ordering::SeqCst);
        commit_queued(engine, stopped, answering)
    });
    match started {
        Ok(done) => Some(done),
        Err(error) => {
            tracing::error!(%error, "the committer's thread did not start; requests commit their own groups");
            None
        }
    }
}

/// Commits queued signals and pings, a group of each at a time, until shutdown was asked for
/// (or the workers are gone) and nothing is left queued.
async fn commit_queued(
    engine: Arc<Engine>,
    mut stopped: watch::Receiver<bool>,
    answering: tokio::runtime::Handle,
) {
    let mut stopping = false;
    let mut flushing: VecDeque<tokio::task::JoinHandle<()>> = VecDeque::new();
    loop {
        let signals = engine.take_batch();
        let pings = engine.take_pings();
        if signals.is_empty() && pings.is_empty() {
            stopping = stopping || *stopped.borrow();
            if stopping {
                // Every later request leads its own commit; stop only when nothing slipped in
                // since the queues were read, and every committed group has been answered.
                if engine.committer_stops() {
                    for answered in flushing {
                        let _ = answered.await;
                    }
                    return;
                }
                continue;
            }
            tokio::select! {
                // A closed channel (the workers dropped without a shutdown) stops it too.
                changed = stopped.changed() => stopping = changed.is_err() || *stopped.borrow(),
                () = engine.committer.queued.notified() => {}
            }
            continue;
        }
        // At most `IN_FLIGHT` committed groups wait for their flush: past that the disk, not
        // the writer, is what holds the storm back, and the next group waits its turn.
        flushing.retain(|answered| !answered.is_finished());
        while flushing.len() >= IN_FLIGHT {
            if let Some(oldest) = flushing.pop_front() {
                let _ = oldest.await;
            }
        }
        // Each group in a task of its own (on this thread): a panic while committing fails that
        // group's requests — their answers are dropped, so they answer "retry later" — and never
        // the committer, which every later request waits on.
        let group = engine.clone();
        let answering = answering.clone();
        let committed = tokio::spawn(async move {
            let mut answers = None;
            if !signals.is_empty() {
                // The leader lock, as a leading request holds it: one group commit of signals
                // at a time, also against a request that led before the committer started.
                let _leader = group.intake.leader.lock().await;
                answers = Some(group.commit_batch_unflushed(signals).await);
            }
            // The answers wait for the flush on a runtime worker, so this thread goes on to
            // the next group while the disk takes this one.
            let flushed = answers.map(|answers| {
                let engine = group.clone();
                answering.spawn(async move { answers.send(&engine).await })
            });
            if !pings.is_empty() {
                group.commit_ping_group(pings).await;
            }
            flushed
        })
        .await;
        match committed {
            Ok(Some(flushed)) => flushing.push_back(flushed),
            Ok(None) => {}
            Err(error) => {
                tracing::error!(%error, "a group commit failed unexpectedly; its senders are told to retry");
            }
        }
    }
}

impl Engine {
    /// Stops delegating to the committer if both queues are empty (read under both locks, so
    /// no request can queue for a committer that has gone); false if something is waiting.
    fn committer_stops(&self) -> bool {
        let signals = self.intake.lock();
        let pings = self.prober.pings.lock();
        if !signals.is_empty() || !pings.is_empty() {
            return false;
        }
        self.committer.running.store(false, Ordering::SeqCst);
        true
    }
}
