//! The production workers, one per worker of `Round::ALL` (`rounds.rs` says which rounds each
//! runs and at what pace): the probe loop, on a thread of its own, which sleeps until the
//! schedule's next due instant and starts each check then; loops that fire timers and deliver,
//! woken by commits or every quarter second; the polling ones; the once-a-minute roll-up and the
//! self-check. Besides them, the check writer, which writes buffered results every second or when
//! a batch fills, the committer's thread (`committer.rs`), which commits queued signals and
//! pings, and the watchdog's pings. They stop gracefully: in-flight work finishes, buffered
//! results are written, unclaimed work stays queued.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use crate::Engine;
use crate::rounds::{POLL, Pace, Round, Worker};

/// The probe loop's longest sleep.
const MAX_SLEEP: Duration = Duration::from_secs(1);

/// The running workers; [`Workers::shutdown`] stops them and waits for in-flight work.
#[derive(Debug)]
pub struct Workers {
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
    engine: Arc<Engine>,
}

impl Workers {
    /// Starts one worker per entry of `Round::ALL`'s workers (see `rounds.rs`), the check
    /// writer, the committer and, with `[watchdog]`, the watchdog's pings.
    pub fn start(engine: Arc<Engine>) -> Workers {
        let (stop, stopped) = watch::channel(false);
        let mut tasks = JoinSet::new();
        for worker in Worker::all() {
            if !worker.runs(&engine.config()) {
                continue;
            }
            let (engine, stopped) = (engine.clone(), stopped.clone());
            match worker {
                Worker::Probes => {
                    // On a thread of its own (`own_thread.rs`): each probe's connect, request
                    // and answer are then woken on one thread, not handed between workers.
                    let (own_engine, own_stopped) = (engine.clone(), stopped.clone());
                    let own = move || probe_loop(own_engine, own_stopped);
                    match crate::own_thread::start("tocsin-probe", own) {
                        Ok(done) => tasks.spawn(done),
                        Err(error) => {
                            tracing::error!(%error, "the probe thread did not start; probes run on the shared workers");
                            tasks.spawn(probe_loop(engine, stopped))
                        }
                    }
                }
                Worker::Deliveries => tasks.spawn(delivery_loop(engine, stopped)),
                _ => tasks.spawn(round_loop(engine, worker, stopped)),
            };
        }
        tasks.spawn(check_writer_loop(engine.clone(), stopped.clone()));
        if let Some(committer) = crate::committer::start(engine.clone(), stopped.clone()) {
            tasks.spawn(committer);
        }
        if let Some(watchdog) = &engine.config().watchdog {
            tasks.spawn(watchdog_loop(engine.clone(), watchdog.every, stopped));
        }
        Workers {
            stop,
            tasks,
            engine,
        }
    }

    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        while self.tasks.join_next().await.is_some() {}
        // Every check has finished: write what is still buffered.
        if self.engine.flush_checks().await.is_err() {
            tracing::error!(
                pending = self.engine.pending_checks(),
                "check results could not be written at shutdown"
            );
        }
    }
}

/// Runs a worker's rounds, one after the other, at the worker's pace until shutdown. A failed
/// round is logged and its work stays due for the next turn.
async fn round_loop(engine: Arc<Engine>, worker: Worker, mut stopped: watch::Receiver<bool>) {
    let rounds = worker.rounds();
    match worker.pace(&engine) {
        Pace::Woken(wake) => {
            while pause(Some(wake), &mut stopped).await {
                run_rounds(&engine, &rounds).await;
            }
        }
        Pace::Poll => {
            while pause(None, &mut stopped).await {
                run_rounds(&engine, &rounds).await;
            }
        }
        Pace::Every(period) => loop {
            run_rounds(&engine, &rounds).await;
            tokio::select! {
                _ = stopped.changed() => break,
                () = tokio::time::sleep(period) => {}
            }
        },
        Pace::EveryAfterFirst(period) => {
            let start = tokio::time::Instant::now() + period;
            let mut ticks = tokio::time::interval_at(start, period);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = stopped.changed() => return,
                    _ = ticks.tick() => {}
                }
                if *stopped.borrow() {
                    return;
                }
                run_rounds(&engine, &rounds).await;
            }
        }
        // The probe loop has a worker of its own.
        Pace::Schedule => {}
    }
}

/// Runs each round once; a failure is logged and that round's work stays due.
async fn run_rounds(engine: &Engine, rounds: &[Round]) {
    for &round in rounds {
        if let Err(error) = engine.run_round(round).await {
            tracing::error!(%error, ?round, "{}", round.on_failure());
        }
    }
}

/// Waits for the next round (the poll, or `wake`); false once shutdown was asked for.
async fn pause(wake: Option<&Notify>, stopped: &mut watch::Receiver<bool>) -> bool {
    if *stopped.borrow() {
        return false;
    }
    let woken = async {
        match wake {
            Some(wake) => wake.notified().await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = stopped.changed() => false,
        () = tokio::time::sleep(POLL) => true,
        () = woken => true,
    }
}

/// Starts each check at its due instant: takes what is due, then sleeps exactly until the next
/// due instant (at most a second, so a clock step is noticed), or until the schedule changes.
async fn probe_loop(engine: Arc<Engine>, mut stopped: watch::Receiver<bool>) {
    let mut in_flight = JoinSet::new();
    loop {
        if *stopped.borrow() {
            break;
        }
        while in_flight.try_join_next().is_some() {}
        for record in engine.prober.schedule.take_due(engine.now()) {
            let engine = engine.clone();
            in_flight.spawn(async move { engine.probe_scheduled(record).await });
        }
        let wait = engine.prober.schedule.next_due().map_or(MAX_SLEEP, |due| {
            Duration::try_from(due.duration_since(engine.now()))
                .unwrap_or(Duration::ZERO)
                .min(MAX_SLEEP)
        });
        tokio::select! {
            _ = stopped.changed() => break,
            () = tokio::time::sleep(wait) => {}
            () = engine.prober.schedule.changed.notified() => {}
        }
    }
    while in_flight.join_next().await.is_some() {}
}

/// Writes buffered check results every second, or at once when a batch is full.
async fn check_writer_loop(engine: Arc<Engine>, mut stopped: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = stopped.changed() => break,
            () = tokio::time::sleep(crate::batch::FLUSH_EVERY) => {}
            () = engine.prober.checks.full.notified() => {}
        }
        // A failure is logged inside and the results stay buffered for the next tick.
        let _ = engine.flush_checks().await;
    }
}

/// Sends each claimed delivery on its own task, so one slow channel never holds up the next
/// page; shutdown waits for those in flight.
async fn delivery_loop(engine: Arc<Engine>, mut stopped: watch::Receiver<bool>) {
    let mut in_flight = JoinSet::new();
    while pause(Some(&engine.deliveries.wake), &mut stopped).await {
        while in_flight.try_join_next().is_some() {}
        let send = |in_flight: &mut JoinSet<()>, delivery| {
            let engine = engine.clone();
            in_flight.spawn(async move {
                if let Err(error) = engine.deliver(delivery).await {
                    tracing::error!(%error, "recording a delivery failed; it will be retried when its lease expires");
                }
            });
        };
        // What a commit handed over goes out at once, not after the claim below has taken the
        // write turn (behind whatever commit holds it).
        for delivery in engine.deliveries.take_handed() {
            send(&mut in_flight, delivery);
        }
        match engine.claimed_deliveries().await {
            Ok(claimed) => {
                for delivery in claimed {
                    send(&mut in_flight, delivery);
                }
            }
            Err(error) => tracing::error!(%error, "{}", Round::Deliveries.on_failure()),
        }
    }
    while in_flight.join_next().await.is_some() {}
}

/// Pings the watchdog at start and then every `every`. A tokio interval (not the engine's
/// `Clock`) paces it: the pings are for an outside observer on real time. A slow ping delays
/// the next one rather than letting them pile up.
async fn watchdog_loop(engine: Arc<Engine>, every: Duration, mut stopped: watch::Receiver<bool>) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stopped.changed() => return,
            _ = ticks.tick() => {}
        }
        if *stopped.borrow() {
            return;
        }
        engine.watchdog_ping().await;
    }
}
