//! The ecards component: sends e-cards through a mail API, serves the tracking pixel, and reports
//! open statistics to the sender.
//!
//! Routes:
//! - `POST /api/ecards`: validates the card, stores it, sends each recipient's mail now, `201`.
//!   Each request first counts against the client IP's hourly budget ([`limit`]), and a client
//!   over it gets `429` with `Retry-After`.
//! - `GET /t/{token}.gif`: always the 43-byte GIF; records the fetch when the token is known.
//! - `GET /api/ecards/{id}/stats?token=…`: delivery and open statistics per recipient.
//! - `DELETE /api/ecards/{id}?token=…`: purges every key of the e-card, `204`.
//! - `GET /ecards/{token}`: the "view in browser" page of one recipient's card ([`view`]).
//! - `POST /api/ecards/dispatch` with `Authorization: Bearer {dispatch_secret}`: sends the
//!   scheduled e-cards that are due. The render workers call it about once a second.
//!
//! A `POST /api/ecards` with a future `send_at` stores the e-card and puts it in the due set, and
//! the dispatch endpoint sends it ([`dispatch`]).
//!
//! The request checks, mail text, provider requests, pixel classification and statistics come
//! from the `ecards` crate. This crate adds storage ([`storage`]), the handlers, the dispatcher
//! and, on wasm, the Spin adapter that does the outbound HTTP.

// The site's policy source, compiled here too so the card page sends the same policy as every page.
#[path = "../../site/src/csp.rs"]
pub mod csp;
pub mod dispatch;
pub mod handlers;
pub mod limit;
pub mod reply;
pub mod storage;
pub mod view;

pub use reply::Reply;

/// Settings read from Spin variables on every request.
#[derive(Debug)]
pub struct Config {
    /// Address of the Redis server, such as `redis://127.0.0.1:6379`.
    pub redis_url: String,
    /// The keys that seal stored values.
    pub keyring: store::Keyring,
    /// The mail provider, its API base URL and token.
    pub provider: ecards::ProviderConfig,
    /// Sender address, site name and link base of outgoing mail.
    pub mail: ecards::MailSettings,
    /// The secret the dispatch endpoint requires; empty turns the endpoint off.
    pub dispatch_secret: DispatchSecret,
    /// The per-client-IP budget of `POST /api/ecards`.
    pub create_limit: rate_limit::RateLimit,
    /// The secret the budget's counter keys are hashed under, derived from the storage key.
    pub rate_limit_secret: rate_limit::KeySecret,
}

/// The dispatch endpoint's shared secret. Debug output never shows it.
pub struct DispatchSecret(pub String);

impl std::fmt::Debug for DispatchSecret {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(if self.0.is_empty() { "DispatchSecret(empty)" } else { "DispatchSecret(..)" })
    }
}

/// The raw variable values [`Config::from_values`] checks.
pub struct ConfigValues<'a> {
    /// `redis_url`.
    pub redis_url: &'a str,
    /// `storage_key`.
    pub storage_key: &'a str,
    /// `mail_provider`: `postmark`, `sendgrid` or `resend`.
    pub mail_provider: &'a str,
    /// `mail_api_base`: the provider API root, such as `https://api.resend.com`.
    pub mail_api_base: &'a str,
    /// `mail_api_token`.
    pub mail_api_token: &'a str,
    /// `mail_from_email`: the verified sender address.
    pub mail_from_email: &'a str,
    /// `site_base_url`: the public URL that pixel and view links start with.
    pub site_base_url: &'a str,
    /// `dispatch_secret`: the dispatch endpoint's bearer token, or empty.
    pub dispatch_secret: &'a str,
    /// `ecards_requests_per_hour`: e-cards each client IP may create per hour; empty for the default.
    pub ecards_requests_per_hour: &'a str,
}

/// Site name shown in the `From` header, as in `Ada via Smart Banner Hub`.
pub const SITE_NAME: &str = "Smart Banner Hub";

impl Config {
    /// Checks the variables. A bad value is a configuration error (500), named in the message.
    pub fn from_values(values: &ConfigValues<'_>) -> anyhow::Result<Self> {
        use anyhow::Context;

        let keyring = store::Keyring::parse(values.storage_key).context("invalid storage_key variable")?;
        let provider: ecards::Provider = values.mail_provider.parse().with_context(|| {
            format!(
                "invalid mail_provider variable {:?}: expected postmark, sendgrid or resend",
                values.mail_provider
            )
        })?;
        let provider = ecards::ProviderConfig::new(provider, values.mail_api_base, values.mail_api_token)
            .context("invalid mail_api_base or mail_api_token variable")?;
        let site_base_url = values.site_base_url.trim().trim_end_matches('/');
        if !(site_base_url.starts_with("http://") || site_base_url.starts_with("https://")) {
            anyhow::bail!("invalid site_base_url variable {site_base_url:?}: expected an http(s) URL");
        }
        let from_email = values.mail_from_email.trim();
        ecards::request::check_email(from_email).map_err(|problem| {
            anyhow::anyhow!("invalid mail_from_email variable {from_email:?}: {problem}")
        })?;
        let create_limit = limit::budget(Some(values.ecards_requests_per_hour))?;
        let rate_limit_secret = rate_limit::KeySecret::new(keyring.derive_key(rate_limit::SECRET_PURPOSE));
        Ok(Self {
            redis_url: values.redis_url.to_owned(),
            keyring,
            provider,
            mail: ecards::MailSettings {
                base_url: site_base_url.to_owned(),
                from_email: from_email.to_owned(),
                site_name: SITE_NAME.to_owned(),
            },
            dispatch_secret: DispatchSecret(values.dispatch_secret.trim().to_owned()),
            create_limit,
            rate_limit_secret,
        })
    }
}

/// Returns the current time in milliseconds since the Unix epoch.
pub fn now_ms() -> anyhow::Result<u64> {
    let elapsed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?;
    Ok(u64::try_from(elapsed.as_millis())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(ecards_requests_per_hour: &str) -> ConfigValues<'_> {
        ConfigValues {
            redis_url: "redis://127.0.0.1:6379",
            storage_key: "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
            mail_provider: "resend",
            mail_api_base: "http://127.0.0.1:9",
            mail_api_token: "test-token",
            mail_from_email: "cards@example.com",
            site_base_url: "http://127.0.0.1:3000",
            dispatch_secret: "",
            ecards_requests_per_hour,
        }
    }

    #[test]
    fn config_reads_ecards_budget() {
        let config = Config::from_values(&values("")).unwrap();
        assert_eq!(config.create_limit.max_requests, limit::DEFAULT_REQUESTS_PER_HOUR);
        assert_eq!(Config::from_values(&values("5")).unwrap().create_limit.max_requests, 5);
        let error = Config::from_values(&values("0")).unwrap_err();
        assert!(format!("{error:#}").contains("ecards_requests_per_hour"), "{error:#}");
    }
}

// The entry point is compiled for wasm only: natively, the exported `wasi:http` symbol names are
// not valid in a linker version script, and tests call the plain functions instead.
#[cfg(target_arch = "wasm32")]
mod adapter;
