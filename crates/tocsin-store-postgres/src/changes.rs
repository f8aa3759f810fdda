//! Hearing other replicas' changes: a connection of its own LISTENs on `tocsin_changes` (the
//! schema's triggers notify it at each commit that changed an incident or a timeline) and
//! counts what it hears, so each replica's cached public pages are rebuilt when another
//! replica changed them. A lost connection counts as a change too: what was notified while it
//! was down is not heard again.

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tocsin_store::Result;
use tokio::sync::watch;
use tokio::task::JoinHandle;

const CHANNEL: &str = "tocsin_changes";
/// How long to wait before listening again after an error.
const RETRY: Duration = Duration::from_secs(1);

/// The listening task and what it heard; the task ends with the last clone of the store.
#[derive(Debug)]
pub(crate) struct Changes {
    heard: watch::Receiver<u64>,
    task: JoinHandle<()>,
}

impl Changes {
    /// Starts listening: an error here (no connection) fails the store's opening.
    pub(crate) async fn listen(pool: &PgPool) -> Result<Changes> {
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(CHANNEL).await?;
        let (counter, heard) = watch::channel(0_u64);
        let task = tokio::spawn(async move {
            loop {
                match listener.try_recv().await {
                    Ok(Some(_)) => {}
                    Ok(None) => tracing::warn!(
                        "the connection listening for other replicas' changes was lost; listening again"
                    ),
                    Err(error) => {
                        tracing::warn!(%error, "listening for other replicas' changes failed; trying again");
                        tokio::time::sleep(RETRY).await;
                    }
                }
                counter.send_modify(|heard| *heard = heard.wrapping_add(1));
            }
        });
        Ok(Changes { heard, task })
    }

    /// How many changes (or losses of the connection) were heard so far.
    pub(crate) fn heard(&self) -> u64 {
        *self.heard.borrow()
    }

    /// The count, to wait on its changes.
    pub(crate) fn watch(&self) -> watch::Receiver<u64> {
        self.heard.clone()
    }
}

impl Drop for Changes {
    fn drop(&mut self) {
        self.task.abort();
    }
}
