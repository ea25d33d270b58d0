//! Request paths to what the site serves, with the checks that keep file reads inside `static/`.

use percent_encoding::percent_decode_str;

/// Prefix of the asset paths, which map to files under the static folder.
pub const STATIC_PREFIX: &str = "/static/";

/// Longest accepted asset path after `/static/`, in bytes. Longer paths are not found.
pub const MAX_ASSET_PATH_BYTES: usize = 512;

/// The resource a request path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A page, by its file name in the static folder: `/`, `/privacy`, `/banners`, `/text`, `/cards` and
    /// `/cards/stats`.
    Page(&'static str),
    /// A file under the static folder: a relative path of checked segments joined by `/`.
    Asset(String),
    /// `/config.json`: the settings the pages read at run time.
    Config,
    /// Anything else, including every path rejected by [`asset_path`].
    NotFound,
}

/// Maps a request path (without the query) to its [`Target`].
pub fn resolve(path: &str) -> Target {
    match path {
        "/" => Target::Page("index.html"),
        "/privacy" => Target::Page("privacy.html"),
        "/banners" => Target::Page("banners.html"),
        "/text" => Target::Page("text.html"),
        "/cards" => Target::Page("ecards.html"),
        "/cards/stats" => Target::Page("ecard-stats.html"),
        "/config.json" => Target::Config,
        _ => match path.strip_prefix(STATIC_PREFIX).and_then(asset_path) {
            Some(relative) => Target::Asset(relative),
            None => Target::NotFound,
        },
    }
}

/// Percent-decodes the part of an asset path after `/static/` and checks every segment, or returns
/// `None` when the path could name anything outside the static folder or a hidden file.
///
/// The decoded path must be valid UTF-8 and split on `/` into non-empty segments (so no absolute
/// path and no `//`). A segment must not start with `.` (which rejects `.`, `..` and hidden files)
/// and must not contain `\`, `:`, `%` or a control character such as NUL. A `%` left after one
/// round of decoding is a malformed or double-encoded escape, and is rejected rather than decoded again.
pub fn asset_path(encoded: &str) -> Option<String> {
    let decoded = percent_decode_str(encoded).decode_utf8().ok()?;
    if decoded.is_empty() || decoded.len() > MAX_ASSET_PATH_BYTES {
        return None;
    }
    decoded.split('/').all(is_safe_segment).then(|| decoded.into_owned())
}

fn is_safe_segment(segment: &str) -> bool {
    !segment.is_empty()
        && !segment.starts_with('.')
        && !segment.chars().any(|char| matches!(char, '\\' | ':' | '%') || char.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_and_config_resolve() {
        assert_eq!(resolve("/"), Target::Page("index.html"));
        assert_eq!(resolve("/privacy"), Target::Page("privacy.html"));
        assert_eq!(resolve("/banners"), Target::Page("banners.html"));
        assert_eq!(resolve("/text"), Target::Page("text.html"));
        assert_eq!(resolve("/cards"), Target::Page("ecards.html"));
        assert_eq!(resolve("/cards/stats"), Target::Page("ecard-stats.html"));
        assert_eq!(resolve("/config.json"), Target::Config);
    }

    #[test]
    fn assets_resolve_to_relative_paths() {
        let cases = [
            ("/static/css/site.css", "css/site.css"),
            ("/static/js/studio.js", "js/studio.js"),
            ("/static/img/logo.svg", "img/logo.svg"),
            ("/static/index.html", "index.html"),
            ("/static/img/my%20logo.png", "img/my logo.png"),
            ("/static/a..b.txt", "a..b.txt"),
        ];
        for (path, relative) in cases {
            assert_eq!(resolve(path), Target::Asset(relative.to_owned()), "{path}");
        }
    }

    #[test]
    fn other_paths_are_not_found() {
        let paths = [
            "",
            "/index.html",
            "/privacy/",
            "/privacy.html",
            "/Privacy",
            "/config.json/",
            "/static",
            "/static/",
            "/nope",
            "/api",
            "/orders",
            "/cards/",
            "/cards/stats/",
            "/ecards",
            "/spin.toml",
        ];
        for path in paths {
            assert_eq!(resolve(path), Target::NotFound, "{path:?}");
        }
    }

    #[test]
    fn traversal_never_resolves() {
        let paths = [
            // Plain, encoded and mixed `..` segments.
            "/static/../spin.toml",
            "/static/css/../../spin.toml",
            "/static/..",
            "/static/.",
            "/static/./css/site.css",
            "/static/%2e%2e/spin.toml",
            "/static/%2E%2E/spin.toml",
            "/static/.%2e/spin.toml",
            "/static/%2e./spin.toml",
            "/static/..%2fspin.toml",
            "/static/..%2f..%2fetc%2fpasswd",
            "/static/..%2F..%2Fetc%2Fpasswd",
            "/static/css/..%2f..%2fspin.toml",
            // Double encoding: the `%` left after one decoding is rejected.
            "/static/%252e%252e/spin.toml",
            "/static/%252e%252e%252fspin.toml",
            "/static/css%252f..%252f..%252fspin.toml",
            // Absolute paths and empty segments.
            "//etc/passwd",
            "/static//etc/passwd",
            "/static/%2fetc/passwd",
            "/static/%2Fetc%2Fpasswd",
            "/static/css//site.css",
            "/static/css/",
            // Backslashes, drive letters, NUL and other control characters.
            "/static/..\\spin.toml",
            "/static/..%5cspin.toml",
            "/static/..%5Cspin.toml",
            "/static/css\\site.css",
            "/static/C:/Windows/win.ini",
            "/static/C%3a/Windows/win.ini",
            "/static/index.html%00.png",
            "/static/index.html\0",
            "/static/css/site.css%0a",
            // Hidden files.
            "/static/.git/config",
            "/static/.env",
            "/static/css/.hidden.css",
            "/static/%2eenv",
            // Malformed escapes and invalid UTF-8.
            "/static/%zz.css",
            "/static/%",
            "/static/%e2%28%a1.css",
            "/static/%ff.css",
        ];
        for path in paths {
            assert_eq!(resolve(path), Target::NotFound, "{path:?}");
        }
    }

    #[test]
    fn overlong_asset_path_is_not_found() {
        let long = format!("/static/{}.css", "a".repeat(MAX_ASSET_PATH_BYTES));
        assert_eq!(resolve(&long), Target::NotFound);
        let longest = format!("/static/{}.css", "a".repeat(MAX_ASSET_PATH_BYTES - 4));
        assert!(matches!(resolve(&longest), Target::Asset(_)));
    }
}
