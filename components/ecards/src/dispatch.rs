//! Scheduled sends: claiming due e-cards, rebuilding their mail, and storing each outcome.
//!
//! A dispatch call works in three steps per due e-card, all with plain Redis commands:
//! 1. [`claim`] takes the e-card's claim key with `SET NX PX` (one dispatcher per e-card at a
//!    time) and rebuilds the mail of each recipient that is neither final nor waiting for a later
//!    retry.
//! 2. Right before each send, [`begin_send`] takes the recipient's send marker with `SET NX PX`.
//!    A recipient whose marker is taken is in flight elsewhere or finished, and is left alone.
//!    The adapter sends the mail once, and [`record_attempt`] stores the outcome: a final one sets
//!    the marker to `done` for the e-card's lifetime, a retryable one deletes the marker so the
//!    next due attempt can take it. The marker is taken per send, not at the claim, so its lease
//!    runs only while its own attempt runs.
//! 3. [`release`] moves the e-card to its next due time, or removes it from the due set once every
//!    recipient is final, and drops the claim.
//!
//! Both claims expire after [`ecards::schedule::DISPATCH_LEASE_MS`], so when a dispatcher dies
//! between claim and send, a later call sends the mail. The e-card's id stays in the due set until
//! step 3, so a dead dispatcher loses nothing.
//!
//! NOTE: a dispatcher that dies after the provider accepted a mail but before step 2 stored it
//! leaves a marker that expires, so the mail is sent again after the lease. The provider's
//! idempotency key (e-card id and recipient id) stops the second copy where the provider supports
//! one, which of the three is only Resend.

use anyhow::Context;
use ecards::schedule::{DISPATCH_LEASE_MS, NextStep};

use crate::Config;
use crate::handlers::build_send;
use crate::storage::{self, Delivery, EcardKeys, EcardRecord, PendingLinks, RedisCommands};

/// Marker value of a send whose outcome is final.
const DONE_MARKER: &str = "done";

/// One recipient's mail, rebuilt for one attempt.
pub struct ClaimedSend {
    /// The recipient id, such as `r0`.
    pub recipient_id: String,
    /// The provider request.
    pub request: ecards::HttpRequest,
    /// Attempts made before this one.
    pub attempts_before: u32,
}

/// A due e-card this dispatcher holds.
pub struct ClaimedEcard {
    /// The e-card id.
    pub id: String,
    /// The stored record.
    pub record: EcardRecord,
    /// The sends to attempt now.
    pub sends: Vec<ClaimedSend>,
    /// The earliest time a recipient left out of [`Self::sends`] needs another look: a retry that
    /// is not due yet.
    pub later_due_ms: Option<u64>,
    /// Sends that failed for good before an attempt, such as a lost outbox entry.
    pub failed_unsent: usize,
}

/// Claims the due e-card `id` for the dispatcher named `dispatcher`. Returns `None` when another
/// dispatcher has claimed it, or when the e-card no longer exists (it is then removed from the due set).
pub fn claim(
    redis: &impl RedisCommands,
    config: &Config,
    id: &str,
    dispatcher: &str,
    now_ms: u64,
) -> anyhow::Result<Option<ClaimedEcard>> {
    let keys = EcardKeys::new(id);

    // Step 1: the claim on the whole e-card.
    if !storage::set_if_absent(redis, &keys.dispatch_claim(), dispatcher, DISPATCH_LEASE_MS)? {
        return Ok(None);
    }
    let Some(record) = storage::get_sealed::<EcardRecord>(redis, &config.keyring, &keys.record())? else {
        // Purged or expired: nothing to send.
        storage::unschedule(redis, id)?;
        storage::delete_keys(redis, &[keys.dispatch_claim()])?;
        return Ok(None);
    };

    // Step 2: each recipient that is neither final nor waiting for a later retry.
    let mut claimed =
        ClaimedEcard { id: id.to_owned(), record, sends: Vec::new(), later_due_ms: None, failed_unsent: 0 };
    for index in 0..claimed.record.recipients.len() {
        let recipient_id = claimed.record.recipients[index].id.clone();
        let delivery: Option<Delivery> =
            storage::get_sealed(redis, &config.keyring, &keys.delivery(&recipient_id))?;
        if delivery.as_ref().is_some_and(Delivery::is_final) {
            continue;
        }
        let next_attempt = delivery.as_ref().and_then(|delivery| delivery.next_attempt_at_ms);
        if let Some(due_ms) = next_attempt.filter(|due_ms| *due_ms > now_ms) {
            claimed.later_due_ms = earliest(claimed.later_due_ms, due_ms);
            continue;
        }
        let links: Option<PendingLinks> =
            storage::get_sealed(redis, &config.keyring, &keys.outbox(&recipient_id))?;
        let attempts_before = delivery.as_ref().map_or(0, |delivery| delivery.attempts);
        let Some(links) = links else {
            // The tokens are gone, so the mail cannot be built. Unless another dispatcher has just
            // finished the send (and deleted them), the send is recorded as failed.
            if begin_send(redis, id, &recipient_id, dispatcher)? {
                let outcome =
                    ecards::SendOutcome::PermanentError("the scheduled mail could not be rebuilt".into());
                store_outcome(redis, config, &claimed, &recipient_id, &outcome, attempts_before, now_ms)?;
                claimed.failed_unsent += 1;
            }
            continue;
        };
        let person = &claimed.record.card.recipients[index];
        let request = build_send(config, &claimed.record.card, person, id, &recipient_id, &links)?;
        claimed.sends.push(ClaimedSend { recipient_id, request, attempts_before });
    }
    Ok(Some(claimed))
}

/// Takes a recipient's send marker for one attempt, right before the send. Returns `false` when
/// another dispatcher is sending it or its outcome is final, and the caller must not send.
pub fn begin_send(
    redis: &impl RedisCommands,
    id: &str,
    recipient_id: &str,
    dispatcher: &str,
) -> anyhow::Result<bool> {
    let marker = EcardKeys::new(id).send_marker(recipient_id);
    storage::set_if_absent(redis, &marker, &format!("sending:{dispatcher}"), DISPATCH_LEASE_MS)
}

fn earliest(current: Option<u64>, candidate: u64) -> Option<u64> {
    Some(current.map_or(candidate, |current| current.min(candidate)))
}

/// Stores the outcome of one attempt and returns the next step for the recipient.
pub fn record_attempt(
    redis: &impl RedisCommands,
    config: &Config,
    claimed: &ClaimedEcard,
    send: &ClaimedSend,
    outcome: &ecards::SendOutcome,
    now_ms: u64,
) -> anyhow::Result<NextStep> {
    store_outcome(redis, config, claimed, &send.recipient_id, outcome, send.attempts_before, now_ms)
}

fn store_outcome(
    redis: &impl RedisCommands,
    config: &Config,
    claimed: &ClaimedEcard,
    recipient_id: &str,
    outcome: &ecards::SendOutcome,
    attempts_before: u32,
    now_ms: u64,
) -> anyhow::Result<NextStep> {
    let keys = EcardKeys::new(&claimed.id);
    let attempts = attempts_before + 1;
    let step = ecards::schedule::after_attempt(outcome, attempts, now_ms);
    let scheduled_at_ms = match claimed.record.card.send_time {
        ecards::SendTime::At(due_ms) => Some(due_ms),
        ecards::SendTime::Now => None,
    };
    let (state, reason, next_attempt_at_ms) = match &step {
        NextStep::Delivered => ("delivered", None, None),
        NextStep::Failed(reason) => ("failed", Some(reason.clone()), None),
        NextStep::RetryAt { due_at_ms, reason } => ("retrying", Some(reason.clone()), Some(*due_at_ms)),
    };
    let delivery = Delivery {
        state: state.into(),
        reason,
        attempts,
        updated_at_ms: now_ms,
        scheduled_at_ms,
        next_attempt_at_ms,
    };
    let expires_at_ms = claimed.record.expires_at_ms;

    // The delivery state goes first: a dispatcher that dies after it leaves a final state that the
    // next claim skips.
    storage::set_sealed(redis, &config.keyring, &keys.delivery(recipient_id), &delivery, expires_at_ms)?;
    match step {
        NextStep::RetryAt { .. } => {
            storage::delete_keys(redis, &[keys.send_marker(recipient_id)])?;
        }
        NextStep::Delivered | NextStep::Failed(_) => {
            storage::set_plain(redis, &keys.send_marker(recipient_id), DONE_MARKER, expires_at_ms)?;
            // The link tokens are no longer needed, and the sent mail contains the only other copy.
            storage::delete_keys(redis, &[keys.outbox(recipient_id)])?;
        }
    }
    Ok(step)
}

/// Moves the e-card to its next due time, or out of the due set when nothing is left, and drops
/// the claim. `steps` are the outcomes of this call's attempts.
pub fn release(redis: &impl RedisCommands, claimed: &ClaimedEcard, steps: &[NextStep]) -> anyhow::Result<()> {
    let mut next_due = claimed.later_due_ms;
    for step in steps {
        if let NextStep::RetryAt { due_at_ms, .. } = step {
            next_due = earliest(next_due, *due_at_ms);
        }
    }
    match next_due {
        Some(due_at_ms) => storage::schedule(redis, &claimed.id, due_at_ms),
        None => storage::unschedule(redis, &claimed.id),
    }
    .context("could not update the due set")?;
    storage::delete_keys(redis, &[EcardKeys::new(&claimed.id).dispatch_claim()])
}
