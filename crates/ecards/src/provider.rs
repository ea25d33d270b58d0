//! Request shapes for the mail APIs, classification of their responses, and the retry schedule.
//!
//! The component sends the [`HttpRequest`] values built here through Spin's outbound HTTP and hands
//! the status and body back to [`classify_response`]. The shapes follow the providers' API
//! documentation: Postmark `POST /email`, SendGrid v3 `POST /v3/mail/send` and Resend `POST /emails`.
//! The providers' own open and click tracking is switched off where the request can do so, because
//! the e-card's pixel does the tracking.

use serde::Serialize;

use crate::mail::Mail;

/// Most send attempts per recipient, the first one included.
pub const MAX_SEND_ATTEMPTS: u32 = 5;

/// Delay before the first retry, in milliseconds. Each further retry waits four times longer.
pub const FIRST_RETRY_DELAY_MS: u64 = 1_000;

/// Maximum delay between attempts, in milliseconds.
pub const MAX_RETRY_DELAY_MS: u64 = 60_000;

/// Maximum length of a failure reason kept from a provider response, in characters.
pub const MAX_REASON_CHARS: usize = 300;

/// Maximum length of an e-card or recipient id, in characters.
pub const MAX_ID_CHARS: usize = 64;

/// Postmark's default transactional message stream.
pub const POSTMARK_DEFAULT_STREAM: &str = "outbound";

/// Error from configuring a provider or naming a send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The provider name is not one of the supported ones.
    #[error("unknown mail provider {0:?}: expected postmark, sendgrid or resend")]
    UnknownProvider(String),
    /// The API base URL is not an absolute `http` or `https` URL.
    #[error("invalid mail API base URL {0:?}: expected an absolute http:// or https:// URL")]
    InvalidBaseUrl(String),
    /// The API token contains characters that cannot appear in a header.
    #[error("invalid mail API token: it must be visible ASCII")]
    InvalidToken,
    /// An e-card or recipient id is not 1 to 64 characters from `A-Z a-z 0-9 _`.
    #[error("invalid send id {0:?}: expected 1 to 64 characters from A-Z, a-z, 0-9 and _")]
    InvalidId(String),
}

/// The supported mail APIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Postmark.
    Postmark,
    /// Twilio SendGrid.
    SendGrid,
    /// Resend.
    Resend,
}

impl Provider {
    /// Returns the name used in settings.
    pub const fn as_str(self) -> &'static str {
        match self {
            Provider::Postmark => "postmark",
            Provider::SendGrid => "sendgrid",
            Provider::Resend => "resend",
        }
    }

    /// Reports whether the provider takes an idempotency key, so a retried request is not sent
    /// twice. Of the three, only Resend documents one (the `Idempotency-Key` header).
    pub const fn supports_idempotency_key(self) -> bool {
        matches!(self, Provider::Resend)
    }
}

impl std::str::FromStr for Provider {
    type Err = ProviderError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "postmark" => Ok(Provider::Postmark),
            "sendgrid" => Ok(Provider::SendGrid),
            "resend" => Ok(Provider::Resend),
            _ => Err(ProviderError::UnknownProvider(text.to_owned())),
        }
    }
}

/// The provider settings, read from Spin variables.
#[derive(Clone, PartialEq, Eq)]
pub struct ProviderConfig {
    provider: Provider,
    base_url: String,
    api_token: String,
    message_stream: String,
}

/// The API token is a secret, so debug output never shows it.
impl std::fmt::Debug for ProviderConfig {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ProviderConfig")
            .field("provider", &self.provider)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl ProviderConfig {
    /// Checks and stores the settings. The base URL is the API root without a path, such as
    /// `https://api.postmarkapp.com`, `https://api.sendgrid.com` or `https://api.resend.com`, or a
    /// loopback stand-in in tests. Postmark sends through the `outbound` stream unless
    /// [`with_message_stream`](Self::with_message_stream) names another.
    pub fn new(provider: Provider, base_url: &str, api_token: &str) -> Result<Self, ProviderError> {
        let base = base_url.trim().trim_end_matches('/');
        let base_valid = (base.starts_with("https://") || base.starts_with("http://"))
            && base.len() > "https://".len()
            && !base.chars().any(|character| character.is_whitespace() || character.is_control());
        if !base_valid {
            return Err(ProviderError::InvalidBaseUrl(base_url.to_owned()));
        }
        let token = api_token.trim();
        if !token.bytes().all(|byte| byte.is_ascii_graphic()) {
            return Err(ProviderError::InvalidToken);
        }
        Ok(Self {
            provider,
            base_url: base.to_owned(),
            api_token: token.to_owned(),
            message_stream: POSTMARK_DEFAULT_STREAM.to_owned(),
        })
    }

    /// Sets the Postmark message stream; the other providers ignore it.
    pub fn with_message_stream(mut self, stream: &str) -> Self {
        self.message_stream = stream.to_owned();
        self
    }

    /// Returns the provider.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// Returns whether an API token is set. Without one no mail is sent: each recipient is recorded
    /// as failed with [`MAIL_NOT_CONFIGURED`] as the reason.
    pub fn has_token(&self) -> bool {
        !self.api_token.is_empty()
    }
}

/// The failure reason recorded for every recipient while the mail API token is not set.
pub const MAIL_NOT_CONFIGURED: &str =
    "mail sending is not configured on this server (the mail_api_token variable is empty)";

/// The ids of one recipient's send, which name it in the provider's metadata and idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendIds {
    ecard_id: String,
    recipient_id: String,
}

impl SendIds {
    /// Checks both ids: 1–64 characters from `A-Z a-z 0-9 _`, so they need no escaping in metadata,
    /// tags or the idempotency key. The hyphen is left out because it joins the two in that key.
    pub fn new(ecard_id: &str, recipient_id: &str) -> Result<Self, ProviderError> {
        for id in [ecard_id, recipient_id] {
            let valid = (1..=MAX_ID_CHARS).contains(&id.len())
                && id.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'_');
            if !valid {
                return Err(ProviderError::InvalidId(id.to_owned()));
            }
        }
        Ok(Self { ecard_id: ecard_id.to_owned(), recipient_id: recipient_id.to_owned() })
    }

    /// Returns `{ecard_id}-{recipient_id}`, the same for every attempt of this send.
    pub fn idempotency_key(&self) -> String {
        format!("{}-{}", self.ecard_id, self.recipient_id)
    }
}

/// An HTTP request as plain data, for the component to send.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// The method, such as `POST`.
    pub method: &'static str,
    /// The full URL.
    pub url: String,
    /// Header names and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// Returns the first value of a header, matching the name case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }
}

/// Headers carrying the API token are shown as `<redacted>`, and the body (names, addresses and
/// the message) as its length.
impl std::fmt::Debug for HttpRequest {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                let secret = name.eq_ignore_ascii_case("authorization")
                    || name.eq_ignore_ascii_case("x-postmark-server-token");
                (name.as_str(), if secret { "<redacted>" } else { value.as_str() })
            })
            .collect();
        formatter
            .debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &headers)
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

/// Builds the request that sends `mail` through the configured provider.
pub fn build_request(config: &ProviderConfig, mail: &Mail, ids: &SendIds) -> HttpRequest {
    let (path, auth, body) = match config.provider {
        Provider::Postmark => (
            "/email",
            ("X-Postmark-Server-Token".to_owned(), config.api_token.clone()),
            to_json(&postmark_body(config, mail, ids)),
        ),
        Provider::SendGrid => (
            "/v3/mail/send",
            ("Authorization".to_owned(), format!("Bearer {}", config.api_token)),
            to_json(&sendgrid_body(mail, ids)),
        ),
        Provider::Resend => (
            "/emails",
            ("Authorization".to_owned(), format!("Bearer {}", config.api_token)),
            to_json(&resend_body(mail, ids)),
        ),
    };
    let mut headers = vec![
        ("Accept".to_owned(), "application/json".to_owned()),
        ("Content-Type".to_owned(), "application/json".to_owned()),
        auth,
    ];
    if config.provider.supports_idempotency_key() {
        headers.push(("Idempotency-Key".to_owned(), ids.idempotency_key()));
    }
    HttpRequest { method: "POST", url: format!("{}{path}", config.base_url), headers, body }
}

fn to_json<T: Serialize>(body: &T) -> Vec<u8> {
    // The bodies hold only strings, booleans, arrays and structs, which always serialise.
    serde_json::to_vec(body).expect("mail request bodies serialise to JSON")
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PostmarkBody<'a> {
    from: String,
    to: String,
    reply_to: String,
    subject: &'a str,
    html_body: &'a str,
    text_body: &'a str,
    message_stream: &'a str,
    track_opens: bool,
    track_links: &'static str,
    metadata: Metadata<'a>,
}

#[derive(Serialize)]
struct Metadata<'a> {
    ecard_id: &'a str,
    recipient_id: &'a str,
}

fn postmark_body<'a>(config: &'a ProviderConfig, mail: &'a Mail, ids: &'a SendIds) -> PostmarkBody<'a> {
    PostmarkBody {
        from: mail.from.to_header(),
        to: mail.to.to_header(),
        reply_to: mail.reply_to.to_header(),
        subject: mail.subject.as_str(),
        html_body: &mail.html_body,
        text_body: &mail.text_body,
        message_stream: &config.message_stream,
        track_opens: false,
        track_links: "None",
        metadata: Metadata { ecard_id: &ids.ecard_id, recipient_id: &ids.recipient_id },
    }
}

#[derive(Serialize)]
struct SendGridAddress<'a> {
    email: &'a str,
    name: &'a str,
}

impl<'a> SendGridAddress<'a> {
    fn of(mailbox: &'a crate::mail::Mailbox) -> Self {
        Self { email: mailbox.email.as_str(), name: mailbox.name.as_str() }
    }
}

#[derive(Serialize)]
struct SendGridPersonalization<'a> {
    to: [SendGridAddress<'a>; 1],
}

#[derive(Serialize)]
struct SendGridContent<'a> {
    #[serde(rename = "type")]
    mime_type: &'static str,
    value: &'a str,
}

#[derive(Serialize)]
struct SendGridSwitch {
    enable: bool,
}

#[derive(Serialize)]
struct SendGridTracking {
    click_tracking: SendGridSwitch,
    open_tracking: SendGridSwitch,
}

#[derive(Serialize)]
struct SendGridBody<'a> {
    personalizations: [SendGridPersonalization<'a>; 1],
    from: SendGridAddress<'a>,
    reply_to: SendGridAddress<'a>,
    subject: &'a str,
    content: [SendGridContent<'a>; 2],
    custom_args: Metadata<'a>,
    tracking_settings: SendGridTracking,
}

fn sendgrid_body<'a>(mail: &'a Mail, ids: &'a SendIds) -> SendGridBody<'a> {
    SendGridBody {
        personalizations: [SendGridPersonalization { to: [SendGridAddress::of(&mail.to)] }],
        from: SendGridAddress::of(&mail.from),
        reply_to: SendGridAddress::of(&mail.reply_to),
        subject: mail.subject.as_str(),
        // SendGrid requires text/plain before text/html.
        content: [
            SendGridContent { mime_type: "text/plain", value: &mail.text_body },
            SendGridContent { mime_type: "text/html", value: &mail.html_body },
        ],
        custom_args: Metadata { ecard_id: &ids.ecard_id, recipient_id: &ids.recipient_id },
        tracking_settings: SendGridTracking {
            click_tracking: SendGridSwitch { enable: false },
            open_tracking: SendGridSwitch { enable: false },
        },
    }
}

#[derive(Serialize)]
struct ResendTag<'a> {
    name: &'static str,
    value: &'a str,
}

#[derive(Serialize)]
struct ResendBody<'a> {
    from: String,
    to: [String; 1],
    reply_to: String,
    subject: &'a str,
    html: &'a str,
    text: &'a str,
    tags: [ResendTag<'a>; 2],
}

fn resend_body<'a>(mail: &'a Mail, ids: &'a SendIds) -> ResendBody<'a> {
    ResendBody {
        from: mail.from.to_header(),
        to: [mail.to.to_header()],
        reply_to: mail.reply_to.to_header(),
        subject: mail.subject.as_str(),
        html: &mail.html_body,
        text: &mail.text_body,
        tags: [
            ResendTag { name: "ecard_id", value: &ids.ecard_id },
            ResendTag { name: "recipient_id", value: &ids.recipient_id },
        ],
    }
}

/// The outcome of a send attempt, judged from the provider's response.
///
/// NOTE: a reason may quote the recipient's address (Postmark's inactive-recipient message does),
/// so it belongs in the e-card's stored status, never in logs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", content = "reason", rename_all = "snake_case")]
pub enum SendOutcome {
    /// The provider accepted the mail.
    Delivered,
    /// A temporary failure (5xx, 429 or 408): retry after [`retry_delay_ms`].
    RetryableError(String),
    /// A failure that a retry would repeat (other 4xx, or an unexpected status): record it.
    PermanentError(String),
}

/// Classifies a provider's response.
///
/// Any 2xx is delivery, except a Postmark 2xx whose JSON `ErrorCode` is not 0. 5xx, 429 (rate
/// limited) and 408 (request timeout) are retryable, every other status permanent. A timeout or
/// connection failure with no response is for the caller to treat as retryable. The reason is
/// `HTTP {status}` followed by the provider's own error message when the body has one.
pub fn classify_response(provider: Provider, status: u16, body: &[u8]) -> SendOutcome {
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let provider_message = json.as_ref().and_then(|json| error_message(provider, json));
    let reason = || match &provider_message {
        Some(message) => limit_reason(&format!("HTTP {status}: {message}")),
        None => format!("HTTP {status}"),
    };

    match status {
        200..=299 => {
            let postmark_error_code = match (provider, &json) {
                (Provider::Postmark, Some(json)) => json.get("ErrorCode").and_then(serde_json::Value::as_i64),
                _ => None,
            };
            match postmark_error_code {
                Some(code) if code != 0 => SendOutcome::PermanentError(reason()),
                _ => SendOutcome::Delivered,
            }
        }
        408 | 429 | 500..=599 => SendOutcome::RetryableError(reason()),
        _ => SendOutcome::PermanentError(reason()),
    }
}

/// Extracts the error text from each provider's error JSON:
/// Postmark `{"ErrorCode": 300, "Message": "..."}`, SendGrid `{"errors": [{"message": "...",
/// "field": "..."}]}` and Resend `{"name": "validation_error", "message": "..."}`.
fn error_message(provider: Provider, json: &serde_json::Value) -> Option<String> {
    let text = |value: &serde_json::Value, key: &str| {
        value.get(key).and_then(|field| field.as_str()).map(str::to_owned)
    };
    match provider {
        Provider::Postmark => {
            let message = text(json, "Message")?;
            match json.get("ErrorCode").and_then(serde_json::Value::as_i64) {
                Some(code) if code != 0 => Some(format!("error {code}, {message}")),
                _ => Some(message),
            }
        }
        Provider::SendGrid => {
            let messages: Vec<String> = json
                .get("errors")?
                .as_array()?
                .iter()
                .filter_map(|error| {
                    let message = text(error, "message")?;
                    Some(match text(error, "field") {
                        Some(field) => format!("{field}: {message}"),
                        None => message,
                    })
                })
                .collect();
            (!messages.is_empty()).then(|| messages.join("; "))
        }
        Provider::Resend => {
            let message = text(json, "message")?;
            Some(match text(json, "name") {
                Some(name) => format!("{name}, {message}"),
                None => message,
            })
        }
    }
}

/// Cuts a reason to [`MAX_REASON_CHARS`] and replaces control characters with spaces.
fn limit_reason(reason: &str) -> String {
    reason
        .chars()
        .take(MAX_REASON_CHARS)
        .map(|character| if character.is_control() { ' ' } else { character })
        .collect()
}

/// Returns how long to wait after failed attempt number `attempt` (1 is the first send) before the
/// next one, or `None` once [`MAX_SEND_ATTEMPTS`] have been made. The delays are 1 s, 4 s, 16 s and
/// then 60 s (64 s capped at [`MAX_RETRY_DELAY_MS`]).
pub fn retry_delay_ms(attempt: u32) -> Option<u64> {
    if attempt == 0 || attempt >= MAX_SEND_ATTEMPTS {
        return None;
    }
    let factor = 4u64.checked_pow(attempt - 1).unwrap_or(u64::MAX);
    Some(FIRST_RETRY_DELAY_MS.saturating_mul(factor).min(MAX_RETRY_DELAY_MS))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::mail::{HeaderText, Mailbox};

    fn mail() -> Mail {
        Mail {
            from: Mailbox::new("Ada via Cards", "cards@example.com"),
            to: Mailbox::new("Bob, Jr.", "bob@example.com"),
            reply_to: Mailbox::new("Ada", "ada@example.com"),
            subject: HeaderText::new("Ada sent you a birthday card"),
            html_body: "<p>Hi &amp; bye</p>".to_owned(),
            text_body: "Hi & bye".to_owned(),
        }
    }

    fn ids() -> SendIds {
        SendIds::new("card01", "r2").unwrap()
    }

    fn request_for(provider: Provider) -> HttpRequest {
        let config = ProviderConfig::new(provider, "http://127.0.0.1:9025/", "secret-token").unwrap();
        build_request(&config, &mail(), &ids())
    }

    fn body_json(request: &HttpRequest) -> Value {
        serde_json::from_slice(&request.body).unwrap()
    }

    #[test]
    fn postmark_request_shape() {
        let request = request_for(Provider::Postmark);
        assert_eq!(request.method, "POST");
        assert_eq!(request.url, "http://127.0.0.1:9025/email");
        assert_eq!(request.header("x-postmark-server-token"), Some("secret-token"));
        assert_eq!(request.header("Content-Type"), Some("application/json"));
        assert_eq!(request.header("Accept"), Some("application/json"));
        assert_eq!(request.header("Authorization"), None);
        assert_eq!(request.header("Idempotency-Key"), None);
        assert_eq!(
            body_json(&request),
            json!({
                "From": "Ada via Cards <cards@example.com>",
                "To": "\"Bob, Jr.\" <bob@example.com>",
                "ReplyTo": "Ada <ada@example.com>",
                "Subject": "Ada sent you a birthday card",
                "HtmlBody": "<p>Hi &amp; bye</p>",
                "TextBody": "Hi & bye",
                "MessageStream": "outbound",
                "TrackOpens": false,
                "TrackLinks": "None",
                "Metadata": {"ecard_id": "card01", "recipient_id": "r2"},
            })
        );
    }

    #[test]
    fn postmark_message_stream_is_settable() {
        let config = ProviderConfig::new(Provider::Postmark, "https://api.postmarkapp.com", "t")
            .unwrap()
            .with_message_stream("ecards");
        let request = build_request(&config, &mail(), &ids());
        assert_eq!(request.url, "https://api.postmarkapp.com/email");
        assert_eq!(body_json(&request)["MessageStream"], "ecards");
    }

    #[test]
    fn sendgrid_request_shape() {
        let request = request_for(Provider::SendGrid);
        assert_eq!(request.method, "POST");
        assert_eq!(request.url, "http://127.0.0.1:9025/v3/mail/send");
        assert_eq!(request.header("Authorization"), Some("Bearer secret-token"));
        assert_eq!(request.header("Content-Type"), Some("application/json"));
        assert_eq!(request.header("Idempotency-Key"), None);
        assert_eq!(
            body_json(&request),
            json!({
                "personalizations": [{"to": [{"email": "bob@example.com", "name": "Bob, Jr."}]}],
                "from": {"email": "cards@example.com", "name": "Ada via Cards"},
                "reply_to": {"email": "ada@example.com", "name": "Ada"},
                "subject": "Ada sent you a birthday card",
                "content": [
                    {"type": "text/plain", "value": "Hi & bye"},
                    {"type": "text/html", "value": "<p>Hi &amp; bye</p>"},
                ],
                "custom_args": {"ecard_id": "card01", "recipient_id": "r2"},
                "tracking_settings": {"click_tracking": {"enable": false}, "open_tracking": {"enable": false}},
            })
        );
    }

    #[test]
    fn resend_request_shape() {
        let request = request_for(Provider::Resend);
        assert_eq!(request.method, "POST");
        assert_eq!(request.url, "http://127.0.0.1:9025/emails");
        assert_eq!(request.header("Authorization"), Some("Bearer secret-token"));
        assert_eq!(request.header("Idempotency-Key"), Some("card01-r2"));
        assert_eq!(
            body_json(&request),
            json!({
                "from": "Ada via Cards <cards@example.com>",
                "to": ["\"Bob, Jr.\" <bob@example.com>"],
                "reply_to": "Ada <ada@example.com>",
                "subject": "Ada sent you a birthday card",
                "html": "<p>Hi &amp; bye</p>",
                "text": "Hi & bye",
                "tags": [{"name": "ecard_id", "value": "card01"}, {"name": "recipient_id", "value": "r2"}],
            })
        );
    }

    #[test]
    fn debug_hides_token_and_body() {
        for provider in [Provider::Postmark, Provider::SendGrid, Provider::Resend] {
            let request = request_for(provider);
            let debug = format!("{request:?}");
            assert!(!debug.contains("secret-token"), "{debug}");
            assert!(!debug.contains("bob@example.com"), "{debug}");
            let config = ProviderConfig::new(provider, "https://api.example.com", "secret-token").unwrap();
            assert!(!format!("{config:?}").contains("secret-token"));
        }
    }

    #[test]
    fn settings_are_checked() {
        assert_eq!("SendGrid".parse(), Ok(Provider::SendGrid));
        assert_eq!(" resend ".parse(), Ok(Provider::Resend));
        assert_eq!("mailgun".parse::<Provider>(), Err(ProviderError::UnknownProvider("mailgun".to_owned())));
        assert_eq!(
            ProviderConfig::new(Provider::Resend, "api.resend.com", "t"),
            Err(ProviderError::InvalidBaseUrl("api.resend.com".to_owned()))
        );
        let unset = ProviderConfig::new(Provider::Resend, "https://api.resend.com", " ").unwrap();
        assert!(!unset.has_token());
        assert_eq!(
            ProviderConfig::new(Provider::Resend, "https://api.resend.com", "a\r\nX-Injected: 1"),
            Err(ProviderError::InvalidToken)
        );
    }

    #[test]
    fn send_ids_are_checked() {
        assert_eq!(ids().idempotency_key(), "card01-r2");
        for (ecard, recipient) in [("", "r"), ("a-b", "r"), ("card", "r 1"), ("card", &"r".repeat(65))] {
            assert!(SendIds::new(ecard, recipient).is_err(), "{ecard:?} {recipient:?}");
        }
    }

    #[test]
    fn success_responses_are_delivered() {
        assert_eq!(classify_response(Provider::SendGrid, 202, b""), SendOutcome::Delivered);
        assert_eq!(
            classify_response(Provider::Postmark, 200, br#"{"ErrorCode":0,"Message":"OK","MessageID":"x"}"#),
            SendOutcome::Delivered
        );
        assert_eq!(classify_response(Provider::Resend, 200, br#"{"id":"49a3999c"}"#), SendOutcome::Delivered);
    }

    #[test]
    fn server_errors_are_retryable() {
        assert_eq!(
            classify_response(Provider::Resend, 500, b"oops"),
            SendOutcome::RetryableError("HTTP 500".into())
        );
        assert_eq!(
            classify_response(
                Provider::Postmark,
                429,
                br#"{"ErrorCode":429,"Message":"Rate limit exceeded"}"#
            ),
            SendOutcome::RetryableError("HTTP 429: error 429, Rate limit exceeded".into())
        );
        assert_eq!(
            classify_response(Provider::SendGrid, 503, b""),
            SendOutcome::RetryableError("HTTP 503".into())
        );
        assert_eq!(
            classify_response(Provider::SendGrid, 408, b""),
            SendOutcome::RetryableError("HTTP 408".into())
        );
    }

    #[test]
    fn client_errors_are_permanent() {
        assert_eq!(
            classify_response(
                Provider::Postmark,
                422,
                br#"{"ErrorCode":300,"Message":"Invalid 'To' address: 'x'."}"#
            ),
            SendOutcome::PermanentError("HTTP 422: error 300, Invalid 'To' address: 'x'.".into())
        );
        assert_eq!(
            classify_response(
                Provider::SendGrid,
                400,
                br#"{"errors":[{"message":"Does not contain a valid address.","field":"from.email","help":null}]}"#
            ),
            SendOutcome::PermanentError("HTTP 400: from.email: Does not contain a valid address.".into())
        );
        assert_eq!(
            classify_response(
                Provider::Resend,
                403,
                br#"{"statusCode":403,"message":"The domain is not verified.","name":"validation_error"}"#
            ),
            SendOutcome::PermanentError("HTTP 403: validation_error, The domain is not verified.".into())
        );
        assert_eq!(
            classify_response(Provider::Resend, 401, b""),
            SendOutcome::PermanentError("HTTP 401".into())
        );
        assert_eq!(
            classify_response(Provider::Resend, 301, b""),
            SendOutcome::PermanentError("HTTP 301".into())
        );
    }

    #[test]
    fn postmark_error_code_on_success_status() {
        assert_eq!(
            classify_response(
                Provider::Postmark,
                200,
                br#"{"ErrorCode":406,"Message":"Inactive recipient"}"#
            ),
            SendOutcome::PermanentError("HTTP 200: error 406, Inactive recipient".into())
        );
    }

    #[test]
    fn reasons_are_cut_and_cleaned() {
        let long = format!(r#"{{"message":"{}\nend","name":"x"}}"#, "m".repeat(1000));
        let SendOutcome::PermanentError(reason) = classify_response(Provider::Resend, 422, long.as_bytes())
        else {
            panic!("expected a permanent error");
        };
        assert_eq!(reason.chars().count(), MAX_REASON_CHARS);
        assert!(!reason.contains('\n'));
    }

    #[test]
    fn retry_schedule() {
        let delays: Vec<Option<u64>> = (0..=6).map(retry_delay_ms).collect();
        assert_eq!(delays, [None, Some(1_000), Some(4_000), Some(16_000), Some(60_000), None, None]);
        assert_eq!(retry_delay_ms(u32::MAX), None);
    }
}
