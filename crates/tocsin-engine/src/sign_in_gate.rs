//! The cap on sign-in password checks: each Argon2 check holds about 19 MiB on a blocking thread
//! for a fraction of a second, so a flood of sign-ins with made-up e-mails could otherwise take
//! the memory and the CPU the pager needs. At most `checks` run at once and as many again wait
//! their turn, each for a few seconds at most; anyone else is told to come back (429).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long a sign-in waits for a free check before it is told to come back.
const LONGEST_WAIT: Duration = Duration::from_secs(3);

/// The most checks at once when the configuration does not say: twice the CPU cores, at most 16.
pub fn default_checks() -> usize {
    std::thread::available_parallelism()
        .map_or(2, std::num::NonZeroUsize::get)
        .saturating_mul(2)
        .min(16)
}

/// The checks running and the sign-ins waiting for one.
#[derive(Debug)]
pub struct SignInGate {
    /// Places: the checks running plus those waiting.
    line: Arc<Semaphore>,
    checks: Arc<Semaphore>,
}

/// A place in line, not yet a turn to check.
#[derive(Debug)]
pub struct Place {
    line: OwnedSemaphorePermit,
}

/// The right to run one password check; the place is given back when it is dropped.
#[derive(Debug)]
pub struct Turn {
    _line: OwnedSemaphorePermit,
    _check: OwnedSemaphorePermit,
}

/// Every check is taken and the line is full, or the wait ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many sign-ins at once; retry in {} s", retry_after.as_secs())]
pub struct Busy {
    /// When to try again.
    pub retry_after: Duration,
}

const BUSY: Busy = Busy {
    retry_after: Duration::from_secs(2),
};

impl SignInGate {
    /// At most `checks` at once (at least one), and as many waiting.
    pub fn new(checks: usize) -> SignInGate {
        let checks = checks.max(1);
        SignInGate {
            line: Arc::new(Semaphore::new(checks.saturating_mul(2))),
            checks: Arc::new(Semaphore::new(checks)),
        }
    }

    /// A place in line now, or [`Busy`] when the line is full.
    pub fn join(&self) -> Result<Place, Busy> {
        Arc::clone(&self.line)
            .try_acquire_owned()
            .map(|line| Place { line })
            .map_err(|_| BUSY)
    }

    /// Waits (briefly) for a free check.
    pub async fn turn(&self, place: Place) -> Result<Turn, Busy> {
        let check = tokio::time::timeout(LONGEST_WAIT, Arc::clone(&self.checks).acquire_owned())
            .await
            .map_err(|_| BUSY)?
            .map_err(|_| BUSY)?;
        Ok(Turn {
            _line: place.line,
            _check: check,
        })
    }

    /// A place, then a turn.
    pub async fn enter(&self) -> Result<Turn, Busy> {
        let place = self.join()?;
        self.turn(place).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn past_the_checks_and_the_line_everyone_is_told_to_come_back() {
        let gate = SignInGate::new(1);
        let turn = gate.enter().await.expect("the one check");
        let waiting = gate.join().expect("the one place in line");
        assert_eq!(gate.join().err(), Some(BUSY));
        drop(turn);
        let next = gate.turn(waiting).await.expect("the freed check");
        drop(next);
        assert!(gate.enter().await.is_ok());
    }
}
