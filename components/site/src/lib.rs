//! The site component: serves the pages and assets in `static/` and the settings the pages read.
//!
//! | path | response |
//! |---|---|
//! | `/` | `static/index.html` (Portrait Studio) |
//! | `/privacy` | `static/privacy.html` |
//! | `/banners` | `static/banners.html` (Banners studio) |
//! | `/text` | `static/text.html` (Text Studio) |
//! | `/cards` | `static/ecards.html` (write and send an e-card) |
//! | `/cards/stats` | `static/ecard-stats.html` (an e-card's delivery and opens; id and token in the fragment) |
//! | `/static/{path}` | the file under `static/`, for the extensions in [`files::content_type`] |
//! | `/config.json` | `{"ga_measurement_id": "..."}` from the `ga_measurement_id` variable |
//! | anything else | `404` with `static/404.html` |
//!
//! Only `GET` and `HEAD` are served; other methods get `405` with `Allow: GET, HEAD`. Every `200`
//! carries a strong `ETag` (a SHA-256 of the body), and a matching `If-None-Match` gets `304`.
//! HTML and `/config.json` are sent with `Cache-Control: no-cache`, other assets with
//! `public, max-age=3600`. Every response carries the [`csp`] policy, `X-Content-Type-Options:
//! nosniff` and `Referrer-Policy: strict-origin-when-cross-origin`.
//!
//! Spin mounts `static/` at [`STATIC_ROOT`] (the `files` entry in `spin.toml`) and the component reads
//! it with `std::fs` on each request. [`path`] rejects every request path that could name a file
//! outside that folder or a hidden file before any file is opened, and a rejected path is a `404`.
//!
//! Layout:
//! - [`path`]: request path to [`Target`](path::Target), with the traversal checks.
//! - [`files`]: content types, entity tags and file reads.
//! - [`csp`]: the Content-Security-Policy and the analytics measurement id.
//! - [`reply`]: a plain response value.
//! - `adapter` (wasm only): the Spin entry point, which reads the variable and the request.

pub mod csp;
pub mod files;
pub mod path;
pub mod reply;

use std::path::PathBuf;

use csp::MeasurementId;
use path::Target;
pub use reply::Reply;

/// Mount point of the `static/` folder inside the component (the `files` entry in `spin.toml`).
pub const STATIC_ROOT: &str = "/static";

/// `Cache-Control` of HTML and `/config.json`: the browser may keep a copy but must revalidate it,
/// so a new deployment shows at once.
pub const CACHE_REVALIDATE: &str = "no-cache";

/// `Cache-Control` of the other files under `/static/`.
pub const CACHE_ASSET: &str = "public, max-age=3600";

/// Body of the `404` when `static/404.html` is missing or cannot be read.
pub const FALLBACK_NOT_FOUND_PAGE: &str = "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">\
<title>Page not found</title></head>\n<body><main><h1>Page not found</h1>\
<p><a href=\"/\">Go to the Portrait Studio</a></p></main></body>\n</html>\n";

/// The parts of a request the site reads.
#[derive(Debug, Clone, Copy)]
pub struct SiteRequest<'a> {
    /// Method name, such as `GET`.
    pub method: &'a str,
    /// Path without the query, still percent-encoded.
    pub path: &'a str,
    /// The `If-None-Match` header.
    pub if_none_match: Option<&'a str>,
}

/// The static folder and the settings of one request.
#[derive(Debug, Clone)]
pub struct Site {
    /// Folder the pages and assets are read from: [`STATIC_ROOT`] under Spin.
    pub root: PathBuf,
    /// Google Analytics measurement id, or `None` when analytics is off.
    pub measurement_id: Option<MeasurementId>,
}

/// A body to send with `200`, before the conditional and security headers are added.
struct Content {
    content_type: &'static str,
    cache_control: &'static str,
    body: Vec<u8>,
}

impl Site {
    /// Serves one request. A missing file or rejected path is `404`, and a file that exists but
    /// cannot be read is `500` (logged).
    pub fn handle(&self, request: &SiteRequest<'_>) -> Reply {
        let mut reply = match request.method {
            "GET" | "HEAD" => self.respond(request),
            _ => method_not_allowed(),
        };
        reply.set_header(
            "content-security-policy",
            csp::content_security_policy(self.measurement_id.as_ref()),
        );
        reply.set_header("x-content-type-options", "nosniff");
        reply.set_header("referrer-policy", "strict-origin-when-cross-origin");
        if request.method == "HEAD" {
            reply.body.clear();
        }
        reply
    }

    fn respond(&self, request: &SiteRequest<'_>) -> Reply {
        let target = path::resolve(request.path);
        let content = match &target {
            Target::Page(file_name) => self.read_content(file_name),
            Target::Asset(relative) => self.read_content(relative),
            Target::Config => Ok(Some(self.config_content())),
            Target::NotFound => Ok(None),
        };
        match content {
            Ok(Some(content)) => conditional_reply(content, request.if_none_match),
            Ok(None) => self.not_found(),
            Err(error) => {
                eprintln!("site: failed to read {target:?} under {}: {error}", self.root.display());
                let mut reply =
                    Reply::new(500, b"internal error: a file of the site could not be read\n".to_vec());
                reply.set_header("content-type", "text/plain; charset=utf-8");
                reply.set_header("cache-control", "no-store");
                reply
            }
        }
    }

    /// Reads a file of the static folder, or returns `Ok(None)` when it is missing or its extension
    /// is not served.
    fn read_content(&self, relative: &str) -> std::io::Result<Option<Content>> {
        let Some(content_type) = files::content_type(relative) else {
            return Ok(None);
        };
        let cache_control =
            if content_type.starts_with("text/html") { CACHE_REVALIDATE } else { CACHE_ASSET };
        let body = files::read_file(&self.root, relative)?;
        Ok(body.map(|body| Content { content_type, cache_control, body }))
    }

    fn config_content(&self) -> Content {
        let id = self.measurement_id.as_ref().map_or("", MeasurementId::as_str);
        let body = serde_json::json!({ "ga_measurement_id": id }).to_string().into_bytes();
        Content { content_type: "application/json", cache_control: CACHE_REVALIDATE, body }
    }

    /// Builds the `404` with `static/404.html`, or a built-in page when that file is missing.
    fn not_found(&self) -> Reply {
        let body = match files::read_file(&self.root, "404.html") {
            Ok(Some(body)) => body,
            Ok(None) => FALLBACK_NOT_FOUND_PAGE.as_bytes().to_vec(),
            Err(error) => {
                eprintln!("site: failed to read 404.html under {}: {error}", self.root.display());
                FALLBACK_NOT_FOUND_PAGE.as_bytes().to_vec()
            }
        };
        let mut reply = Reply::new(404, body);
        reply.set_header("content-type", "text/html; charset=utf-8");
        reply.set_header("cache-control", CACHE_REVALIDATE);
        reply
    }
}

/// Builds the `200`, or a `304` without a body when `If-None-Match` matches the content's tag.
fn conditional_reply(content: Content, if_none_match: Option<&str>) -> Reply {
    let etag = files::etag(&content.body);
    let not_modified = if_none_match.is_some_and(|header| files::etag_matches(header, &etag));
    let mut reply = if not_modified { Reply::new(304, Vec::new()) } else { Reply::new(200, content.body) };
    reply.set_header("etag", etag);
    reply.set_header("cache-control", content.cache_control);
    if !not_modified {
        reply.set_header("content-type", content.content_type);
    }
    reply
}

/// Builds the `405` for methods other than `GET` and `HEAD`.
pub fn method_not_allowed() -> Reply {
    let mut reply = Reply::new(405, b"method not allowed; use GET or HEAD\n".to_vec());
    reply.set_header("allow", "GET, HEAD");
    reply.set_header("content-type", "text/plain; charset=utf-8");
    reply.set_header("cache-control", "no-store");
    reply
}

// The entry point is compiled for wasm only: natively, the exported `wasi:http` symbol names are
// not valid in a linker version script, and tests call `Site::handle` instead.
#[cfg(target_arch = "wasm32")]
mod adapter {
    //! The Spin entry point: reads the variable and the request, serves it, converts the reply.
    #![allow(unsafe_code, reason = "spin-sdk's #[http_component] expands to the exported C-ABI entry point")]

    use spin_sdk::http::{Request, Response};
    use spin_sdk::http_component;

    use crate::{STATIC_ROOT, Site, SiteRequest, csp};

    #[http_component]
    fn handle_site(request: Request) -> Response {
        let measurement_id = match spin_sdk::variables::get("ga_measurement_id") {
            Ok(value) => csp::measurement_id_from_variable(&value),
            Err(error) => {
                eprintln!(
                    "site: could not read the ga_measurement_id variable: {error}; analytics stays off"
                );
                None
            }
        };
        let site = Site { root: STATIC_ROOT.into(), measurement_id };

        let method = request.method().to_string();
        let site_request = SiteRequest {
            method: &method,
            path: request.path(),
            if_none_match: request.header("if-none-match").and_then(|value| value.as_str()),
        };
        let reply = site.handle(&site_request);

        let mut builder = Response::builder();
        builder.status(reply.status);
        for (name, value) in reply.headers {
            builder.header(name, value);
        }
        builder.body(reply.body).build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
        img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; object-src 'none'; \
        base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

    /// A static folder with one file of each served kind, beside a file that must never be served.
    struct Fixture {
        parent: tempfile::TempDir,
        site: Site,
    }

    impl Fixture {
        fn new() -> Self {
            let parent = tempfile::tempdir().unwrap();
            let root = parent.path().join("static");
            let files: [(&str, &[u8]); 13] = [
                ("index.html", b"<!doctype html><title>Studio</title>"),
                ("privacy.html", b"<!doctype html><title>Privacy</title>"),
                ("404.html", b"<!doctype html><title>Not found</title>"),
                ("order.html", b"<!doctype html><title>Order</title>"),
                ("css/site.css", b"body { margin: 0 }"),
                ("js/analytics.js", b"export {};"),
                ("img/logo.svg", b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
                ("img/logo.png", b"\x89PNG\r\n\x1a\n"),
                ("favicon.ico", b"\0\0\x01\0"),
                ("site.webmanifest", b"{}"),
                ("data.json", b"[]"),
                ("robots.txt", b"User-agent: *"),
                (".env", b"SECRET=1"),
            ];
            for (name, body) in files {
                let path = root.join(name);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, body).unwrap();
            }
            std::fs::write(root.join("notes.md"), "not served").unwrap();
            std::fs::write(parent.path().join("spin.toml"), "outside").unwrap();
            std::fs::create_dir_all(parent.path().join("etc")).unwrap();
            std::fs::write(parent.path().join("etc/passwd"), "outside").unwrap();
            Self { site: Site { root, measurement_id: None }, parent }
        }

        fn with_measurement_id(mut self, id: &str) -> Self {
            self.site.measurement_id = Some(MeasurementId::parse(id).unwrap());
            self
        }

        fn get(&self, path: &str) -> Reply {
            self.request("GET", path, None)
        }

        fn request(&self, method: &str, path: &str, if_none_match: Option<&str>) -> Reply {
            self.site.handle(&SiteRequest { method, path, if_none_match })
        }

        fn file(&self, relative: &str) -> Vec<u8> {
            std::fs::read(self.site.root.join(relative)).unwrap()
        }
    }

    fn assert_security_headers(reply: &Reply, context: &str) {
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"), "{context}");
        assert_eq!(reply.header("referrer-policy"), Some("strict-origin-when-cross-origin"), "{context}");
        assert_eq!(reply.header("content-security-policy"), Some(BASE_POLICY), "{context}");
    }

    #[test]
    fn pages_are_html_without_caching() {
        let fixture = Fixture::new();
        for (path, file) in [("/", "index.html"), ("/privacy", "privacy.html")] {
            let reply = fixture.get(path);
            assert_eq!(reply.status, 200, "{path}");
            assert_eq!(reply.body, fixture.file(file), "{path}");
            assert_eq!(reply.header("content-type"), Some("text/html; charset=utf-8"), "{path}");
            assert_eq!(reply.header("cache-control"), Some("no-cache"), "{path}");
            assert_eq!(reply.header("etag"), Some(files::etag(&reply.body).as_str()), "{path}");
            assert_security_headers(&reply, path);
        }
    }

    #[test]
    fn assets_have_type_and_cache_headers() {
        let fixture = Fixture::new();
        let cases = [
            ("css/site.css", "text/css; charset=utf-8", "public, max-age=3600"),
            ("js/analytics.js", "text/javascript; charset=utf-8", "public, max-age=3600"),
            ("img/logo.svg", "image/svg+xml", "public, max-age=3600"),
            ("img/logo.png", "image/png", "public, max-age=3600"),
            ("favicon.ico", "image/x-icon", "public, max-age=3600"),
            ("site.webmanifest", "application/manifest+json", "public, max-age=3600"),
            ("data.json", "application/json", "public, max-age=3600"),
            ("robots.txt", "text/plain; charset=utf-8", "public, max-age=3600"),
            ("order.html", "text/html; charset=utf-8", "no-cache"),
        ];
        for (relative, content_type, cache_control) in cases {
            let path = format!("/static/{relative}");
            let reply = fixture.get(&path);
            assert_eq!(reply.status, 200, "{path}");
            assert_eq!(reply.body, fixture.file(relative), "{path}");
            assert_eq!(reply.header("content-type"), Some(content_type), "{path}");
            assert_eq!(reply.header("cache-control"), Some(cache_control), "{path}");
            assert!(reply.header("etag").is_some(), "{path}");
            assert_security_headers(&reply, &path);
        }
    }

    #[test]
    fn matching_etag_is_not_modified() {
        let fixture = Fixture::new();
        let etag = fixture.get("/static/css/site.css").header("etag").unwrap().to_owned();

        for header in [etag.clone(), format!("W/{etag}"), format!("\"other\", {etag}"), "*".to_owned()] {
            let reply = fixture.request("GET", "/static/css/site.css", Some(&header));
            assert_eq!(reply.status, 304, "{header}");
            assert!(reply.body.is_empty(), "{header}");
            assert_eq!(reply.header("etag"), Some(etag.as_str()), "{header}");
            assert_eq!(reply.header("cache-control"), Some("public, max-age=3600"), "{header}");
            assert_security_headers(&reply, &header);
        }

        let reply = fixture.request("GET", "/static/css/site.css", Some("\"stale\""));
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body, fixture.file("css/site.css"));
    }

    #[test]
    fn changed_file_gets_new_etag() {
        let fixture = Fixture::new();
        let before = fixture.get("/").header("etag").unwrap().to_owned();
        std::fs::write(fixture.site.root.join("index.html"), "<!doctype html><title>New</title>").unwrap();
        let reply = fixture.request("GET", "/", Some(&before));
        assert_eq!(reply.status, 200);
        assert_ne!(reply.header("etag"), Some(before.as_str()));
    }

    #[test]
    fn config_sends_measurement_id() {
        let reply = Fixture::new().get("/config.json");
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("content-type"), Some("application/json"));
        assert_eq!(reply.header("cache-control"), Some("no-cache"));
        assert!(reply.header("etag").is_some());
        let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(body, serde_json::json!({ "ga_measurement_id": "" }));

        let reply = Fixture::new().with_measurement_id("G-ABC123").get("/config.json");
        let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(body, serde_json::json!({ "ga_measurement_id": "G-ABC123" }));
    }

    #[test]
    fn policy_allows_analytics_only_with_id() {
        let reply = Fixture::new().get("/");
        let policy = reply.header("content-security-policy").unwrap();
        assert_eq!(policy, BASE_POLICY);
        assert!(!policy.contains("google"), "{policy}");

        let fixture = Fixture::new().with_measurement_id("G-ABC123");
        for path in ["/", "/static/css/site.css", "/config.json", "/nope"] {
            let reply = fixture.get(path);
            let policy = reply.header("content-security-policy").unwrap();
            assert!(
                policy.contains("script-src 'self' https://www.googletagmanager.com;"),
                "{path}: {policy}"
            );
            assert!(
                policy.contains(
                    "connect-src 'self' https://www.google-analytics.com https://*.google-analytics.com \
                     https://www.googletagmanager.com;"
                ),
                "{path}: {policy}"
            );
        }
    }

    #[test]
    fn unknown_paths_get_404_page() {
        let fixture = Fixture::new();
        for path in ["/nope", "/index.html", "/static/missing.css", "/static/css", "/static/notes.md"] {
            let reply = fixture.get(path);
            assert_eq!(reply.status, 404, "{path}");
            assert_eq!(reply.body, fixture.file("404.html"), "{path}");
            assert_eq!(reply.header("content-type"), Some("text/html; charset=utf-8"), "{path}");
            assert_eq!(reply.header("etag"), None, "{path}");
            assert_security_headers(&reply, path);
        }
    }

    #[test]
    fn missing_404_page_uses_fallback() {
        let fixture = Fixture::new();
        std::fs::remove_file(fixture.site.root.join("404.html")).unwrap();
        let reply = fixture.get("/nope");
        assert_eq!(reply.status, 404);
        assert_eq!(reply.body, FALLBACK_NOT_FOUND_PAGE.as_bytes());
    }

    #[test]
    fn missing_page_is_not_found() {
        let fixture = Fixture::new();
        std::fs::remove_file(fixture.site.root.join("privacy.html")).unwrap();
        assert_eq!(fixture.get("/privacy").status, 404);
    }

    #[test]
    fn traversal_and_hidden_files_get_404() {
        let fixture = Fixture::new();
        assert!(fixture.parent.path().join("spin.toml").is_file());
        assert!(fixture.parent.path().join("etc/passwd").is_file());
        let paths = [
            "/static/../spin.toml",
            "/static/%2e%2e/spin.toml",
            "/static/%2E%2E/%2E%2E/etc/passwd",
            "/static/..%2fspin.toml",
            "/static/..%2f..%2fetc%2fpasswd",
            "/static/css/..%2f..%2fspin.toml",
            "/static/%252e%252e/spin.toml",
            "/static/%252e%252e%252fspin.toml",
            "//etc/passwd",
            "/static//etc/passwd",
            "/static/%2fetc/passwd",
            "/static/..%5cspin.toml",
            "/static/index.html%00.png",
            "/static/.env",
            "/static/%2eenv",
            "/../spin.toml",
            "/static/../../etc/passwd",
        ];
        for path in paths {
            let reply = fixture.get(path);
            assert_eq!(reply.status, 404, "{path}");
            assert_eq!(reply.body, fixture.file("404.html"), "{path}");

            let reply = fixture.request("HEAD", path, None);
            assert_eq!(reply.status, 404, "HEAD {path}");
        }
    }

    #[test]
    fn head_sends_headers_without_body() {
        let fixture = Fixture::new();
        let get = fixture.get("/static/css/site.css");
        let head = fixture.request("HEAD", "/static/css/site.css", None);
        assert_eq!(head.status, 200);
        assert!(head.body.is_empty());
        assert_eq!(head.headers, get.headers);

        let head = fixture.request("HEAD", "/nope", None);
        assert_eq!(head.status, 404);
        assert!(head.body.is_empty());
    }

    #[test]
    fn other_methods_get_405() {
        let fixture = Fixture::new();
        for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
            for path in ["/", "/static/css/site.css", "/nope"] {
                let reply = fixture.request(method, path, None);
                assert_eq!(reply.status, 405, "{method} {path}");
                assert_eq!(reply.header("allow"), Some("GET, HEAD"), "{method} {path}");
                assert_security_headers(&reply, &format!("{method} {path}"));
            }
        }
    }
}
