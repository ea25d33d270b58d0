//! The e-card scheduler: calls the ecards component's dispatch endpoint about once a second.
//!
//! The endpoint does the work (claiming due e-cards and sending their mail), so any number of
//! worker processes may run a scheduler at once. The scheduler runs on its own thread with its own
//! HTTP client, so a slow or failing endpoint never holds up a render. The secret is sent as a
//! bearer token and never logged, and neither is the endpoint's response body.

use std::time::{Duration, Instant};

use tracing::{debug, info, warn};

/// Time between the starts of two dispatch calls.
pub const DISPATCH_INTERVAL: Duration = Duration::from_secs(1);

/// Time allowed for one dispatch call, connection included. A call sends every due mail, each
/// attempt bounded by the component's 15-second provider timeouts, so it can take a while.
const CALL_TIMEOUT: Duration = Duration::from_secs(120);

/// Failures in a row after which only every [`FAILURE_LOG_EVERY`]th is logged.
const FAILURE_LOG_EVERY: u32 = 60;

/// The dispatch endpoint's URL and secret.
pub struct SchedulerConfig {
    /// URL of `POST /api/ecards/dispatch`, such as `http://127.0.0.1:3000/api/ecards/dispatch`.
    pub url: String,
    /// The endpoint's bearer token (the `dispatch_secret` Spin variable).
    pub secret: String,
}

/// Debug output shows the URL but never the secret.
impl std::fmt::Debug for SchedulerConfig {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("SchedulerConfig").field("url", &self.url).finish_non_exhaustive()
    }
}

impl SchedulerConfig {
    /// Checks the settings: an http(s) URL and a non-empty secret of visible ASCII.
    pub fn new(url: &str, secret: &str) -> anyhow::Result<Self> {
        let url = url.trim();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            anyhow::bail!("invalid dispatch URL {url:?}: expected an http:// or https:// URL");
        }
        let secret = secret.trim();
        if secret.is_empty() || !secret.bytes().all(|byte| byte.is_ascii_graphic()) {
            anyhow::bail!("invalid dispatch secret: it must be non-empty visible ASCII without spaces");
        }
        Ok(Self { url: url.to_owned(), secret: secret.to_owned() })
    }
}

/// Calls the endpoint every [`DISPATCH_INTERVAL`] until `keep_going` returns false.
pub fn run(config: &SchedulerConfig, keep_going: impl Fn() -> bool) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(CALL_TIMEOUT))
        .build()
        .into();
    let authorization = format!("Bearer {}", config.secret);
    info!(url = %config.url, "e-card scheduler started");

    let mut failures = 0u32;
    while keep_going() {
        let started = Instant::now();
        match call(&agent, &config.url, &authorization) {
            Ok(()) => {
                if failures > 0 {
                    info!(failures, "e-card dispatch works again");
                }
                failures = 0;
            }
            Err(problem) => {
                failures = failures.saturating_add(1);
                if failures == 1 || failures.is_multiple_of(FAILURE_LOG_EVERY) {
                    warn!(failures, error = %problem, "e-card dispatch failed; retrying every second");
                }
            }
        }
        super::sleep_while(DISPATCH_INTERVAL.saturating_sub(started.elapsed()), &keep_going);
    }
    info!("e-card scheduler stopped");
}

/// Makes one call; `Err` describes the failure without the secret or the body.
fn call(agent: &ureq::Agent, url: &str, authorization: &str) -> Result<(), String> {
    let response = agent
        .post(url)
        .header("authorization", authorization)
        .send_empty()
        .map_err(|error| format!("request failed: {error}"))?;
    let status = response.status().as_u16();
    match status {
        200..=299 => {
            debug!(status, "e-card dispatch call done");
            Ok(())
        }
        401 | 403 => Err(format!("HTTP {status}: the endpoint rejected SBH_DISPATCH_SECRET")),
        404 => Err("HTTP 404: the endpoint is off or the URL is wrong; set dispatch_secret".to_owned()),
        _ => Err(format!("HTTP {status}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_checks_url_and_secret() {
        assert!(SchedulerConfig::new("http://127.0.0.1:3000/api/ecards/dispatch", "s3cret").is_ok());
        assert!(SchedulerConfig::new("127.0.0.1:3000/api/ecards/dispatch", "s3cret").is_err());
        assert!(SchedulerConfig::new("http://127.0.0.1:3000/api/ecards/dispatch", " ").is_err());
        assert!(SchedulerConfig::new("http://127.0.0.1:3000/api/ecards/dispatch", "a b").is_err());
        let config = SchedulerConfig::new("http://127.0.0.1:3000/d", "s3cret").unwrap();
        assert!(!format!("{config:?}").contains("s3cret"));
    }
}
