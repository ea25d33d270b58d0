//! The Content-Security-Policy of every page, and the Google Analytics measurement id that widens it.
//!
//! The orders component compiles this same file (with `#[path]`) for the order page, so the site and
//! the order page always send one policy. Keep it free of `crate::` paths and of dependencies.

use std::sync::Once;

/// The policy without analytics: every script, style, image, video and request comes from the site
/// itself, and `blob:`/`data:` images and `blob:` video are allowed for the local photo preview and
/// the player.
const BASE_DIRECTIVES: [(&str, &str); 10] = [
    ("default-src", "'self'"),
    ("script-src", "'self'"),
    ("style-src", "'self'"),
    ("img-src", "'self' data: blob:"),
    ("media-src", "'self' blob:"),
    ("connect-src", "'self'"),
    ("object-src", "'none'"),
    ("base-uri", "'none'"),
    ("frame-ancestors", "'none'"),
    ("form-action", "'self'"),
];

/// Hosts added to `script-src` when analytics is on: the gtag.js loader.
const ANALYTICS_SCRIPT_HOSTS: &str = "https://www.googletagmanager.com";

/// Hosts added to `connect-src` and `img-src` when analytics is on: where gtag.js sends hits.
const ANALYTICS_BEACON_HOSTS: &str =
    "https://www.google-analytics.com https://*.google-analytics.com https://www.googletagmanager.com";

/// A Google Analytics 4 measurement id: `G-` followed by 4 to 12 uppercase ASCII letters or digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeasurementId(String);

impl MeasurementId {
    /// Parses an id, or returns `None` when `text` does not have the form `G-[A-Z0-9]{4,12}`.
    pub fn parse(text: &str) -> Option<Self> {
        let suffix = text.strip_prefix("G-")?;
        let valid_length = (4..=12).contains(&suffix.len());
        let valid_chars = suffix.bytes().all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit());
        (valid_length && valid_chars).then(|| Self(text.to_owned()))
    }

    /// Returns the id text, such as `G-ABC123`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Reads the value of the `ga_measurement_id` variable. Surrounding whitespace is ignored. An empty
/// value means analytics is off. An invalid value also turns analytics off and is logged once per
/// component instance (Spin makes a new instance for every request).
pub fn measurement_id_from_variable(value: &str) -> Option<MeasurementId> {
    static LOG_INVALID: Once = Once::new();

    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    let parsed = MeasurementId::parse(value);
    if parsed.is_none() {
        LOG_INVALID.call_once(|| {
            eprintln!(
                "invalid ga_measurement_id variable {value:?}: expected G- and 4 to 12 uppercase letters \
                 or digits; analytics stays off"
            );
        });
    }
    parsed
}

/// Builds the `Content-Security-Policy` header value. With a measurement id, the Google Analytics
/// hosts are added to `script-src`, `connect-src` and `img-src`. Without one, no other host appears.
pub fn content_security_policy(measurement_id: Option<&MeasurementId>) -> String {
    let analytics = measurement_id.is_some();
    let directives: Vec<String> = BASE_DIRECTIVES
        .iter()
        .map(|(name, sources)| {
            let extra = match *name {
                "script-src" if analytics => Some(ANALYTICS_SCRIPT_HOSTS),
                "connect-src" | "img-src" if analytics => Some(ANALYTICS_BEACON_HOSTS),
                _ => None,
            };
            match extra {
                Some(hosts) => format!("{name} {sources} {hosts}"),
                None => format!("{name} {sources}"),
            }
        })
        .collect();
    directives.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_without_id_names_no_host() {
        assert_eq!(
            content_security_policy(None),
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
             media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
             frame-ancestors 'none'; form-action 'self'"
        );
    }

    #[test]
    fn policy_with_id_allows_analytics_hosts() {
        let id = MeasurementId::parse("G-ABC123").unwrap();
        assert_eq!(
            content_security_policy(Some(&id)),
            "default-src 'self'; script-src 'self' https://www.googletagmanager.com; style-src 'self'; \
             img-src 'self' data: blob: https://www.google-analytics.com https://*.google-analytics.com \
             https://www.googletagmanager.com; media-src 'self' blob:; \
             connect-src 'self' https://www.google-analytics.com https://*.google-analytics.com \
             https://www.googletagmanager.com; object-src 'none'; base-uri 'none'; \
             frame-ancestors 'none'; form-action 'self'"
        );
    }

    #[test]
    fn measurement_id_form_is_checked() {
        for valid in ["G-ABCD", "G-ABC123", "G-0123456789AB"] {
            assert_eq!(MeasurementId::parse(valid).map(|id| id.0), Some(valid.to_owned()), "{valid}");
        }
        let invalid = [
            "",
            "G-",
            "G-ABC",
            "G-0123456789ABC",
            "g-ABC123",
            "G-abc123",
            "UA-12345-1",
            "ABC123",
            "G-ABC 123",
            "G-ABC123\"; script-src *",
            "G-ÄBC123",
        ];
        for text in invalid {
            assert_eq!(MeasurementId::parse(text), None, "{text:?}");
        }
    }

    #[test]
    fn variable_value_empty_or_invalid_is_off() {
        assert_eq!(measurement_id_from_variable(""), None);
        assert_eq!(measurement_id_from_variable("   "), None);
        assert_eq!(measurement_id_from_variable("not-an-id"), None);
        assert_eq!(measurement_id_from_variable(" G-ABC123\n").unwrap().as_str(), "G-ABC123");
    }
}
