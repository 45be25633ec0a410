//! Slows password guessing: after too many failed logins for one email from one address within a
//! window, further attempts are refused with 429 until the window has passed.

use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

/// (email, client address).
type AttemptKey = (String, String);
/// Failures so far and when the window started.
type FailureCount = (u32, DateTime<Utc>);

/// Failed-login counts per (email, client address), kept in memory.
#[derive(Debug)]
pub struct LoginThrottle {
    max_failures: u32,
    window: Duration,
    failures: Mutex<HashMap<AttemptKey, FailureCount>>,
}

/// How many entries may pile up before stale ones are swept.
const SWEEP_ABOVE: usize = 10_000;

impl Default for LoginThrottle {
    /// Ten failures per fifteen minutes.
    fn default() -> Self {
        Self::new(10, Duration::minutes(15))
    }
}

impl LoginThrottle {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        Self {
            max_failures,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Some(seconds to wait)` when this email and address must not try again yet.
    pub fn blocked_for(&self, email: &str, client: &str, now: DateTime<Utc>) -> Option<i64> {
        let failures = self.failures.lock().ok()?;
        let (count, since) = failures.get(&(email.to_owned(), client.to_owned()))?;
        let ends = *since + self.window;
        (*count >= self.max_failures && ends > now).then(|| (ends - now).num_seconds().max(1))
    }

    pub fn record_failure(&self, email: &str, client: &str, now: DateTime<Utc>) {
        let Ok(mut failures) = self.failures.lock() else {
            return;
        };
        if failures.len() > SWEEP_ABOVE {
            let window = self.window;
            failures.retain(|_, (_, since)| *since + window > now);
        }
        let entry = failures
            .entry((email.to_owned(), client.to_owned()))
            .or_insert((0, now));
        if entry.1 + self.window <= now {
            *entry = (0, now);
        }
        entry.0 += 1;
    }

    pub fn record_success(&self, email: &str, client: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(&(email.to_owned(), client.to_owned()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_many_failures_block_until_the_window_ends() {
        let throttle = LoginThrottle::new(3, Duration::minutes(15));
        let start = Utc::now();
        for _ in 0..3 {
            assert_eq!(throttle.blocked_for("a@b.cn", "1.2.3.4", start), None);
            throttle.record_failure("a@b.cn", "1.2.3.4", start);
        }
        assert_eq!(throttle.blocked_for("a@b.cn", "1.2.3.4", start), Some(900));
        assert_eq!(
            throttle.blocked_for("a@b.cn", "5.6.7.8", start),
            None,
            "another address is not blocked"
        );
        assert_eq!(
            throttle.blocked_for("a@b.cn", "1.2.3.4", start + Duration::minutes(16)),
            None
        );
    }

    #[test]
    fn a_success_clears_the_count() {
        let throttle = LoginThrottle::new(2, Duration::minutes(15));
        let now = Utc::now();
        throttle.record_failure("a@b.cn", "ip", now);
        throttle.record_success("a@b.cn", "ip");
        throttle.record_failure("a@b.cn", "ip", now);
        assert_eq!(throttle.blocked_for("a@b.cn", "ip", now), None);
    }
}
