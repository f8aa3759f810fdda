//! Per-contact throttling: at most `per_window` sends to one contact by one method within a sliding
//! `window`, so a flapping incident cannot bury someone's phone in texts (or run up the SMS bill).
//!
//! Pure: the caller passes the contact's recent sends and `now`, and gets back either "go" or the
//! moment the next send becomes allowed, which is when it should be scheduled (a throttled page is
//! delayed, never dropped).

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

/// A sliding-window limit for one contact and one method (SMS, voice, e-mail).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    /// Sends allowed within any `window`. 0 is treated as 1: a throttle delays pages, it never
    /// silences a contact for good.
    pub per_window: u32,
    pub window: Duration,
}

impl Throttle {
    /// SMS: 5 per 15 minutes. These defaults are modelled on GoAlert's per-contact-method
    /// throttle: enough for an incident's page, escalation and overdue reminder, not for a flood.
    pub const SMS: Throttle = Throttle::new(5, Duration::from_secs(15 * 60));
    /// Voice calls: 3 per 15 minutes; each call interrupts, so the limit is tighter than SMS.
    pub const VOICE: Throttle = Throttle::new(3, Duration::from_secs(15 * 60));
    /// E-mail: 10 per 15 minutes; cheap and quiet, but an inbox flood hides the page that matters.
    pub const EMAIL: Throttle = Throttle::new(10, Duration::from_secs(15 * 60));

    pub const fn new(per_window: u32, window: Duration) -> Throttle {
        Throttle { per_window, window }
    }

    /// Whether a send at `now` is allowed, given `history`: this contact and method's earlier sends
    /// (any order; older entries than the window are ignored, so the caller may pass more).
    ///
    /// A send counts while it is less than `window` old, so one exactly `window` ago no longer
    /// does. When the limit is reached, `Err` holds the earliest time another send is allowed:
    /// the moment enough of the recent sends have aged out of the window.
    pub fn admit(&self, history: &[Timestamp], now: Timestamp) -> Result<(), Timestamp> {
        let window = SignedDuration::try_from(self.window).unwrap_or(SignedDuration::MAX);
        if window.is_zero() {
            return Ok(());
        }
        let cutoff = now.saturating_sub(window).unwrap_or(Timestamp::MIN);
        // Sends "in the future" (clock skew between replicas) count as recent: erring towards
        // fewer messages is the safe side here.
        let mut recent: Vec<Timestamp> = history
            .iter()
            .copied()
            .filter(|sent| *sent > cutoff)
            .collect();
        let limit = usize::try_from(self.per_window.max(1)).unwrap_or(usize::MAX);
        if recent.len() < limit {
            return Ok(());
        }
        recent.sort_unstable();
        // After `oldest_to_expire + window`, at most `limit - 1` of the recent sends remain in the
        // window, so one more fits.
        let oldest_to_expire = recent[recent.len() - limit];
        Err(oldest_to_expire
            .saturating_add(window)
            .unwrap_or(Timestamp::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + minute * 60).expect("valid timestamp")
    }

    #[test]
    fn the_defaults() {
        assert_eq!(Throttle::SMS.per_window, 5);
        assert_eq!(Throttle::VOICE.per_window, 3);
        assert_eq!(Throttle::EMAIL.per_window, 10);
        for throttle in [Throttle::SMS, Throttle::VOICE, Throttle::EMAIL] {
            assert_eq!(throttle.window, Duration::from_secs(900));
        }
    }

    #[test]
    fn sends_under_the_limit_are_admitted() {
        let voice = Throttle::VOICE;
        assert_eq!(voice.admit(&[], at(0)), Ok(()));
        assert_eq!(voice.admit(&[at(0), at(1)], at(2)), Ok(()));
    }

    #[test]
    fn at_the_limit_the_next_send_waits_for_the_oldest_to_age_out() {
        let voice = Throttle::VOICE;
        let history = [at(1), at(5), at(9)];
        assert_eq!(voice.admit(&history, at(10)), Err(at(16)));
        // Exactly a window after the oldest send, it no longer counts.
        assert_eq!(voice.admit(&history, at(16)), Ok(()));
        // Order does not matter.
        assert_eq!(voice.admit(&[at(9), at(1), at(5)], at(10)), Err(at(16)));
    }

    #[test]
    fn over_the_limit_the_wait_is_until_enough_have_aged_out() {
        // Five sends in the window against a limit of three (say the limit was just lowered):
        // three must age out before one more fits.
        let voice = Throttle::VOICE;
        let history = [at(0), at(2), at(4), at(6), at(8)];
        assert_eq!(voice.admit(&history, at(9)), Err(at(19)));
        assert_eq!(voice.admit(&history, at(19)), Ok(()));
    }

    #[test]
    fn old_sends_are_ignored() {
        let sms = Throttle::SMS;
        let history = [at(-60), at(-30), at(-16), at(-15), at(1)];
        assert_eq!(sms.admit(&history, at(2)), Ok(()));
        let history = [at(-14), at(-10), at(-5), at(-1), at(0), at(-100)];
        assert_eq!(sms.admit(&history, at(0)), Err(at(1)));
    }

    #[test]
    fn future_sends_count_as_recent() {
        let voice = Throttle::VOICE;
        assert_eq!(voice.admit(&[at(0), at(3), at(20)], at(1)), Err(at(15)));
    }

    #[test]
    fn zero_per_window_still_lets_one_through_and_a_zero_window_never_throttles() {
        let odd = Throttle::new(0, Duration::from_secs(60));
        assert_eq!(odd.admit(&[], at(0)), Ok(()));
        assert_eq!(odd.admit(&[at(0)], at(0)), Err(at(1)));
        let off = Throttle::new(1, Duration::ZERO);
        assert_eq!(off.admit(&[at(0), at(0)], at(0)), Ok(()));
    }
}
