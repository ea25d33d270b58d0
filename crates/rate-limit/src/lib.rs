//! Fixed-window rate limiting per client IP address, for Spin components that count requests in Redis.
//!
//! The crate does no I/O. For each request the caller runs two commands built here, `INCR key` and
//! `EXPIRE key window NX`, and passes the count that `INCR` returned to [`RateLimit::decide`]. The key
//! contains a SHA-256 hash of the client's IP address (never the address itself), and `EXPIRE … NX`
//! gives it a lifetime of one window from its first request, so nothing outlives the window. Sending
//! `EXPIRE` on every request, not only the first, means a key whose first `EXPIRE` failed still expires.
//! `NX` needs Redis 7.0 or newer.
//!
//! Spin passes the client's address as `ip:port` in the `spin-client-addr` request header; only the IP
//! part is counted, so every connection from one address shares a budget.
#![forbid(unsafe_code)]

use sha2::{Digest, Sha256};

/// Prefix of every counter key.
pub const KEY_PREFIX: &str = "ratelimit";

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
    /// NOTE: the hash has no secret salt, so someone with a Redis dump could find an IPv4 address by
    /// hashing all 2^32 of them. Each key lives for one window only (60 s in the banners component).
    pub fn key(&self, client_addr: &str) -> String {
        let digest = Sha256::new()
            .chain_update(self.scope.as_bytes())
            .chain_update([0u8])
            .chain_update(client_ip(client_addr).as_bytes())
            .finalize();
        let hex: String = digest[..16].iter().map(|byte| format!("{byte:02x}")).collect();
        format!("{KEY_PREFIX}:{}:{hex}", self.scope)
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
        let key = LIMIT.key("127.0.0.1:40000");
        assert_eq!(key, LIMIT.key("127.0.0.1:40001"), "ports of one address share a key");
        assert_ne!(key, LIMIT.key("127.0.0.2:40000"));
        let other_scope = RateLimit { scope: "ecards", ..LIMIT };
        assert_ne!(key, other_scope.key("127.0.0.1:40000"));
        assert!(key.starts_with("ratelimit:banners:"), "{key}");
        assert_eq!(key.len(), "ratelimit:banners:".len() + 32);
        assert!(!key.contains("127.0.0.1"), "the address itself must not appear: {key}");
    }

    #[test]
    fn decide_limits_after_max_requests() {
        assert_eq!(LIMIT.decide(1), Decision::Allowed { remaining: 2 });
        assert_eq!(LIMIT.decide(3), Decision::Allowed { remaining: 0 });
        assert_eq!(LIMIT.decide(4), Decision::Limited { retry_after_secs: 60 });
        assert_eq!(LIMIT.decide(i64::MAX), Decision::Limited { retry_after_secs: 60 });
    }

    #[test]
    fn command_arguments() {
        let key = LIMIT.key("127.0.0.1:1");
        assert_eq!(RateLimit::incr_arguments(&key), vec![key.clone()]);
        assert_eq!(LIMIT.expire_arguments(&key), [key, "60".to_owned(), "NX".to_owned()]);
    }
}
