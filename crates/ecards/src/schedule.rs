//! Scheduled sending: the rules the dispatcher follows, with no storage of its own.
//!
//! The component keeps due e-cards in a Redis sorted set scored by due time. Each call of the
//! dispatch endpoint takes up to [`MAX_ECARDS_PER_DISPATCH`] due e-cards, makes one send attempt per
//! recipient still waiting, and then either removes the e-card from the set or gives it a new due
//! time from [`after_attempt`]. A claim on an e-card or on one recipient's send is a lease of
//! [`DISPATCH_LEASE_MS`], so the send of a dispatcher that died is picked up once the lease ends.

use crate::provider::{SendOutcome, retry_delay_ms};

/// Maximum number of e-cards one dispatch call works through, so a call stays short.
pub const MAX_ECARDS_PER_DISPATCH: usize = 10;

/// Lifetime of a claim on an e-card or on one recipient's send, in milliseconds. It is longer than
/// one provider attempt (a 5 s connect and a 10 s first-byte timeout), so a live dispatcher keeps
/// its claim for the whole attempt. It is also short, so a dead dispatcher's sends go out within
/// half a minute.
pub const DISPATCH_LEASE_MS: u64 = 30_000;

/// The next step for one recipient after a send attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextStep {
    /// The provider accepted the mail.
    Delivered,
    /// The send failed for good: a permanent error, or the last allowed retryable one.
    Failed(String),
    /// A retryable failure: the next attempt is due at this time, in milliseconds since the epoch.
    RetryAt {
        /// Due time of the next attempt.
        due_at_ms: u64,
        /// The failure, for the stored delivery state.
        reason: String,
    },
}

/// Decides the next step after attempt number `attempts` (1 is the first) ended in `outcome` at
/// `now_ms`, following the retry schedule of [`retry_delay_ms`].
pub fn after_attempt(outcome: &SendOutcome, attempts: u32, now_ms: u64) -> NextStep {
    match outcome {
        SendOutcome::Delivered => NextStep::Delivered,
        SendOutcome::PermanentError(reason) => NextStep::Failed(reason.clone()),
        SendOutcome::RetryableError(reason) => match retry_delay_ms(attempts) {
            Some(delay_ms) => NextStep::RetryAt { due_at_ms: now_ms + delay_ms, reason: reason.clone() },
            None => NextStep::Failed(reason.clone()),
        },
    }
}

/// Returns the token of an `Authorization: Bearer TOKEN` header value.
pub fn bearer_token(header: Option<&str>) -> Option<&str> {
    let (scheme, token) = header?.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|token| !token.is_empty())
}

/// Compares a presented secret with the configured one in time that depends only on their
/// lengths, not on where they first differ. An empty configured secret matches nothing.
pub fn secret_matches(configured: &str, presented: &str) -> bool {
    let (configured, presented) = (configured.as_bytes(), presented.as_bytes());
    if configured.is_empty() {
        return false;
    }
    let mut difference = u8::from(configured.len() != presented.len());
    for (index, byte) in configured.iter().enumerate() {
        difference |= byte ^ presented.get(index).copied().unwrap_or(0);
    }
    difference == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW_MS: u64 = 1_748_736_000_000;

    #[test]
    fn delivered_and_permanent_end_the_send() {
        assert_eq!(after_attempt(&SendOutcome::Delivered, 1, NOW_MS), NextStep::Delivered);
        assert_eq!(
            after_attempt(&SendOutcome::PermanentError("HTTP 422".into()), 1, NOW_MS),
            NextStep::Failed("HTTP 422".into())
        );
    }

    #[test]
    fn retryable_follows_schedule_then_fails() {
        let outcome = SendOutcome::RetryableError("HTTP 503".into());
        assert_eq!(
            after_attempt(&outcome, 1, NOW_MS),
            NextStep::RetryAt { due_at_ms: NOW_MS + 1_000, reason: "HTTP 503".into() }
        );
        assert_eq!(
            after_attempt(&outcome, 4, NOW_MS),
            NextStep::RetryAt { due_at_ms: NOW_MS + 60_000, reason: "HTTP 503".into() }
        );
        assert_eq!(
            after_attempt(&outcome, crate::provider::MAX_SEND_ATTEMPTS, NOW_MS),
            NextStep::Failed("HTTP 503".into())
        );
    }

    #[test]
    fn bearer_token_parsing() {
        assert_eq!(bearer_token(Some("Bearer abc")), Some("abc"));
        assert_eq!(bearer_token(Some("bearer  abc ")), Some("abc"));
        assert_eq!(bearer_token(Some("Basic abc")), None);
        assert_eq!(bearer_token(Some("Bearer ")), None);
        assert_eq!(bearer_token(Some("abc")), None);
        assert_eq!(bearer_token(None), None);
    }

    #[test]
    fn secret_comparison() {
        assert!(secret_matches("s3cret-value", "s3cret-value"));
        assert!(!secret_matches("s3cret-value", "s3cret-valuE"));
        assert!(!secret_matches("s3cret-value", "s3cret-valu"));
        assert!(!secret_matches("s3cret-value", "s3cret-value-and-more"));
        assert!(!secret_matches("s3cret-value", ""));
        assert!(!secret_matches("", ""));
        assert!(!secret_matches("", "anything"));
    }
}
