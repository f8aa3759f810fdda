//! The flusher: a thread of its own that puts the writer's commits on disk, so the next commit
//! is written while the last one is flushed.
//!
//! With `synchronous=FULL` SQLite fsyncs the log inside every COMMIT, and the writer waits for
//! the disk before it can begin the next transaction: during an alert storm it sat idle for
//! about half of each group commit. Here the writing connection runs with `synchronous=NORMAL`
//! (its commits reach the log's file but are not flushed; SQLite still syncs the log before
//! each checkpoint and the database after it) and every commit is numbered; this thread
//! `fdatasync`s the log, as often as commits come, covering every commit counted before the
//! flush began, and publishes how far it got. Nothing is answered, sent or reported kept before
//! its number is flushed ([`tocsin_store::Durable`]), so a 2xx still means "on disk".
//!
//! A failed flush is final: the kernel may have dropped the pages it could not write, and a
//! later flush that succeeds would not bring them back, so after one failure no commit is ever
//! reported flushed again and writes are refused until tocsin restarts (and SQLite recovers
//! the log as it is on disk).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use tocsin_store::{Durable, Flushed};
use tokio::sync::watch;

/// The flusher's side of the writer: numbers commits and hands out their [`Durable`]s. Dropping
/// the last one stops the thread once everything counted is flushed.
#[derive(Debug)]
pub(crate) struct Flusher {
    shared: Arc<Shared>,
    flushed: watch::Receiver<Flushed>,
}

#[derive(Debug)]
struct Shared {
    /// The log's file: `<database>-wal`. Opened afresh for each flush, so the flush always
    /// reaches the file SQLite writes now.
    log: PathBuf,
    /// The folder holding it, flushed once so the log's own entry survives a crash.
    folder: PathBuf,
    wanted: Mutex<Wanted>,
    /// Signalled when a commit is counted or the flusher is asked to stop.
    changed: Condvar,
}

#[derive(Debug, Default)]
struct Wanted {
    /// Commits counted so far (the last one's number).
    committed: u64,
    stop: bool,
}

impl Flusher {
    /// Starts the thread flushing `database`'s log.
    pub(crate) fn start(database: &Path) -> std::io::Result<Flusher> {
        let mut log = database.as_os_str().to_owned();
        log.push("-wal");
        let folder = match database.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
            _ => PathBuf::from("."),
        };
        let shared = Arc::new(Shared {
            log: PathBuf::from(log),
            folder,
            wanted: Mutex::new(Wanted::default()),
            changed: Condvar::new(),
        });
        let (publish, flushed) = watch::channel(Flushed::default());
        let thread = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("tocsin-flush".into())
            .spawn(move || thread.run(&publish))?;
        Ok(Flusher { shared, flushed })
    }

    /// Counts a commit that just returned; its writes are on disk once the answer is flushed.
    /// Call after COMMIT, never before: a flush covers only commits counted when it began.
    pub(crate) fn committed(&self) -> Durable {
        let number = {
            let mut wanted = self.shared.lock();
            wanted.committed += 1;
            wanted.committed
        };
        self.shared.changed.notify_one();
        Durable::after_flush(self.flushed.clone(), number)
    }

    /// Whether a flush has failed: then the writer refuses to write.
    pub(crate) fn failed(&self) -> bool {
        self.flushed.borrow().failed
    }
}

impl Drop for Flusher {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.changed.notify_one();
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Wanted> {
        self.wanted.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Flushes whenever commits were counted since the last flush; stops when asked and
    /// nothing counted is left unflushed, or after a failure.
    fn run(&self, publish: &watch::Sender<Flushed>) {
        let mut through = 0;
        let mut folder_flushed = false;
        loop {
            let target = {
                let mut wanted = self.lock();
                while wanted.committed == through && !wanted.stop {
                    wanted = self
                        .changed
                        .wait(wanted)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                if wanted.committed == through {
                    return;
                }
                wanted.committed
            };
            let flushed = self.flush(&mut folder_flushed);
            match flushed {
                Ok(()) => {
                    through = target;
                    publish.send_replace(Flushed {
                        through,
                        failed: false,
                    });
                }
                Err(error) => {
                    tracing::error!(
                        log = %self.log.display(),
                        %error,
                        "flushing the database's log to disk failed: no write is acknowledged from now on; restart tocsin once the disk is fixed"
                    );
                    publish.send_replace(Flushed {
                        through,
                        failed: true,
                    });
                    return;
                }
            }
        }
    }

    /// One `fdatasync` of the log (and, the first time, of its folder).
    fn flush(&self, folder_flushed: &mut bool) -> std::io::Result<()> {
        File::open(&self.log)?.sync_data()?;
        if !*folder_flushed {
            File::open(&self.folder)?.sync_all()?;
            *folder_flushed = true;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_counted_commit_is_reported_flushed_and_the_thread_ends_with_the_flusher() {
        let folder = tempfile::tempdir().expect("tempdir");
        let database = folder.path().join("t.db");
        std::fs::write(folder.path().join("t.db-wal"), b"frames").expect("log");
        let flusher = Flusher::start(&database).expect("start");
        let first = flusher.committed();
        let second = flusher.committed();
        second.wait().await.expect("second flushed");
        assert!(
            first.is_on_disk(),
            "a flush covers every commit counted before it"
        );
        assert!(!flusher.failed());
        drop(flusher);
    }

    #[tokio::test]
    async fn a_failed_flush_fails_its_commit_and_every_later_one() {
        let folder = tempfile::tempdir().expect("tempdir");
        // No log file: opening it fails, as a flush the disk refuses would.
        let flusher = Flusher::start(&folder.path().join("missing.db")).expect("start");
        let error = flusher.committed().wait().await.expect_err("not on disk");
        assert!(error.to_string().contains("flushing"), "{error}");
        assert!(flusher.failed());
        assert!(flusher.committed().wait().await.is_err());
    }
}
