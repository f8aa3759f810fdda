//! SIGHUP reloads the configuration, as it does for Prometheus and Alertmanager: the engine reads
//! the file and its runbooks again and puts them in force, or logs every error and keeps the
//! running configuration (`tocsin_engine::reload`).

use std::sync::Arc;

use tocsin_engine::Engine;
use tokio::task::JoinHandle;

/// Reloads on every SIGHUP until aborted. Installed before tocsin says it is serving, so a
/// hang-up from then on reloads instead of ending the process (the signal's default).
#[cfg(unix)]
pub fn reload_on_hangup(engine: Arc<Engine>) -> std::io::Result<JoinHandle<()>> {
    let mut hangups = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    Ok(tokio::spawn(async move {
        while hangups.recv().await.is_some() {
            // The engine logs what came of it, errors included.
            let _ = engine.reload("SIGHUP").await;
        }
    }))
}

/// No SIGHUP here: `POST /-/reload` still reloads.
#[cfg(not(unix))]
pub fn reload_on_hangup(_engine: Arc<Engine>) -> std::io::Result<JoinHandle<()>> {
    Ok(tokio::spawn(async {}))
}
