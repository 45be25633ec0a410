//! When to try again after a temporary failure: exponential backoff with full jitter, capped.

use std::time::Duration;

/// The retry schedule of an outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The wait after the first failure, before jitter.
    pub base: Duration,
    /// No wait is longer than this.
    pub cap: Duration,
    /// After this many attempts a message is given up on.
    pub max_attempts: u32,
}

impl Backoff {
    /// The wait after attempt number `attempts` (1 for the first) failed. `unit` is a random
    /// number in [0, 1): the wait is drawn from [half, all] of the exponential step, so senders
    /// that failed together do not all come back together.
    pub fn delay(&self, attempts: u32, unit: f64) -> Duration {
        let exponent = attempts.saturating_sub(1).min(20);
        let step = self
            .base
            .saturating_mul(1u32 << exponent)
            .min(self.cap)
            .as_secs_f64();
        Duration::from_secs_f64(step * (0.5 + 0.5 * unit.clamp(0.0, 1.0)))
    }

    pub fn exhausted(&self, attempts: u32) -> bool {
        attempts >= self.max_attempts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_with_jitter_and_stop_at_the_cap() {
        let backoff = Backoff {
            base: Duration::from_secs(30),
            cap: Duration::from_secs(3600),
            max_attempts: 8,
        };
        assert_eq!(backoff.delay(1, 1.0), Duration::from_secs(30));
        assert_eq!(backoff.delay(1, 0.0), Duration::from_secs(15));
        assert_eq!(backoff.delay(3, 1.0), Duration::from_secs(120));
        assert_eq!(backoff.delay(30, 1.0), Duration::from_secs(3600));
        assert!(!backoff.exhausted(7));
        assert!(backoff.exhausted(8));
    }
}
