//! The request handlers as plain functions over [`RedisCommands`], so they test without a Spin host.
//! Outbound HTTP stays in the adapter: [`create`] returns the provider requests and
//! [`record_delivery`] stores each outcome.

use anyhow::Context;
use serde_json::json;
use store::{Keyring, OrderToken};

use crate::Config;
use crate::reply::Reply;
use crate::storage::{
    self, Delivery, EcardKeys, EcardRecord, LinkTarget, PendingLinks, RETENTION_MS, RedisCommands, StoredHit,
    StoredRecipient,
};

/// Retries of a 5xx, 429 or 408 response, or a failed connection, made inside a send-now `POST`.
///
/// Scheduled sends follow the `ecards` crate's schedule (1 s, 4 s, 16 s, 60 s) through the due
/// set. A send now cannot wait that long inside one request, so it makes at most two quick
/// retries [`IN_REQUEST_RETRY_DELAY_MS`] apart. A send that still fails with a retryable error is
/// then handed to the due set ([`hand_over_retry`]) for the rest of that schedule.
pub const IN_REQUEST_RETRIES: u32 = 2;

/// Wait before each in-request retry, in milliseconds.
pub const IN_REQUEST_RETRY_DELAY_MS: u64 = 200;

/// A failed request with its HTTP status and a JSON body `{"error": …}`.
pub fn error_reply(status: u16, message: &str) -> Reply {
    Reply::json(status, &json!({ "error": message }))
}

/// A route of this component, parsed from method and path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `POST /api/ecards`.
    Create,
    /// `GET /t/{token}.gif`, with the token text.
    Pixel(String),
    /// `GET /api/ecards/{id}/stats`.
    Stats(String),
    /// `DELETE /api/ecards/{id}`.
    Delete(String),
    /// `POST /api/ecards/dispatch`: sends the scheduled e-cards that are due.
    Dispatch,
    /// `GET /ecards/{token}`: the "view in browser" page, with the token text.
    View(String),
}

/// Parses the method and path (without the query); `Err` is the reply to send instead.
pub fn route(method: &str, path: &str) -> Result<Route, Reply> {
    if let Some(file) = path.strip_prefix("/t/") {
        // Every pixel path answers with the GIF, even a malformed one, so a mail never shows a
        // broken image.
        let token = file.strip_suffix(".gif").unwrap_or(file);
        return Ok(Route::Pixel(token.to_owned()));
    }
    if let Some(token) = path.strip_prefix(crate::view::VIEW_PREFIX) {
        return if method == "GET" {
            Ok(Route::View(token.to_owned()))
        } else {
            Err(crate::view::method_not_allowed())
        };
    }
    if path == "/api/ecards" {
        return if method == "POST" {
            Ok(Route::Create)
        } else {
            let mut reply = error_reply(405, "method not allowed; create an e-card with POST");
            reply.set_header("allow", "POST");
            Err(reply)
        };
    }
    if path == "/api/ecards/dispatch" {
        return if method == "POST" {
            Ok(Route::Dispatch)
        } else {
            let mut reply = error_reply(405, "method not allowed; run the dispatcher with POST");
            reply.set_header("allow", "POST");
            Err(reply)
        };
    }
    let rest = path.strip_prefix("/api/ecards/").ok_or_else(|| error_reply(404, "not found"))?;
    match (rest.split_once('/'), method) {
        (Some((id, "stats")), "GET") => Ok(Route::Stats(id.to_owned())),
        (None, "DELETE") => Ok(Route::Delete(rest.to_owned())),
        (Some((_, "stats")), _) => {
            let mut reply = error_reply(405, "method not allowed; read stats with GET");
            reply.set_header("allow", "GET");
            Err(reply)
        }
        (None, _) => {
            let mut reply = error_reply(405, "method not allowed; purge an e-card with DELETE");
            reply.set_header("allow", "DELETE");
            Err(reply)
        }
        _ => Err(error_reply(404, "not found")),
    }
}

/// Returns the `token` query parameter.
pub fn query_token(query: &str) -> Option<String> {
    query.split('&').find_map(|pair| pair.strip_prefix("token=")).map(str::to_owned)
}

/// One recipient's mail, ready to send.
pub struct PendingSend {
    /// The recipient id, such as `r0`.
    pub recipient_id: String,
    /// The provider request.
    pub request: ecards::HttpRequest,
    /// The recipient's link tokens, kept in case the send is handed to the due set for a retry.
    pub links: PendingLinks,
}

/// A created, stored e-card and the mail still to send.
pub struct CreatedEcard {
    /// The e-card id.
    pub id: String,
    /// The stored record.
    pub record: EcardRecord,
    /// The `201` reply.
    pub reply: Reply,
    /// One request per recipient.
    pub sends: Vec<PendingSend>,
}

/// Validates a `POST /api/ecards` body, stores the e-card and, for a send now, builds each
/// recipient's provider request. A future `send_at` puts the e-card in the due set instead, and
/// [`CreatedEcard::sends`] is empty. `Err` is the reply to send: `400` naming the fields.
pub fn create(
    redis: &impl RedisCommands,
    config: &Config,
    body: &[u8],
    now_ms: u64,
) -> Result<CreatedEcard, Reply> {
    let card = match ecards::EcardRequest::parse_json(body, now_ms) {
        Ok(card) => card,
        Err(ecards::RequestError::Json(message)) => {
            return Err(error_reply(400, &format!("invalid request body: {message}")));
        }
        Err(ecards::RequestError::Invalid(errors)) => {
            let message = errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
            return Err(Reply::json(400, &json!({ "error": message, "fields": errors })));
        }
    };
    store_and_build(redis, config, card, now_ms).map_err(|error| {
        eprintln!("ecards: could not create an e-card: {error:#}");
        error_reply(503, "storage unavailable; try again later")
    })
}

fn new_token() -> anyhow::Result<OrderToken> {
    OrderToken::generate().context("could not draw a token")
}

/// Returns the time the e-card's keys expire: [`RETENTION_MS`] after the send time, which is the
/// creation time for a send now.
///
/// NOTE: for a scheduled card this is 30 days after `send_at`, not after creation, so a card
/// scheduled more than 30 days ahead still exists when it is due. Its keys therefore live up to
/// 30 days plus the scheduling lead (at most 365 days) in all.
pub fn expiry_for(send_time: ecards::SendTime, now_ms: u64) -> u64 {
    match send_time {
        ecards::SendTime::Now => now_ms + RETENTION_MS,
        ecards::SendTime::At(due_ms) => due_ms.max(now_ms) + RETENTION_MS,
    }
}

fn store_and_build(
    redis: &impl RedisCommands,
    config: &Config,
    card: ecards::ValidEcard,
    now_ms: u64,
) -> anyhow::Result<CreatedEcard> {
    // The id is the hash of a random token that is then dropped: 128 random bits, hex, which fits
    // the provider's id rules (no hyphen).
    let id = new_token()?.order_id().to_string();
    let sender_token = new_token()?;
    let due_at_ms = match card.send_time {
        ecards::SendTime::Now => None,
        ecards::SendTime::At(due_ms) => Some(due_ms),
    };
    let expires_at_ms = expiry_for(card.send_time, now_ms);

    // Each recipient gets its link tokens. A send now builds its mail at once. A scheduled send
    // keeps the tokens sealed until the dispatcher builds the mail.
    let mut recipients = Vec::with_capacity(card.recipients.len());
    let mut sends = Vec::with_capacity(card.recipients.len());
    let mut outbox = Vec::new();
    for (index, person) in card.recipients.iter().enumerate() {
        let recipient_id = format!("r{index}");
        let pixel_token = new_token()?;
        let view_token = new_token()?;
        let links = PendingLinks { pixel_token: pixel_token.as_text(), view_token: view_token.as_text() };
        if due_at_ms.is_none() {
            let request = build_send(config, &card, person, &id, &recipient_id, &links)?;
            sends.push(PendingSend { recipient_id: recipient_id.clone(), request, links });
        } else {
            outbox.push((recipient_id.clone(), links));
        }
        recipients.push(StoredRecipient {
            id: recipient_id,
            pixel_hash: pixel_token.order_id().to_string(),
            view_hash: view_token.order_id().to_string(),
        });
    }

    let record = EcardRecord {
        card,
        sender_token_hash: sender_token.order_id().to_string(),
        recipients,
        created_at_ms: now_ms,
        expires_at_ms,
    };
    let written = write_ecard(redis, &config.keyring, &id, &record, due_at_ms, &outbox);
    if let Err(error) = written {
        // Best effort: a failed create leaves nothing behind.
        let _ = storage::unschedule(redis, &id);
        let _ = storage::delete_keys(redis, &record.all_keys(&id));
        return Err(error);
    }

    let stats_url = format!("/api/ecards/{id}/stats?token={}", sender_token.as_text());
    let mut reply = Reply::json(
        201,
        &json!({
            "id": id,
            "stats_url": stats_url,
            "send_at": due_at_ms.map(store::time::format_rfc3339_ms),
            "expires_at": store::time::format_rfc3339_ms(expires_at_ms),
        }),
    );
    reply.set_header("location", stats_url);
    Ok(CreatedEcard { id, record, reply, sends })
}

/// Builds one recipient's provider request from the card and the recipient's link tokens.
pub fn build_send(
    config: &Config,
    card: &ecards::ValidEcard,
    person: &ecards::Person,
    id: &str,
    recipient_id: &str,
    links: &PendingLinks,
) -> anyhow::Result<ecards::HttpRequest> {
    let links = ecards::RecipientLinks::new(&config.mail.base_url, &links.pixel_token, &links.view_token)
        .context("could not build the recipient links")?;
    let mail = ecards::build_mail(card, person, &links, &config.mail);
    let ids = ecards::SendIds::new(id, recipient_id).context("invalid send ids")?;
    Ok(ecards::build_request(&config.provider, &mail, &ids))
}

fn write_ecard(
    redis: &impl RedisCommands,
    keyring: &Keyring,
    id: &str,
    record: &EcardRecord,
    due_at_ms: Option<u64>,
    outbox: &[(String, PendingLinks)],
) -> anyhow::Result<()> {
    let keys = EcardKeys::new(id);
    for recipient in &record.recipients {
        let initial = Delivery {
            state: if due_at_ms.is_some() { "scheduled" } else { "pending" }.into(),
            reason: None,
            attempts: 0,
            updated_at_ms: record.created_at_ms,
            scheduled_at_ms: due_at_ms,
            next_attempt_at_ms: None,
        };
        storage::set_sealed(redis, keyring, &keys.delivery(&recipient.id), &initial, record.expires_at_ms)?;
        let target = LinkTarget {
            ecard_id: id.to_owned(),
            recipient_id: recipient.id.clone(),
            sent_at_ms: due_at_ms.unwrap_or(record.created_at_ms),
            expires_at_ms: record.expires_at_ms,
        };
        storage::set_sealed(
            redis,
            keyring,
            &storage::pixel_key(&recipient.pixel_hash),
            &target,
            record.expires_at_ms,
        )?;
        storage::set_sealed(
            redis,
            keyring,
            &storage::view_key(&recipient.view_hash),
            &target,
            record.expires_at_ms,
        )?;
    }
    for (recipient_id, links) in outbox {
        storage::set_sealed(redis, keyring, &keys.outbox(recipient_id), links, record.expires_at_ms)?;
    }
    // The record goes after the per-recipient keys, because stats and purge find every other key
    // through it, and the due-set entry goes last, so the dispatcher never finds a partial e-card.
    storage::set_sealed(redis, keyring, &keys.record(), record, record.expires_at_ms)?;
    if let Some(due_at_ms) = due_at_ms {
        storage::schedule(redis, id, due_at_ms)?;
    }
    Ok(())
}

/// Hands a send-now recipient whose attempts so far failed with retryable errors to the due set.
/// Its link tokens go to the outbox and its delivery state becomes `retrying` with the next attempt
/// time. The caller then puts the e-card in the due set, so a dispatcher makes the remaining attempts.
pub fn hand_over_retry(
    redis: &impl RedisCommands,
    keyring: &Keyring,
    created: &CreatedEcard,
    send: &PendingSend,
    attempts: u32,
    retry: (u64, &str),
    now_ms: u64,
) -> anyhow::Result<()> {
    let (due_at_ms, reason) = retry;
    let keys = EcardKeys::new(&created.id);
    let expires_at_ms = created.record.expires_at_ms;
    storage::set_sealed(redis, keyring, &keys.outbox(&send.recipient_id), &send.links, expires_at_ms)?;
    let delivery = Delivery {
        state: "retrying".into(),
        reason: Some(reason.to_owned()),
        attempts,
        updated_at_ms: now_ms,
        scheduled_at_ms: None,
        next_attempt_at_ms: Some(due_at_ms),
    };
    storage::set_sealed(redis, keyring, &keys.delivery(&send.recipient_id), &delivery, expires_at_ms)
}

/// Stores one recipient's final send outcome after `attempts` attempts.
pub fn record_delivery(
    redis: &impl RedisCommands,
    keyring: &Keyring,
    created: &CreatedEcard,
    recipient_id: &str,
    outcome: &ecards::SendOutcome,
    attempts: u32,
    now_ms: u64,
) -> anyhow::Result<()> {
    let (state, reason) = match outcome {
        ecards::SendOutcome::Delivered => ("delivered", None),
        ecards::SendOutcome::RetryableError(reason) | ecards::SendOutcome::PermanentError(reason) => {
            ("failed", Some(reason.clone()))
        }
    };
    let delivery = Delivery {
        state: state.into(),
        reason,
        attempts,
        updated_at_ms: now_ms,
        scheduled_at_ms: None,
        next_attempt_at_ms: None,
    };
    let key = EcardKeys::new(&created.id).delivery(recipient_id);
    storage::set_sealed(redis, keyring, &key, &delivery, created.record.expires_at_ms)
}

/// The pixel reply: always `200`, the GIF and its no-cache headers.
pub fn pixel_reply() -> Reply {
    let mut reply = Reply { status: 200, headers: Vec::new(), body: ecards::TRANSPARENT_GIF.to_vec() };
    for (name, value) in ecards::RESPONSE_HEADERS {
        reply.set_header(&name.to_ascii_lowercase(), value);
    }
    reply
}

/// Records a pixel fetch when the token is known. Unknown or malformed tokens record nothing.
pub fn record_pixel_hit(
    redis: &impl RedisCommands,
    keyring: &Keyring,
    token_text: &str,
    user_agent: Option<&str>,
    client_addr: Option<&str>,
    now_ms: u64,
) -> anyhow::Result<bool> {
    let Ok(token) = OrderToken::parse(token_text) else {
        return Ok(false);
    };
    let key = storage::pixel_key(token.order_id().as_str());
    let Some(target) = storage::get_sealed::<LinkTarget>(redis, keyring, &key)? else {
        return Ok(false);
    };
    let seconds_since_send = now_ms.checked_sub(target.sent_at_ms).map(|ms| ms / 1000);
    let open = ecards::classify_open(user_agent, seconds_since_send);
    push_hit(redis, keyring, &target, open, client_addr, now_ms)?;
    Ok(true)
}

/// Appends one classified hit to the recipient's list that `target` names.
pub fn push_hit(
    redis: &impl RedisCommands,
    keyring: &Keyring,
    target: &LinkTarget,
    open: ecards::OpenInfo,
    client_addr: Option<&str>,
    now_ms: u64,
) -> anyhow::Result<()> {
    // The port is dropped: the address alone identifies the client.
    let ip = client_addr.map(|addr| match addr.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|byte| byte.is_ascii_digit()) => {
            host.trim_matches(['[', ']']).to_owned()
        }
        _ => addr.to_owned(),
    });
    let hit = StoredHit { hit: ecards::Hit { at_unix_ms: now_ms, open }, ip };
    let hits_key = EcardKeys::new(&target.ecard_id).hits(&target.recipient_id);
    storage::push_hit(redis, keyring, &hits_key, &hit, target.expires_at_ms)
}

/// Loads a record and checks the sender token; `Err` is `404` for any mismatch.
fn authorize(
    redis: &impl RedisCommands,
    keyring: &Keyring,
    id: &str,
    token_text: Option<&str>,
) -> Result<EcardRecord, Reply> {
    let not_found = || error_reply(404, "e-card not found; check the id and token of the stats link");
    let valid_id = id.len() == 32 && id.bytes().all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'));
    let token = token_text.and_then(|text| OrderToken::parse(text).ok());
    let (true, Some(token)) = (valid_id, token) else {
        return Err(not_found());
    };
    let record = storage::get_sealed::<EcardRecord>(redis, keyring, &EcardKeys::new(id).record())
        .map_err(|error| {
            eprintln!("ecards: could not read e-card {id}: {error:#}");
            error_reply(503, "storage unavailable; try again later")
        })?
        .ok_or_else(not_found)?;
    if record.sender_token_hash != token.order_id().as_str() {
        return Err(not_found());
    }
    Ok(record)
}

/// `GET /api/ecards/{id}/stats?token=…`: delivery state and open statistics per recipient.
pub fn stats(redis: &impl RedisCommands, keyring: &Keyring, id: &str, token: Option<&str>) -> Reply {
    let record = match authorize(redis, keyring, id, token) {
        Ok(record) => record,
        Err(reply) => return reply,
    };
    match build_stats(redis, keyring, id, &record) {
        Ok(body) => Reply::json(200, &body),
        Err(error) => {
            eprintln!("ecards: could not read stats of e-card {id}: {error:#}");
            error_reply(503, "storage unavailable; try again later")
        }
    }
}

fn build_stats(
    redis: &impl RedisCommands,
    keyring: &Keyring,
    id: &str,
    record: &EcardRecord,
) -> anyhow::Result<serde_json::Value> {
    let keys = EcardKeys::new(id);
    let mut recipients = Vec::with_capacity(record.recipients.len());
    for (stored, person) in record.recipients.iter().zip(&record.card.recipients) {
        let delivery: Option<Delivery> = storage::get_sealed(redis, keyring, &keys.delivery(&stored.id))?;
        let hits: Vec<ecards::Hit> = storage::read_hits(redis, keyring, &keys.hits(&stored.id))?
            .into_iter()
            .map(|stored| stored.hit)
            .collect();
        let opens = ecards::summarize(&hits);
        let classes: std::collections::BTreeMap<String, u32> =
            hits.iter().fold(std::collections::BTreeMap::new(), |mut counts, hit| {
                let class = serde_json::to_value(hit.open.class)
                    .ok()
                    .and_then(|value| value.as_str().map(str::to_owned));
                *counts.entry(class.unwrap_or_default()).or_insert(0) += 1;
                counts
            });
        recipients.push(json!({
            "id": stored.id,
            "name": person.name,
            "email": person.email,
            "delivery": delivery,
            "opens": opens,
            "hits_by_class": classes,
            "timeline": timeline_json(&hits),
        }));
    }
    let send_at = match record.card.send_time {
        ecards::SendTime::At(due_ms) => Some(store::time::format_rfc3339_ms(due_ms)),
        ecards::SendTime::Now => None,
    };
    Ok(json!({
        "id": id,
        "send_at": send_at,
        "design": record.card.design,
        "created_at": store::time::format_rfc3339_ms(record.created_at_ms),
        "expires_at": store::time::format_rfc3339_ms(record.expires_at_ms),
        "recipients": recipients,
    }))
}

/// Lists a recipient's latest hits, oldest first, as `{"hits": [...], "omitted": n, "limit": n}`.
///
/// Each hit has its time (RFC 3339 and Unix milliseconds), class, device and client. The client
/// address stored with a hit is left out: the stats page has no use for it, and anyone with the
/// stats link could otherwise learn where each recipient reads mail.
fn timeline_json(hits: &[ecards::Hit]) -> serde_json::Value {
    let timeline = ecards::timeline(hits);
    let listed: Vec<serde_json::Value> = timeline
        .hits
        .iter()
        .map(|hit| {
            json!({
                "at": store::time::format_rfc3339_ms(hit.at_unix_ms),
                "at_unix_ms": hit.at_unix_ms,
                "class": hit.open.class,
                "device": hit.open.device,
                "client": hit.open.client,
            })
        })
        .collect();
    json!({ "hits": listed, "omitted": timeline.omitted, "limit": timeline.limit })
}

/// `DELETE /api/ecards/{id}?token=…`: deletes every key of the e-card, `204`.
pub fn purge(redis: &impl RedisCommands, keyring: &Keyring, id: &str, token: Option<&str>) -> Reply {
    let record = match authorize(redis, keyring, id, token) {
        Ok(record) => record,
        Err(reply) => return reply,
    };
    let purged =
        storage::unschedule(redis, id).and_then(|()| storage::delete_keys(redis, &record.all_keys(id)));
    match purged {
        Ok(()) => {
            eprintln!("ecards: e-card purged ecard_id={id}");
            Reply::empty(204)
        }
        Err(error) => {
            eprintln!("ecards: could not purge e-card {id}: {error:#}");
            error_reply(503, "storage unavailable; try again later")
        }
    }
}

/// Checks the dispatch endpoint's `Authorization` header. `Err` is `404` when no secret is
/// configured (the endpoint is off), or `401` without detail for a missing or wrong secret.
pub fn authorize_dispatch(
    configured: &crate::DispatchSecret,
    authorization: Option<&str>,
) -> Result<(), Reply> {
    if configured.0.is_empty() {
        return Err(error_reply(404, "not found"));
    }
    let presented = ecards::schedule::bearer_token(authorization).unwrap_or_default();
    if ecards::schedule::secret_matches(&configured.0, presented) {
        return Ok(());
    }
    let mut reply = error_reply(401, "unauthorized");
    reply.set_header("www-authenticate", "Bearer");
    Err(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(at_unix_ms: u64, agent: &str) -> ecards::Hit {
        ecards::Hit { at_unix_ms, open: ecards::classify_open(Some(agent), Some(3_600)) }
    }

    #[test]
    fn timeline_json_lists_classified_hits() {
        let hits = [
            hit(1_748_736_060_000, "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0"),
            hit(1_748_736_000_000, "Mozilla/5.0 (via ggpht.com GoogleImageProxy)"),
        ];
        let json = timeline_json(&hits);
        assert_eq!(json["omitted"], 0);
        assert_eq!(json["limit"], ecards::TIMELINE_MAX_HITS);
        let listed = json["hits"].as_array().unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0]["at"], "2025-06-01T00:00:00Z");
        assert_eq!(listed[0]["class"], "gmail_proxy");
        assert_eq!(listed[0]["client"], "gmail");
        assert_eq!(listed[1]["at_unix_ms"], 1_748_736_060_000u64);
        assert_eq!(listed[1]["class"], "human");
        assert_eq!(listed[1]["device"], "desktop");
        assert_eq!(listed[1]["client"], "firefox");
        for entry in listed {
            let keys: Vec<&str> = entry.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(keys, ["at", "at_unix_ms", "class", "client", "device"], "no address is listed");
        }
    }
}
