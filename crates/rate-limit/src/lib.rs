//! Fixed-window rate limiting per client IP address, for Spin components that count requests in Redis.
//!
//! The crate does no I/O. For each request the caller runs two commands built here, `INCR key` and
//! `EXPIRE key window NX`, and passes the count that `INCR` returned to [`RateLimit::decide`]. The key
//! contains an HMAC-SHA256 of the client's IP address under a secret the caller passes (never the
//! address itself), so a Redis dump reveals no address unless the secret leaks too. `EXPIRE … NX`
//! gives it a lifetime of one window from its first request, so nothing outlives the window. Sending
//! `EXPIRE` on every request, not only the first, means a key whose first `EXPIRE` failed still expires.
//! `NX` needs Redis 7.0 or newer.
//!
//! Spin passes the client's address as `ip:port` in the `spin-client-addr` request header; only the IP
//! part is counted, so every connection from one address shares a budget.
//!
//! NOTE: behind a reverse proxy or load balancer, `spin-client-addr` is the proxy's address, so all
//! clients would share one budget. Forwarded headers are not read, because a client can forge them.
//!
//! The `hmac` and `sha2` crates compute the hash.
#![forbid(unsafe_code)]

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Prefix of every counter key.
pub const KEY_PREFIX: &str = "ratelimit";

/// Purpose name under which the components derive the key secret from the storage key.
pub const SECRET_PURPOSE: &str = "rate-limit";

/// The secret that counter keys are hashed under. Debug output never shows it.
#[derive(Clone)]
pub struct KeySecret([u8; 32]);

impl KeySecret {
    /// Wraps 32 secret bytes, such as `Keyring::derive_key(SECRET_PURPOSE)` of the storage key.
    pub const fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }
}

impl std::fmt::Debug for KeySecret {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("KeySecret(..)")
    }
}

/// A failure to count a request in Redis.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CountError<E> {
    /// A command failed, such as when Redis is down.
    #[error("{command} failed: {error}")]
    Command {
        /// `INCR` or `EXPIRE`.
        command: &'static str,
        /// The error the caller's `execute` returned.
        error: E,
    },
    /// `INCR` returned something other than an integer.
    #[error("INCR returned no integer")]
    UnexpectedReply,
}

/// A budget variable that is not a positive whole number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {variable} variable {value:?}: expected a positive whole number")]
pub struct InvalidBudget {
    /// Name of the Spin variable.
    pub variable: &'static str,
    /// The value as set.
    pub value: String,
}

/// Parses a budget variable's value: a positive whole number, or `default` when it is unset or empty.
pub fn parse_max_requests(
    variable: &'static str,
    value: Option<&str>,
    default: u32,
) -> Result<u32, InvalidBudget> {
    match value.map(str::trim).filter(|text| !text.is_empty()) {
        None => Ok(default),
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|count| *count > 0)
            .ok_or_else(|| InvalidBudget { variable, value: text.to_owned() }),
    }
}

/// A request budget: `max_requests` per window of `window_secs` seconds, counted per client IP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Name of the budget, such as `banners`, which keeps each component's counts separate.
    pub scope: &'static str,
    /// Requests allowed in one window; the next one is limited.
    pub max_requests: u32,
    /// Length of the window in seconds, which is also the counter key's lifetime.
    pub window_secs: u32,
}

/// The outcome for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The request is within the budget.
    Allowed {
        /// Requests left in this window after this one.
        remaining: u32,
    },
    /// The budget is used up, so the caller returns `429` with `Retry-After`.
    Limited {
        /// Seconds to wait. It is the whole window, an upper bound, because the key's remaining
        /// lifetime would take one more command to read.
        retry_after_secs: u32,
    },
}

impl RateLimit {
    /// Builds the counter key for a `spin-client-addr` value (`ip:port`, `[ipv6]:port` or a bare IP).
    ///
    /// The key contains the first 16 bytes of HMAC-SHA256(`secret`, scope, 0, IP) in hex. Without the
    /// secret, nobody can test guessed addresses against a key, which the 2^32 IPv4 addresses
    /// would otherwise make easy. The components derive the secret from the storage key, so
    /// rotating the storage key starts every count afresh.
    pub fn key(&self, secret: &KeySecret, client_addr: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&secret.0)
            .expect("HMAC-SHA256 accepts a key of any length");
        mac.update(self.scope.as_bytes());
        mac.update(&[0u8]);
        mac.update(client_ip(client_addr).as_bytes());
        let digest = mac.finalize().into_bytes();
        let hex: String = digest[..16].iter().map(|byte| format!("{byte:02x}")).collect();
        format!("{KEY_PREFIX}:{}:{hex}", self.scope)
    }

    /// Counts one request from `client_addr` and decides: `INCR key`, then `EXPIRE key window NX`.
    ///
    /// `execute` runs one command with its arguments on the caller's Redis connection and returns
    /// the integer reply, or `None` for any other reply.
    pub fn count_request<E>(
        &self,
        secret: &KeySecret,
        client_addr: &str,
        mut execute: impl FnMut(&'static str, &[String]) -> Result<Option<i64>, E>,
    ) -> Result<Decision, CountError<E>> {
        let key = self.key(secret, client_addr);
        let count = execute("INCR", &Self::incr_arguments(&key))
            .map_err(|error| CountError::Command { command: "INCR", error })?
            .ok_or(CountError::UnexpectedReply)?;
        execute("EXPIRE", &self.expire_arguments(&key))
            .map_err(|error| CountError::Command { command: "EXPIRE", error })?;
        Ok(self.decide(count))
    }

    /// Returns the arguments of `INCR` for `key`.
    pub fn incr_arguments(key: &str) -> Vec<String> {
        vec![key.to_owned()]
    }

    /// Returns the arguments of `EXPIRE key window_secs NX`.
    pub fn expire_arguments(&self, key: &str) -> Vec<String> {
        vec![key.to_owned(), self.window_secs.to_string(), "NX".to_owned()]
    }

    /// Decides from the count `INCR` returned, which includes this request.
    pub fn decide(&self, count: i64) -> Decision {
        let max_requests = i64::from(self.max_requests);
        if count > max_requests {
            Decision::Limited { retry_after_secs: self.window_secs }
        } else {
            let remaining = (max_requests - count.max(0)).clamp(0, max_requests);
            Decision::Allowed { remaining: u32::try_from(remaining).unwrap_or(0) }
        }
    }
}

/// Returns the IP part of a client address: `203.0.113.7:5100` → `203.0.113.7`,
/// `[2001:db8::1]:443` → `2001:db8::1`. A value without a port is returned trimmed and unchanged.
pub fn client_ip(client_addr: &str) -> &str {
    let addr = client_addr.trim();
    if let Some(rest) = addr.strip_prefix('[') {
        return rest.split_once(']').map_or(rest, |(ip, _)| ip);
    }
    match addr.rsplit_once(':') {
        // Exactly one colon: IPv4 with a port. More colons: a bare IPv6 address.
        Some((ip, port)) if !ip.contains(':') && port.bytes().all(|byte| byte.is_ascii_digit()) => ip,
        _ => addr,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: RateLimit = RateLimit { scope: "banners", max_requests: 3, window_secs: 60 };
    const SECRET: &KeySecret = &KeySecret(*b"0123456789abcdef0123456789abcdef");

    #[test]
    fn client_ip_drops_port() {
        assert_eq!(client_ip("203.0.113.7:5100"), "203.0.113.7");
        assert_eq!(client_ip("[2001:db8::1]:443"), "2001:db8::1");
        assert_eq!(client_ip("2001:db8::1"), "2001:db8::1");
        assert_eq!(client_ip(" 127.0.0.1 "), "127.0.0.1");
        assert_eq!(client_ip(""), "");
    }

    #[test]
    fn key_is_per_ip_and_scope() {
        let key = LIMIT.key(SECRET, "127.0.0.1:40000");
        assert_eq!(key, LIMIT.key(SECRET, "127.0.0.1:40001"), "ports of one address share a key");
        assert_ne!(key, LIMIT.key(SECRET, "127.0.0.2:40000"));
        let other_scope = RateLimit { scope: "ecards", ..LIMIT };
        assert_ne!(key, other_scope.key(SECRET, "127.0.0.1:40000"));
        assert!(key.starts_with("ratelimit:banners:"), "{key}");
        assert_eq!(key.len(), "ratelimit:banners:".len() + 32);
        assert!(!key.contains("127.0.0.1"), "the address itself must not appear: {key}");
    }

    #[test]
    fn key_depends_on_secret() {
        let other_secret = &KeySecret::new(*b"fedcba9876543210fedcba9876543210");
        for addr in ["203.0.113.7:5100", "[2001:db8::1]:443"] {
            let key = LIMIT.key(SECRET, addr);
            assert_ne!(key, LIMIT.key(other_secret, addr), "{addr}");
            assert_eq!(key, LIMIT.key(SECRET, addr), "{addr}: the key is stable for one secret");
            let ip = client_ip(addr);
            assert!(!key.contains(ip), "{key} contains {ip}");
        }
    }

    #[test]
    fn secret_stays_out_of_debug() {
        assert_eq!(format!("{SECRET:?}"), "KeySecret(..)");
    }

    #[test]
    fn key_is_not_plain_hash_of_address() {
        use sha2::Digest;

        // The keys of earlier versions: SHA-256 of scope, 0 and IP, with no secret.
        let unkeyed =
            Sha256::new().chain_update(b"banners").chain_update([0u8]).chain_update(b"127.0.0.1").finalize();
        let unkeyed_hex: String = unkeyed[..16].iter().map(|byte| format!("{byte:02x}")).collect();
        let key = LIMIT.key(SECRET, "127.0.0.1:1");
        assert!(!key.ends_with(&unkeyed_hex), "{key}");
    }

    #[test]
    fn decide_limits_after_max_requests() {
        assert_eq!(LIMIT.decide(1), Decision::Allowed { remaining: 2 });
        assert_eq!(LIMIT.decide(3), Decision::Allowed { remaining: 0 });
        assert_eq!(LIMIT.decide(4), Decision::Limited { retry_after_secs: 60 });
        assert_eq!(LIMIT.decide(i64::MAX), Decision::Limited { retry_after_secs: 60 });
    }

    #[test]
    fn budget_variable_parses() {
        assert_eq!(parse_max_requests("orders_requests_per_hour", None, 20), Ok(20));
        assert_eq!(parse_max_requests("orders_requests_per_hour", Some(" "), 20), Ok(20));
        assert_eq!(parse_max_requests("orders_requests_per_hour", Some(" 5 "), 20), Ok(5));
        for bad in ["0", "-1", "ten", "1.5"] {
            let error = parse_max_requests("orders_requests_per_hour", Some(bad), 20).unwrap_err();
            assert_eq!(
                error.to_string(),
                format!(
                    "invalid orders_requests_per_hour variable {bad:?}: expected a positive whole number"
                )
            );
        }
    }

    #[test]
    fn count_request_runs_incr_then_expire() {
        let mut commands = Vec::new();
        let decision = LIMIT.count_request(SECRET, "127.0.0.1:1", |command, arguments| {
            commands.push((command, arguments.to_vec()));
            Ok::<_, String>(Some(4))
        });
        assert_eq!(decision, Ok(Decision::Limited { retry_after_secs: 60 }));
        let key = LIMIT.key(SECRET, "127.0.0.1:1");
        assert_eq!(commands[0], ("INCR", vec![key.clone()]));
        assert_eq!(commands[1], ("EXPIRE", vec![key, "60".to_owned(), "NX".to_owned()]));
        assert_eq!(commands.len(), 2);
    }

    #[test]
    fn count_request_reports_failures() {
        let down = LIMIT.count_request(SECRET, "127.0.0.1:1", |_, _| Err::<Option<i64>, _>("refused"));
        assert_eq!(down, Err(CountError::Command { command: "INCR", error: "refused" }));
        assert_eq!(down.unwrap_err().to_string(), "INCR failed: refused");

        let odd = LIMIT.count_request(SECRET, "127.0.0.1:1", |_, _| Ok::<_, String>(None));
        assert_eq!(odd, Err(CountError::UnexpectedReply));

        let expire_fails = LIMIT.count_request(SECRET, "127.0.0.1:1", |command, _| match command {
            "INCR" => Ok(Some(1)),
            _ => Err("read only"),
        });
        assert_eq!(expire_fails, Err(CountError::Command { command: "EXPIRE", error: "read only" }));
    }

    #[test]
    fn command_arguments() {
        let key = LIMIT.key(SECRET, "127.0.0.1:1");
        assert_eq!(RateLimit::incr_arguments(&key), vec![key.clone()]);
        assert_eq!(LIMIT.expire_arguments(&key), [key, "60".to_owned(), "NX".to_owned()]);
    }
}
