//! The production workers: the probe loop, which sleeps until the schedule's next due instant
//! and starts each check then; the check writer, which writes buffered results every second or
//! when a batch fills; loops that fire timers and deliver, woken by commits or every quarter
//! second; and the once-a-minute roll-up. They stop gracefully: in-flight work finishes,
//! buffered results are written, unclaimed work stays queued.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use crate::Engine;

const POLL: Duration = Duration::from_millis(250);
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
    pub fn start(engine: Arc<Engine>) -> Workers {
        let (stop, stopped) = watch::channel(false);
        let mut tasks = JoinSet::new();
        tasks.spawn(probe_loop(engine.clone(), stopped.clone()));
        tasks.spawn(timer_loop(engine.clone(), stopped.clone()));
        tasks.spawn(subscriber_loop(engine.clone(), stopped.clone()));
        tasks.spawn(check_writer_loop(engine.clone(), stopped.clone()));
        tasks.spawn(housekeeping_loop(engine.clone(), stopped.clone()));
        if engine.config().self_monitoring.is_some() {
            tasks.spawn(self_check_loop(engine.clone(), stopped.clone()));
        }
        if let Some(watchdog) = &engine.config().watchdog {
            tasks.spawn(watchdog_loop(
                engine.clone(),
                watchdog.every,
                stopped.clone(),
            ));
        }
        tasks.spawn(postmortem_loop(engine.clone(), stopped.clone()));
        tasks.spawn(delivery_loop(engine.clone(), stopped));
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
        for record in engine.schedule.take_due(engine.now()) {
            let engine = engine.clone();
            in_flight.spawn(async move { engine.probe_scheduled(record).await });
        }
        let wait = engine.schedule.next_due().map_or(MAX_SLEEP, |due| {
            Duration::try_from(due.duration_since(engine.now()))
                .unwrap_or(Duration::ZERO)
                .min(MAX_SLEEP)
        });
        tokio::select! {
            _ = stopped.changed() => break,
            () = tokio::time::sleep(wait) => {}
            () = engine.schedule.changed.notified() => {}
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
            () = engine.checks.full.notified() => {}
        }
        // A failure is logged inside and the results stay buffered for the next tick.
        let _ = engine.flush_checks().await;
    }
}

/// Rolls up and prunes check history when due (every minute).
async fn housekeeping_loop(engine: Arc<Engine>, mut stopped: watch::Receiver<bool>) {
    loop {
        if let Err(error) = engine.housekeeping_round().await {
            tracing::error!(%error, "rolling up and pruning check history failed; it runs again next minute");
        }
        tokio::select! {
            _ = stopped.changed() => break,
            () = tokio::time::sleep(crate::housekeeping::HOUSEKEEPING_EVERY) => {}
        }
    }
}

async fn timer_loop(engine: Arc<Engine>, mut stopped: watch::Receiver<bool>) {
    while pause(Some(&engine.wake_timers), &mut stopped).await {
        if let Err(error) = engine.timer_round().await {
            tracing::error!(%error, "firing due timers failed; they stay due");
        }
        // The monthly drill rides on the timer loop: its due time and confirm windows are
        // durable timers of their own kind.
        if let Err(error) = engine.drill_round().await {
            tracing::error!(%error, "the drill's due work failed; it stays due");
        }
        // So does the weekly review digest.
        if let Err(error) = engine.review_digest_round().await {
            tracing::error!(%error, "the weekly review digest's due work failed; it stays due");
        }
    }
}

async fn delivery_loop(engine: Arc<Engine>, mut stopped: watch::Receiver<bool>) {
    let mut in_flight = JoinSet::new();
    while pause(Some(&engine.wake_deliveries), &mut stopped).await {
        while in_flight.try_join_next().is_some() {}
        match engine.claim_due_deliveries().await {
            Ok(claimed) => {
                for delivery in claimed {
                    let engine = engine.clone();
                    in_flight.spawn(async move {
                        if let Err(error) = engine.deliver(delivery).await {
                            tracing::error!(%error, "recording a delivery failed; it will be retried when its lease expires");
                        }
                    });
                }
            }
            Err(error) => tracing::error!(%error, "claiming due deliveries failed"),
        }
    }
    while in_flight.join_next().await.is_some() {}
}

/// Status-page mail on its own loop, so a thousand subscribers never hold up a page to the
/// person on call. It polls: public updates are rare and a quarter second is soon enough.
async fn subscriber_loop(engine: Arc<Engine>, mut stopped: watch::Receiver<bool>) {
    while pause(None, &mut stopped).await {
        if let Err(error) = engine.subscriber_round().await {
            tracing::error!(%error, "sending status-page mail failed; it stays queued");
        }
        if let Err(error) = engine.comms_round().await {
            tracing::error!(%error, "sending customer mail failed; it stays queued");
        }
    }
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

/// How often tocsin checks its own health.
const SELF_CHECK_EVERY: Duration = Duration::from_secs(15);

/// Self-checks every 15 s, the first one period after start, so the probe and delivery workers
/// catch up on work that came due while tocsin was down before their lag counts against them.
async fn self_check_loop(engine: Arc<Engine>, mut stopped: watch::Receiver<bool>) {
    let start = tokio::time::Instant::now() + SELF_CHECK_EVERY;
    let mut ticks = tokio::time::interval_at(start, SELF_CHECK_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stopped.changed() => return,
            _ = ticks.tick() => {}
        }
        if *stopped.borrow() {
            return;
        }
        if let Err(error) = engine.self_check_round().await {
            tracing::error!(%error, "the self-check failed; it runs again next period");
        }
    }
}

/// Post-mortem files: rare, so polling is soon enough.
async fn postmortem_loop(engine: Arc<Engine>, mut stopped: watch::Receiver<bool>) {
    while pause(None, &mut stopped).await {
        if let Err(error) = engine.postmortem_round().await {
            tracing::error!(%error, "writing post-mortem files failed; they stay queued");
        }
    }
}
