//! The production workers: loops that probe, fire timers and deliver, woken by commits or every
//! quarter second, stopping gracefully (in-flight work finishes; unclaimed work stays queued).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use crate::Engine;

const POLL: Duration = Duration::from_millis(250);

/// The running workers; [`Workers::shutdown`] stops them and waits for in-flight work.
#[derive(Debug)]
pub struct Workers {
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

impl Workers {
    pub fn start(engine: Arc<Engine>) -> Workers {
        let (stop, stopped) = watch::channel(false);
        let mut tasks = JoinSet::new();
        tasks.spawn(probe_loop(engine.clone(), stopped.clone()));
        tasks.spawn(timer_loop(engine.clone(), stopped.clone()));
        tasks.spawn(subscriber_loop(engine.clone(), stopped.clone()));
        tasks.spawn(delivery_loop(engine, stopped));
        Workers { stop, tasks }
    }

    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        while self.tasks.join_next().await.is_some() {}
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

async fn probe_loop(engine: Arc<Engine>, mut stopped: watch::Receiver<bool>) {
    let mut in_flight = JoinSet::new();
    while pause(None, &mut stopped).await {
        while in_flight.try_join_next().is_some() {}
        match engine.claim_due_monitors().await {
            Ok(claimed) => {
                for record in claimed {
                    let engine = engine.clone();
                    in_flight.spawn(async move {
                        if let Err(error) = engine.probe(record).await {
                            tracing::error!(%error, "recording a check failed; it will run again when its lease expires");
                        }
                    });
                }
            }
            Err(error) => tracing::error!(%error, "claiming due monitors failed"),
        }
    }
    while in_flight.join_next().await.is_some() {}
}

async fn timer_loop(engine: Arc<Engine>, mut stopped: watch::Receiver<bool>) {
    while pause(Some(&engine.wake_timers), &mut stopped).await {
        if let Err(error) = engine.timer_round().await {
            tracing::error!(%error, "firing due timers failed; they stay due");
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
