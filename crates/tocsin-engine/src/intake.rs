//! Group commit for inbound signals: requests queue their items; the committer
//! (`committer.rs`), or without it whoever holds the leader lock, commits everything queued so
//! far in one transaction and answers every waiter once the commit is on disk. Throughput does
//! not stop at one fsync per request, and a 2xx still means "on disk". The queue is bounded:
//! past it, callers are told to come back later, never accepted and then dropped.

use std::sync::Mutex;

use tocsin_store::ItemOutcome;
use tokio::sync::oneshot;

use crate::work::{Decided, Work};
use crate::{Engine, EngineError};

/// Items waiting for the next commit, at most this many: past it, 429.
pub const INTAKE_LIMIT: usize = 20_000;
/// Items committed in one transaction at most, so one batch cannot hold the writer for long.
const BATCH_LIMIT: usize = 2_000;

type Reply = oneshot::Sender<Result<Vec<ItemOutcome>, EngineError>>;

#[derive(Debug, Default)]
pub(crate) struct Intake {
    queue: Mutex<Queue>,
    pub(crate) leader: tokio::sync::Mutex<()>,
}

#[derive(Debug, Default)]
pub(crate) struct Queue {
    waiting: Vec<(Vec<Work>, Reply)>,
    items: usize,
}

impl Queue {
    pub(crate) fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }
}

impl Intake {
    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Engine {
    /// Commits `works` (one request's items) with whatever else is queued; returns after the commit.
    pub(crate) async fn submit(&self, works: Vec<Work>) -> Result<Vec<ItemOutcome>, EngineError> {
        let (reply, mut answer) = oneshot::channel();
        let delegated = {
            let mut queue = self.intake.lock();
            if queue.items + works.len() > INTAKE_LIMIT {
                return Err(EngineError::Busy);
            }
            queue.items += works.len();
            queue.waiting.push((works, reply));
            self.committer.running()
        };
        if delegated {
            self.committer.wake();
        } else {
            let _leader = self.intake.leader.lock().await;
            loop {
                // Committed by an earlier leader while we waited: answer without leading, so
                // the items queued since wait for a fuller batch instead of a tiny one.
                match answer.try_recv() {
                    Ok(result) => return result,
                    Err(oneshot::error::TryRecvError::Closed) => break,
                    Err(oneshot::error::TryRecvError::Empty) => {}
                }
                let batch = self.take_batch();
                if batch.is_empty() {
                    break;
                }
                self.commit_batch(batch).await;
                // Stop leading once our own items were committed; the next waiter leads on.
                match answer.try_recv() {
                    Ok(result) => return result,
                    Err(oneshot::error::TryRecvError::Empty) => continue,
                    Err(oneshot::error::TryRecvError::Closed) => break,
                }
            }
        }
        // The committer, or a previous leader, committed our items.
        answer
            .await
            .map_err(|_| EngineError::Unavailable("the commit was abandoned".into()))?
    }

    pub(crate) fn take_batch(&self) -> Vec<(Vec<Work>, Reply)> {
        let mut queue = self.intake.lock();
        let mut taken = Vec::new();
        let mut count = 0;
        while let Some((works, _)) = queue.waiting.first() {
            if count > 0 && count + works.len() > BATCH_LIMIT {
                break;
            }
            count += works.len();
            taken.push(queue.waiting.remove(0));
        }
        queue.items -= count;
        taken
    }

    /// Commits `batch` and answers its waiters once the commit is on disk.
    pub(crate) async fn commit_batch(&self, batch: Vec<(Vec<Work>, Reply)>) {
        self.commit_batch_unflushed(batch).await.send(self).await;
    }

    /// Commits `batch` and returns at once, with the answers to send once it is on disk: the
    /// committer writes the next group meanwhile.
    pub(crate) async fn commit_batch_unflushed(&self, batch: Vec<(Vec<Work>, Reply)>) -> Answers {
        let sizes: Vec<usize> = batch.iter().map(|(works, _)| works.len()).collect();
        let (all, replies): (Vec<Vec<Work>>, Vec<Reply>) = batch.into_iter().unzip();
        let decided = self
            .decide_all_unflushed(all.into_iter().flatten().collect())
            .await;
        Answers {
            waiters: sizes.into_iter().zip(replies).collect(),
            decided,
        }
    }
}

/// A committed group's waiters and what to tell them once its commit is on disk.
#[must_use = "the waiters hear nothing until the answers are sent"]
pub(crate) struct Answers {
    /// Each waiter with how many of the group's items are its own, in order.
    waiters: Vec<(usize, Reply)>,
    decided: Result<Decided, EngineError>,
}

impl Answers {
    /// Waits for the commit to be on disk, then answers every waiter with its own outcomes
    /// (or, when the commit or its flush failed, tells each to retry).
    pub(crate) async fn send(self, engine: &Engine) {
        let outcomes = match self.decided {
            Ok(decided) => decided.when_on_disk(engine).await,
            Err(error) => Err(error),
        };
        match outcomes {
            Ok(outcomes) => {
                let mut outcomes = outcomes.into_iter();
                for (size, reply) in self.waiters {
                    let _ = reply.send(Ok(outcomes.by_ref().take(size).collect()));
                }
            }
            Err(error) => {
                tracing::error!(%error, "committing a batch of signals failed; its senders are told to retry");
                for (_, reply) in self.waiters {
                    let _ = reply.send(Err(EngineError::Unavailable(error.to_string())));
                }
            }
        }
    }
}
