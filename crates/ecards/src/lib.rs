//! The logic behind e-cards: request checks, mail building, mail-provider requests, the tracking
//! pixel and open statistics.
//!
//! The `ecards` Spin component calls this crate. The crate does no I/O: it opens no sockets, reads
//! no settings and stores nothing. The component sends the [`provider::HttpRequest`] values through
//! Spin's outbound HTTP, keeps e-cards, hits and send states in Redis with their 30-day expiry,
//! generates the secret tokens, and schedules sends. The crate builds for `wasm32-wasip2` and the
//! host. `serde` and `serde_json` carry the JSON; RFC 3339 parsing and HTML escaping are written
//! here because each is short.
//!
//! Layout:
//! - [`request`]: the `POST /api/ecards` body, its limits and its field-by-field validation.
//! - [`mail`]: each recipient's subject, HTML and text body, with the pixel and "view in browser"
//!   link, and header text that cannot contain a line break.
//! - [`provider`]: Postmark, SendGrid and Resend request shapes, response classification and the
//!   retry schedule.
//! - [`pixel`]: the 43-byte GIF, its no-cache headers, and classification of each fetch by user
//!   agent and time since sending.
//! - [`schedule`]: the rules of scheduled sending: retries, leases and the dispatch secret.
//! - [`stats`]: a recipient's hits summed up, and listed as a timeline, for the sender's stats page.
//! - [`time`]: RFC 3339 timestamp parsing.
//! - [`view`]: the "view in browser" page.
#![forbid(unsafe_code)]

pub mod mail;
pub mod pixel;
pub mod provider;
pub mod request;
pub mod schedule;
pub mod stats;
pub mod time;
pub mod view;

pub use mail::{HeaderText, Mail, MailError, MailSettings, Mailbox, RecipientLinks, build_mail};
pub use pixel::{
    Client, Device, OpenClass, OpenInfo, RESPONSE_HEADERS, TRANSPARENT_GIF, classify_open, classify_view,
};
pub use provider::{
    HttpRequest, MAIL_NOT_CONFIGURED, Provider, ProviderConfig, ProviderError, SendIds, SendOutcome,
    build_request, classify_response, retry_delay_ms,
};
pub use request::{Design, EcardRequest, FieldError, Person, Problem, RequestError, SendTime, ValidEcard};
pub use stats::{
    Hit, RecipientOpens, TIMELINE_MAX_HITS, Timeline, summarize, summarize_by_recipient, timeline,
};
