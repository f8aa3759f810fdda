//! The one list of due work: every kind of round the engine runs (`Round::ALL`), the worker
//! that runs it in production and how that worker is paced, and `Engine::run_round`. The test
//! harness's `run_due` and the production `Workers` both iterate `Round::ALL`, so a round cannot
//! run in one and be forgotten in the other.

use std::time::Duration;

use tokio::sync::Notify;

use crate::{Engine, EngineError};

/// How often the polling workers look for work when nothing woke them.
pub(crate) const POLL: Duration = Duration::from_millis(250);
/// How often tocsin checks its own health.
pub(crate) const SELF_CHECK_EVERY: Duration = Duration::from_secs(15);

/// Declares the rounds once: the enum and `Round::ALL` come from the same list, in run order.
macro_rules! rounds {
    ($($(#[$doc:meta])* $round:ident,)*) => {
        /// One kind of due work.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Round {
            $($(#[$doc])* $round,)*
        }

        impl Round {
            /// Every round, in the order `run_due` runs them: work one round makes (a probe's
            /// page, a fired timer's escalation) is handled by a later round of the same step.
            pub const ALL: &'static [Round] = &[$(Round::$round,)*];
        }
    };
}

rounds! {
    /// Among several replicas: says this one is alive and holds its share of the monitors.
    Replicas,
    /// Checks the monitors the in-memory schedule says are due, and writes the batch.
    Probes,
    /// Rolls up and prunes check history, once a minute.
    Housekeeping,
    /// Fires due timers back into the engine.
    Timers,
    /// Sends the outbox: pages and channel messages.
    Deliveries,
    /// Status-page subscribers' mail.
    SubscriberMail,
    /// tocsin's checks of its own health (`[self_monitoring]`).
    SelfCheck,
    /// The monthly drill's due work.
    Drill,
    /// Writes new post-mortem files.
    Postmortems,
    /// Customer notices' mail.
    CustomerMail,
    /// The weekly review digest.
    ReviewDigest,
}

/// A production worker: one task that runs its rounds (those of `Round::ALL` whose
/// [`Round::worker`] it is, in that order) at its pace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Worker {
    /// Three times a lease (`server.lease`), among several replicas only.
    Replicas,
    /// The probe loop: each check at its due instant, not in rounds (`runtime.rs`).
    Probes,
    /// At start, then every minute.
    Housekeeping,
    /// Woken by commits that set timers, or every `POLL`.
    Timers,
    /// Woken by commits that queued deliveries, or every `POLL`; each delivery sent on its own
    /// task (`runtime.rs`).
    Deliveries,
    /// Every `POLL`: public updates are rare and a quarter second is soon enough, and on its own
    /// task a thousand subscribers never hold up a page to the person on call.
    Mail,
    /// Every 15 s, the first one period after start.
    SelfCheck,
    /// Every `POLL`: post-mortems are rare.
    Postmortems,
}

/// When a worker runs its rounds.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Pace<'a> {
    /// At the schedule's due instants (the probe loop).
    Schedule,
    /// When `wake` is notified (a commit made work), or every `POLL`.
    Woken(&'a Notify),
    /// Every `POLL`.
    Poll,
    /// At start, then every period.
    Every(Duration),
    /// Every period, the first one period after start: the probe and delivery workers catch up
    /// on work that came due while tocsin was down before their lag counts against them.
    EveryAfterFirst(Duration),
}

impl Round {
    /// The production worker that runs this round.
    pub(crate) fn worker(self) -> Worker {
        match self {
            Round::Replicas => Worker::Replicas,
            Round::Probes => Worker::Probes,
            Round::Housekeeping => Worker::Housekeeping,
            // The drill and the review digest ride on the timer worker: their due times are
            // durable timers of their own kind.
            Round::Timers | Round::Drill | Round::ReviewDigest => Worker::Timers,
            Round::Deliveries => Worker::Deliveries,
            Round::SubscriberMail | Round::CustomerMail => Worker::Mail,
            Round::SelfCheck => Worker::SelfCheck,
            Round::Postmortems => Worker::Postmortems,
        }
    }

    /// What a failure of this round leaves behind, for the log.
    pub(crate) fn on_failure(self) -> &'static str {
        match self {
            Round::Replicas => {
                "holding this replica's share of the monitors failed; it keeps what it holds and tries again"
            }
            Round::Probes => "probing due monitors failed",
            Round::Housekeeping => {
                "rolling up and pruning check history failed; it runs again next minute"
            }
            Round::Timers => "firing due timers failed; they stay due",
            Round::Deliveries => "claiming due deliveries failed",
            Round::SubscriberMail => "sending status-page mail failed; it stays queued",
            Round::SelfCheck => "the self-check failed; it runs again next period",
            Round::Drill => "the drill's due work failed; it stays due",
            Round::Postmortems => "writing post-mortem files failed; they stay queued",
            Round::CustomerMail => "sending customer mail failed; it stays queued",
            Round::ReviewDigest => "the weekly review digest's due work failed; it stays due",
        }
    }

    /// Whether a failure of this round ends `run_due`'s step with the error. Housekeeping's is
    /// logged and the step goes on, as in production: pruning history must never hold up pages.
    pub(crate) fn fails_the_step(self) -> bool {
        !matches!(self, Round::Housekeeping | Round::Replicas)
    }
}

impl Worker {
    /// Whether this worker runs at all with this configuration.
    pub(crate) fn runs(self, config: &tocsin_config::Config) -> bool {
        match self {
            Worker::SelfCheck => config.self_monitoring.is_some(),
            _ => true,
        }
    }

    pub(crate) fn pace(self, engine: &Engine) -> Pace<'_> {
        match self {
            // Its first renewal is start-up's own (`load_schedule`).
            Worker::Replicas => Pace::EveryAfterFirst(engine.renew_every()),
            Worker::Probes => Pace::Schedule,
            Worker::Housekeeping => Pace::Every(crate::housekeeping::HOUSEKEEPING_EVERY),
            Worker::Timers => Pace::Woken(&engine.timers.wake),
            Worker::Deliveries => Pace::Woken(&engine.deliveries.wake),
            Worker::Mail | Worker::Postmortems => Pace::Poll,
            Worker::SelfCheck => Pace::EveryAfterFirst(SELF_CHECK_EVERY),
        }
    }

    /// The rounds this worker runs, in `Round::ALL`'s order.
    pub(crate) fn rounds(self) -> Vec<Round> {
        Round::ALL
            .iter()
            .copied()
            .filter(|round| round.worker() == self)
            .collect()
    }

    /// Every worker `Round::ALL` needs, each once, in the order of its first round.
    pub(crate) fn all() -> Vec<Worker> {
        let mut workers: Vec<Worker> = Vec::new();
        for round in Round::ALL {
            if !workers.contains(&round.worker()) {
                workers.push(round.worker());
            }
        }
        workers
    }
}

impl Engine {
    /// Runs one round of due work, waiting for it to finish; returns how many items it handled.
    pub async fn run_round(&self, round: Round) -> Result<usize, EngineError> {
        match round {
            // Monitors taken over are not work done: they are probed at their slots.
            Round::Replicas => self.hold_share().await.map(|()| 0),
            Round::Probes => self.probe_due().await,
            // It handles no items: a step that only rolled up history did no work.
            Round::Housekeeping => self.housekeeping_round().await.map(|_| 0),
            Round::Timers => self.timer_round().await,
            Round::Deliveries => self.delivery_round().await,
            Round::SubscriberMail => self.subscriber_round().await,
            Round::SelfCheck => self.self_check_round().await,
            Round::Drill => self.drill_round().await,
            Round::Postmortems => self.postmortem_round().await,
            Round::CustomerMail => self.comms_round().await,
            Round::ReviewDigest => self.review_digest_round().await,
        }
    }

    /// Runs every kind of due work once, in `Round::ALL`'s order, waiting for it to finish: the
    /// test harness's step. Returns how many items were handled.
    pub async fn run_due(&self) -> Result<usize, EngineError> {
        let mut handled = 0;
        for &round in Round::ALL {
            match self.run_round(round).await {
                Ok(count) => handled += count,
                Err(error) if !round.fails_the_step() => {
                    tracing::error!(%error, ?round, "{}", round.on_failure());
                }
                Err(error) => return Err(error),
            }
        }
        Ok(handled)
    }
}

#[cfg(test)]
mod tests {
    use super::{Round, Worker};

    #[test]
    fn every_round_is_listed_once() {
        for round in Round::ALL {
            assert_eq!(
                Round::ALL.iter().filter(|listed| *listed == round).count(),
                1,
                "{round:?}"
            );
        }
    }

    #[test]
    fn work_a_round_makes_is_handled_later_in_the_same_step() {
        let at = |round: Round| Round::ALL.iter().position(|listed| *listed == round);
        // A probe's change of status pages; a fired timer escalates: both are delivered next.
        assert!(at(Round::Probes) < at(Round::Timers));
        assert!(at(Round::Timers) < at(Round::Deliveries));
    }

    #[test]
    fn every_round_has_exactly_one_worker_that_runs_it() {
        let workers = Worker::all();
        for round in Round::ALL {
            let running: Vec<&Worker> = workers
                .iter()
                .filter(|worker| worker.rounds().contains(round))
                .collect();
            assert_eq!(running, [&round.worker()], "{round:?}");
        }
    }
}
