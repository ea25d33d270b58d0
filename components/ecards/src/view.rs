//! `GET /ecards/{token}`: the "view in browser" page that each mail links to.
//!
//! A person opens this URL, so every reply is HTML: the card, or the site's own 404 page for an
//! unknown, expired, deleted or malformed token. Every reply sends `no-store`, `no-referrer`,
//! `nosniff` and the site's Content-Security-Policy. A load of the card is recorded as a hit of the
//! recipient, classified as a browser view unless the agent is a known scanner.

use store::{Keyring, OrderToken};

use crate::handlers::push_hit;
use crate::reply::Reply;
use crate::storage::{self, EcardKeys, EcardRecord, LinkTarget, RedisCommands};

/// Path prefix of the page.
pub const VIEW_PREFIX: &str = "/ecards/";

/// Body of every `404` of the page: the site's own 404 page.
pub const NOT_FOUND_PAGE: &str = include_str!("../../../static/404.html");

/// The page request's client details, recorded with the hit.
pub struct Visitor<'a> {
    /// The `user-agent` header.
    pub user_agent: Option<&'a str>,
    /// The `spin-client-addr` header.
    pub client_addr: Option<&'a str>,
}

/// Serves the page for `token_text` at `now_ms`.
pub fn view_page(
    redis: &impl RedisCommands,
    keyring: &Keyring,
    token_text: &str,
    visitor: &Visitor<'_>,
    now_ms: u64,
) -> Reply {
    match load_page(redis, keyring, token_text, visitor, now_ms) {
        Ok(Some(page)) => html_reply(200, &page),
        Ok(None) => html_reply(404, NOT_FOUND_PAGE),
        Err(error) => {
            eprintln!("ecards: could not serve a view page: {error:#}");
            unavailable()
        }
    }
}

/// Builds the `503` page for when storage cannot be reached.
pub fn unavailable() -> Reply {
    html_reply(
        503,
        &simple_page("Service unavailable", "The card cannot be shown right now. Try again later."),
    )
}

fn load_page(
    redis: &impl RedisCommands,
    keyring: &Keyring,
    token_text: &str,
    visitor: &Visitor<'_>,
    now_ms: u64,
) -> anyhow::Result<Option<String>> {
    // Step 1: the token leads to the e-card and recipient.
    let Ok(token) = OrderToken::parse(token_text) else {
        return Ok(None);
    };
    let key = storage::view_key(token.order_id().as_str());
    let Some(target) = storage::get_sealed::<LinkTarget>(redis, keyring, &key)? else {
        return Ok(None);
    };
    let record_key = EcardKeys::new(&target.ecard_id).record();
    let Some(record) = storage::get_sealed::<EcardRecord>(redis, keyring, &record_key)? else {
        return Ok(None);
    };
    let Some(index) = record.recipients.iter().position(|recipient| recipient.id == target.recipient_id)
    else {
        return Ok(None);
    };
    let Some(page) = ecards::view::view_page_html(&record.card, index) else {
        return Ok(None);
    };

    // Step 2: the hit. A failure to record it is logged, and the card is still shown.
    let open = ecards::classify_view(visitor.user_agent);
    if let Err(error) = push_hit(redis, keyring, &target, open, visitor.client_addr, now_ms) {
        eprintln!(
            "ecards: could not record a view ecard_id={} recipient_id={}: {error:#}",
            target.ecard_id, target.recipient_id
        );
    }
    Ok(Some(page))
}

/// Builds the `405` page for any method but `GET`.
pub fn method_not_allowed() -> Reply {
    let mut reply =
        html_reply(405, &simple_page("Method not allowed", "Open this card with GET, as a browser does."));
    reply.set_header("allow", "GET");
    reply
}

fn simple_page(title: &str, message: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
         <body><main><h1>{title}</h1><p>{message}</p></main></body>\n</html>\n"
    )
}

fn html_reply(status: u16, body: &str) -> Reply {
    let mut reply = Reply::empty(status);
    reply.set_header("content-type", "text/html; charset=utf-8");
    // The card page loads no analytics, so the policy names no analytics host.
    reply.set_header("content-security-policy", crate::csp::content_security_policy(None));
    reply.body = body.as_bytes().to_vec();
    reply
}
