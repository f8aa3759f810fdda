//! Workers that run on a thread of their own, on a current-thread runtime: the committer and the
//! probe loop.
//!
//! Why not on tokio's shared workers: a task spawned there wakes a parked worker (a futex wake
//! and a thread switch), and an I/O event may be taken by either worker, so one probe's connect,
//! request and answer hop between threads. Measured with `benches/probes/floor` on this kind of
//! machine (2 vCPUs): the same reqwest probe costs ~510 µs of CPU on the two-worker runtime and
//! ~310–400 µs on a current-thread one. On its own thread, everything a worker spawns stays on
//! that thread and is woken by that thread's own event loop.

use std::future::Future;

/// Starts `work` on a new thread named `name`, on a current-thread runtime (timers and I/O
/// enabled). `work` is built on that thread, so it need not be `Send`. The returned future
/// resolves when `work` has finished (or the thread died); an error says why the thread or its
/// runtime could not start, and then nothing ran.
pub(crate) fn start<W, F>(
    name: &str,
    work: W,
) -> Result<impl Future<Output = ()> + Send + 'static, std::io::Error>
where
    W: FnOnce() -> F + Send + 'static,
    F: Future<Output = ()> + 'static,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (finished, done) = tokio::sync::oneshot::channel::<()>();
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            runtime.block_on(work());
            let _ = finished.send(());
        })?;
    Ok(async move {
        // An error means the thread ended without finishing (it panicked): done either way.
        let _ = done.await;
    })
}
