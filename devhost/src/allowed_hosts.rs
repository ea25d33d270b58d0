//! The `allowed_outbound_hosts` allow-list, matched as Spin matches it.
//!
//! Each entry is `scheme://host[:port]`. `*` may stand for the scheme, the host or the port;
//! `*.example.com` allows any subdomain; a port may be a range `8000..8100` (end excluded).
//! Without a port, the scheme's default port applies (`http` 80, `https` 443, `redis` 6379,
//! `postgres` 5432, `mysql` 3306, `mqtt` 1883), and an entry whose scheme has no default port
//! must name one. An empty list allows nothing.
//!
//! NOTE: Spin's CIDR host entries (`http://10.0.0.0/8:80`) and service chaining (`self`,
//! `*.spin.internal`) are not supported; such entries are rejected at start-up.

use std::ops::Range;

use anyhow::{Context, bail, ensure};
use hyper::http::Uri;

/// A parsed allow-list.
#[derive(Debug, Clone, Default)]
pub struct AllowedHosts {
    entries: Vec<AllowedHost>,
}

/// One allow-list entry.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AllowedHost {
    /// The entry as written, for messages.
    original: String,
    /// `None` for `*`.
    scheme: Option<String>,
    /// The host pattern.
    host: HostPattern,
    /// The port pattern.
    port: PortPattern,
}

/// The host part of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    /// `*`: any host.
    Any,
    /// `*.example.com`: any host ending in `.example.com`.
    AnySubdomain(String),
    /// One host name or IP address, compared case-insensitively.
    Exact(String),
}

/// The port part of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PortPattern {
    /// `*`: any port.
    Any,
    /// One port.
    Port(u16),
    /// `start..end`, end excluded.
    Range(Range<u16>),
}

/// A destination a component wants to reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// URL scheme, lowercase.
    pub scheme: String,
    /// Host name or IP address, lowercase, without brackets.
    pub host: String,
    /// Explicit port, if the URL has one.
    pub port: Option<u16>,
}

impl AllowedHosts {
    /// Parses the entries of one component's `allowed_outbound_hosts`, with templates already
    /// expanded.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> anyhow::Result<Self> {
        let entries = entries
            .iter()
            .map(|entry| AllowedHost::parse(entry.as_ref()))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self { entries })
    }

    /// Checks whether `destination` matches at least one entry.
    pub fn allows(&self, destination: &Destination) -> bool {
        self.entries.iter().any(|entry| entry.allows(destination))
    }

    /// Checks whether the URL (for example `redis://127.0.0.1:6379/0`) is allowed.
    pub fn allows_url(&self, url: &str) -> bool {
        match Destination::from_url(url) {
            Ok(destination) => self.allows(&destination),
            Err(_) => false,
        }
    }
}

impl AllowedHost {
    /// Parses one entry.
    fn parse(entry: &str) -> anyhow::Result<Self> {
        let trimmed = entry.trim();
        let Some((scheme, rest)) = trimmed.split_once("://") else {
            bail!(
                "allowed outbound host {entry:?} has no scheme; write `scheme://host[:port]`, for example `https://api.example.com` or `*://127.0.0.1:*`"
            );
        };

        // Scheme.
        let scheme = match scheme {
            "*" => None,
            s if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphabetic()) => Some(s.to_ascii_lowercase()),
            s => bail!("allowed outbound host {entry:?} has invalid scheme {s:?}"),
        };

        // Path: only an empty one (a trailing slash) is accepted.
        let authority = match rest.split_once('/') {
            Some((authority, "")) => authority,
            Some(_) => bail!("allowed outbound host {entry:?} has a path; write only `scheme://host[:port]`"),
            None => rest,
        };

        // Host and port: the port follows the last colon unless that colon is inside brackets.
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !port.contains(']') => (host, port),
            _ => (authority, ""),
        };
        let host = HostPattern::parse(host).with_context(|| format!("allowed outbound host {entry:?}"))?;
        let port = match port {
            "" => match &scheme {
                Some(scheme) => PortPattern::Port(default_port(scheme).with_context(|| {
                    format!("allowed outbound host {entry:?} has no port, and scheme {scheme:?} has no default port")
                })?),
                None => bail!("allowed outbound host {entry:?} has scheme `*`, so it must give a port (or `*`)"),
            },
            "*" => PortPattern::Any,
            port => PortPattern::parse(port).with_context(|| format!("allowed outbound host {entry:?}"))?,
        };

        Ok(Self { original: entry.to_owned(), scheme, host, port })
    }

    /// Checks whether this entry allows `destination`.
    fn allows(&self, destination: &Destination) -> bool {
        let scheme_ok = self.scheme.as_deref().is_none_or(|scheme| scheme == destination.scheme);
        let port = destination.port.or_else(|| default_port(&destination.scheme));
        let port_ok = match (&self.port, port) {
            (PortPattern::Any, _) => true,
            (_, None) => false,
            (PortPattern::Port(allowed), Some(port)) => *allowed == port,
            (PortPattern::Range(range), Some(port)) => range.contains(&port),
        };
        scheme_ok && self.host.allows(&destination.host) && port_ok
    }
}

impl HostPattern {
    /// Parses the host part of an entry.
    fn parse(host: &str) -> anyhow::Result<Self> {
        let host = host.trim().to_ascii_lowercase();
        ensure!(!host.is_empty(), "the host is empty");
        if host == "*" {
            return Ok(Self::Any);
        }
        if host == "self" || host == "self.alt" || host.ends_with(".spin.internal") {
            bail!("service chaining (`{host}`) is not supported by devhost");
        }
        if let Some(domain) = host.strip_prefix("*.") {
            ensure!(!domain.contains('*'), "wildcards are allowed only as the first label (`*.example.com`)");
            return Ok(Self::AnySubdomain(format!(".{domain}")));
        }
        ensure!(!host.contains('*'), "wildcards are allowed only as the first label (`*.example.com`)");
        ensure!(!host.contains('/'), "CIDR ranges are not supported by devhost");
        Ok(Self::Exact(host.trim_start_matches('[').trim_end_matches(']').to_owned()))
    }

    /// Checks whether this pattern allows `host` (lowercase).
    fn allows(&self, host: &str) -> bool {
        match self {
            Self::Any => true,
            Self::AnySubdomain(suffix) => host.ends_with(suffix.as_str()),
            Self::Exact(exact) => exact == host,
        }
    }
}

impl PortPattern {
    /// Parses a port or a `start..end` range.
    fn parse(port: &str) -> anyhow::Result<Self> {
        if let Some((start, end)) = port.split_once("..") {
            let start = start.parse().with_context(|| format!("port range {port:?} is not numeric"))?;
            let end = end.parse().with_context(|| format!("port range {port:?} is not numeric"))?;
            return Ok(Self::Range(start..end));
        }
        Ok(Self::Port(port.parse().with_context(|| format!("port {port:?} is not a number"))?))
    }
}

impl Destination {
    /// Parses an absolute URL such as `https://api.example.com/v1` or `redis://:pw@host:6379/0`.
    pub fn from_url(url: &str) -> anyhow::Result<Self> {
        let uri: Uri = url.parse().with_context(|| format!("invalid URL {url:?}"))?;
        Self::from_uri(&uri)
    }

    /// Takes scheme, host and port from a parsed URI.
    pub fn from_uri(uri: &Uri) -> anyhow::Result<Self> {
        let scheme = uri.scheme_str().context("URL has no scheme")?.to_ascii_lowercase();
        let authority = uri.authority().context("URL has no host")?;
        let host = authority.host().trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
        Ok(Self { scheme, host, port: authority.port_u16() })
    }
}

/// Returns the default port of a scheme, from Spin's list of known schemes.
fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        "redis" => Some(6379),
        "postgres" => Some(5432),
        "mysql" => Some(3306),
        "mqtt" => Some(1883),
        _ => None,
    }
}

impl std::fmt::Display for AllowedHosts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list: Vec<&str> = self.entries.iter().map(|entry| entry.original.as_str()).collect();
        write!(f, "[{}]", list.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(entries: &[&str], url: &str) -> bool {
        AllowedHosts::parse(entries).unwrap().allows_url(url)
    }

    #[test]
    fn exact_host_with_default_port() {
        let entries = ["https://api.example.com"];
        assert!(allows(&entries, "https://api.example.com/v1/mail"));
        assert!(allows(&entries, "https://API.example.com:443/"));
        assert!(!allows(&entries, "http://api.example.com/"));
        assert!(!allows(&entries, "https://api.example.com:8443/"));
        assert!(!allows(&entries, "https://example.com/"));
        assert!(!allows(&entries, "https://api.example.com.evil.test/"));
    }

    #[test]
    fn explicit_port() {
        let entries = ["http://127.0.0.1:8080"];
        assert!(allows(&entries, "http://127.0.0.1:8080/hook"));
        assert!(!allows(&entries, "http://127.0.0.1/hook"));
        assert!(!allows(&entries, "http://127.0.0.1:8081/hook"));
    }

    #[test]
    fn wildcards() {
        assert!(allows(&["*://127.0.0.1:*"], "redis://127.0.0.1:6380"));
        assert!(allows(&["*://127.0.0.1:*"], "http://127.0.0.1:1"));
        assert!(allows(&["https://*.example.com"], "https://mail.example.com/"));
        assert!(!allows(&["https://*.example.com"], "https://example.com/"));
        assert!(allows(&["http://*:8080"], "http://anything.test:8080/"));
        assert!(allows(&["*://*:*"], "https://anything.test/"));
    }

    #[test]
    fn port_range_excludes_end() {
        let entries = ["http://127.0.0.1:8000..8002"];
        assert!(allows(&entries, "http://127.0.0.1:8001/"));
        assert!(!allows(&entries, "http://127.0.0.1:8002/"));
    }

    #[test]
    fn redis_urls() {
        let entries = ["redis://127.0.0.1:6379"];
        assert!(allows(&entries, "redis://127.0.0.1:6379"));
        assert!(allows(&entries, "redis://127.0.0.1"));
        assert!(allows(&entries, "redis://:secret@127.0.0.1:6379/0"));
        assert!(!allows(&entries, "redis://127.0.0.1:6380"));
        assert!(!allows(&entries, "rediss://127.0.0.1:6379"));
    }

    #[test]
    fn empty_list_allows_nothing() {
        assert!(!allows(&[], "https://api.example.com/"));
    }

    #[test]
    fn bad_entries_are_rejected() {
        for bad in [
            "api.example.com",
            "*",
            "https://api.example.com/path",
            "*://api.example.com",
            "tcp://host",
            "https://a.*.com",
            "http://host:port",
            "http://self",
            "http://orders.spin.internal",
        ] {
            assert!(AllowedHosts::parse(&[bad]).is_err(), "{bad}");
        }
    }

    #[test]
    fn unparsable_url_is_denied() {
        assert!(!allows(&["*://*:*"], "not a url"));
        assert!(!allows(&["*://*:*"], "/relative/path"));
    }
}
