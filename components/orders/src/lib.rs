//! The orders component: status, video, deletion and data export of one order, by its token.
//!
//! | route | response |
//! |---|---|
//! | `GET /api/orders/{token}` | `200` status JSON |
//! | `GET /api/orders/{token}/animation.mp4` | the MP4: `200`, `206` for a range, `304`, `409` until ready, `416` |
//! | `DELETE /api/orders/{token}` | `204` after every key of the order is deleted |
//! | `GET /api/orders/{token}/data` | `200` JSON export, as the attachment `order-data.json` |
//! | `GET /orders/{token}` | `200` the order page (`static/order.html`, built in) |
//!
//! An unknown, expired, deleted or malformed token gets `404` with one identical body: JSON on the
//! API, an HTML page on the order page. Every response sends `Referrer-Policy: no-referrer` and
//! `Cache-Control: no-store`, except that the video sends `private, max-age` bounded by the order's
//! expiry. The order page and its error pages also send the site's Content-Security-Policy, which
//! depends on the `ga_measurement_id` variable. A path with the wrong method gets `405` with `Allow`.
//!
//! Layout:
//! - [`route`]: path and method to an [`Action`](route::Action).
//! - [`storage`]: the order's keys in Redis, behind a trait that tests fake.
//! - [`view`]: the status JSON.
//! - [`video`] and [`range`]: the video route and `Range` parsing.
//! - [`export`]: the data export.
//! - [`page`]: the order page and its HTML error pages; [`csp`]: the policy, shared with the site
//!   component.
//! - [`error`]: every failure and its HTTP status, in one table; [`reply`]: a plain response value.
//! - `adapter` (wasm only): the Spin entry point, which reads variables and the request.

// The site component's policy source, compiled here too so the order page sends the same policy.
#[path = "../../site/src/csp.rs"]
pub mod csp;
pub mod error;
pub mod export;
pub mod page;
pub mod range;
pub mod reply;
pub mod route;
pub mod storage;
pub mod video;
pub mod view;

use store::{Keyring, OrderToken};

pub use error::OrderError;
pub use reply::Reply;
use route::Action;
use storage::{OrderStore, RedisCommands};
use video::VideoRequest;

/// Runs one action on the order of `token`. The route is already parsed, so nothing here runs for
/// a malformed token or a wrong method.
pub fn handle_action<R: RedisCommands>(
    redis: &R,
    keyring: &Keyring,
    token: &OrderToken,
    action: Action,
    video_request: &VideoRequest<'_>,
    now_ms: u64,
) -> Result<Reply, OrderError> {
    let store = OrderStore::new(redis, keyring, token);
    let token_text = token.as_text();
    let record = store.load_record(now_ms)?;

    match action {
        Action::Status => Ok(Reply::json(200, &view::status_json(&token_text, &record))),
        Action::Delete => {
            store.delete(record.video.as_ref().map_or(0, |video| video.chunk_count))?;
            eprintln!("orders: order deleted order_id={}", store.id);
            Ok(Reply::empty(204))
        }
        Action::Video => video::serve_video(&store, &token_text, &record, video_request, now_ms),
        Action::Export => {
            let body = export::export_json(&store, &token_text, &record, now_ms)?;
            let mut reply = Reply::json(200, &body);
            reply.set_header("content-disposition", "attachment; filename=\"order-data.json\"");
            Ok(reply)
        }
    }
}

/// Serves the order page of `token` when the order exists and has not expired. `policy` is the
/// `Content-Security-Policy` to send. An error is turned into HTML by [`page::error_page`].
pub fn handle_page<R: RedisCommands>(
    redis: &R,
    keyring: &Keyring,
    token: &OrderToken,
    policy: &str,
    now_ms: u64,
) -> Result<Reply, OrderError> {
    OrderStore::new(redis, keyring, token).load_record(now_ms)?;
    Ok(page::order_page(policy))
}

/// Reads the `download` query parameter: `1` or `true` asks for the video as an attachment.
pub fn wants_download(query: &str) -> bool {
    form_urlencoded::parse(query.as_bytes())
        .any(|(name, value)| name == "download" && (value == "1" || value == "true"))
}

/// Returns the current time in milliseconds since the Unix epoch.
pub fn now_ms() -> anyhow::Result<u64> {
    let elapsed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?;
    Ok(u64::try_from(elapsed.as_millis())?)
}

// The entry point is compiled for wasm only: natively, the exported `wasi:http` symbol names are
// not valid in a linker version script, and tests call `handle_action` instead.
#[cfg(target_arch = "wasm32")]
mod adapter {
    //! The Spin entry point: reads variables and the request, runs the action, converts the reply.
    #![allow(unsafe_code, reason = "spin-sdk's #[http_component] expands to the exported C-ABI entry point")]

    use anyhow::Context;
    use spin_sdk::http::{Request, Response};
    use spin_sdk::http_component;
    use store::Keyring;

    use crate::video::VideoRequest;
    use crate::{OrderError, Reply};

    #[http_component]
    fn handle_orders(request: Request) -> Response {
        let reply = if request.path().starts_with(crate::route::PAGE_PREFIX) {
            let policy = crate::csp::content_security_policy(read_measurement_id().as_ref());
            respond_page(&request, &policy).unwrap_or_else(|error| {
                log_error(&error);
                crate::page::error_page(&error, &policy)
            })
        } else {
            respond(&request).unwrap_or_else(|error| {
                log_error(&error);
                error.to_reply()
            })
        };
        let mut builder = Response::builder();
        builder.status(reply.status);
        // The body is whole in memory, so its length is known: players and download managers show
        // progress from it. 204 and 304 carry no body and no length.
        if !matches!(reply.status, 204 | 304) {
            builder.header("content-length", reply.body.len().to_string());
        }
        for (name, value) in reply.headers {
            builder.header(name, value);
        }
        builder.body(reply.body).build()
    }

    fn respond(request: &Request) -> Result<Reply, OrderError> {
        let (token, action) = crate::route::route(&request.method().to_string(), request.path())?;
        let (connection, keyring) = open_storage()?;

        let header = |name: &str| request.header(name).and_then(|value| value.as_str());
        let video_request = VideoRequest {
            range: header("range"),
            if_none_match: header("if-none-match"),
            if_range: header("if-range"),
            download: crate::wants_download(request.query()),
        };
        crate::handle_action(&connection, &keyring, &token, action, &video_request, crate::now_ms()?)
    }

    fn respond_page(request: &Request, policy: &str) -> Result<Reply, OrderError> {
        let token = crate::route::page_route(&request.method().to_string(), request.path())?;
        let (connection, keyring) = open_storage()?;
        crate::handle_page(&connection, &keyring, &token, policy, crate::now_ms()?)
    }

    fn open_storage() -> Result<(spin_sdk::redis::Connection, Keyring), OrderError> {
        let redis_url =
            spin_sdk::variables::get("redis_url").context("could not read the redis_url variable")?;
        let storage_key =
            spin_sdk::variables::get("storage_key").context("could not read the storage_key variable")?;
        let keyring = Keyring::parse(&storage_key).context("invalid storage_key variable")?;
        let connection = spin_sdk::redis::Connection::open(&redis_url)
            .map_err(|error| OrderError::StorageUnavailable(format!("failed to connect: {error}")))?;
        Ok((connection, keyring))
    }

    /// Reads the analytics measurement id for the page's policy. A missing or invalid variable turns
    /// analytics off and is logged.
    fn read_measurement_id() -> Option<crate::csp::MeasurementId> {
        match spin_sdk::variables::get("ga_measurement_id") {
            Ok(value) => crate::csp::measurement_id_from_variable(&value),
            Err(error) => {
                eprintln!(
                    "orders: could not read the ga_measurement_id variable: {error}; analytics stays off"
                );
                None
            }
        }
    }

    /// Logs failures the operator must see. Client errors are not logged, and tokens never are.
    fn log_error(error: &OrderError) {
        match error {
            OrderError::StorageUnavailable(cause) => eprintln!("orders: storage unavailable: {cause}"),
            OrderError::Internal(cause) => eprintln!("orders: internal error: {cause:#}"),
            _ => {}
        }
    }
}

#[cfg(test)]
mod fake_redis;

#[cfg(test)]
mod tests {
    use store::{
        MP4_CHUNK_BYTES, OrderKeys, OrderOptions, OrderRecord, OrderStatus, Plan, QueueKeys, VideoInfo,
    };
    use strokes::Rgb;

    use super::*;
    use crate::fake_redis::FakeRedis;

    const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    const CREATED_MS: u64 = 1_700_000_000_000;
    const NOW_MS: u64 = CREATED_MS + 60_000;

    struct Fixture {
        redis: FakeRedis,
        keyring: Keyring,
        token: OrderToken,
        keys: OrderKeys,
    }

    impl Fixture {
        fn new() -> Self {
            let token = OrderToken::generate().unwrap();
            let keys = OrderKeys::new(&token.order_id());
            Self { redis: FakeRedis::default(), keyring: Keyring::parse(KEY).unwrap(), token, keys }
        }

        fn put(&self, key: &str, plain: &[u8], expires_at_ms: u64) {
            self.redis.set(key, self.keyring.seal(key, plain).unwrap(), expires_at_ms);
        }

        fn put_record(&self, record: &OrderRecord) {
            self.put(&self.keys.record(), &record.to_json(), record.expires_at_ms);
        }

        /// Stores a ready order whose video is `video` (split into chunks as the worker does).
        fn put_ready(&self, video: &[u8]) -> OrderRecord {
            let mut record = OrderRecord::new(options(), CREATED_MS);
            record.status = OrderStatus::Ready;
            record.video = Some(VideoInfo {
                size_bytes: video.len() as u64,
                chunk_count: store::keys::chunk_count(video.len() as u64),
                etag: "0123abcd".into(),
                frame_count: 450,
            });
            for (index, chunk) in video.chunks(MP4_CHUNK_BYTES as usize).enumerate() {
                self.put(&self.keys.mp4_chunk(index as u32), chunk, record.expires_at_ms);
            }
            self.put_record(&record);
            record
        }

        fn run(&self, action: Action, request: &VideoRequest<'_>) -> Reply {
            handle_action(&self.redis, &self.keyring, &self.token, action, request, NOW_MS)
                .unwrap_or_else(|error| error.to_reply())
        }

        fn page(&self, policy: &str) -> Reply {
            handle_page(&self.redis, &self.keyring, &self.token, policy, NOW_MS)
                .unwrap_or_else(|error| page::error_page(&error, policy))
        }
    }

    fn options() -> OrderOptions {
        OrderOptions {
            style: animation::Style::Pen,
            width: 1080,
            height: 1080,
            duration_ms: 15_000,
            background: Rgb::WHITE,
            sketch: Rgb::BLACK,
            plan: Plan::Single,
        }
    }

    fn video_bytes(len: usize) -> Vec<u8> {
        (0..len).map(|index| (index % 251) as u8).collect()
    }

    fn json(reply: &Reply) -> serde_json::Value {
        serde_json::from_slice(&reply.body).unwrap()
    }

    #[test]
    fn unknown_order_is_not_found_for_every_action() {
        let fixture = Fixture::new();
        let not_found = OrderError::NotFound.to_reply();
        for action in [Action::Status, Action::Delete, Action::Video, Action::Export] {
            let reply = fixture.run(action, &VideoRequest::default());
            assert_eq!(reply, not_found, "{action:?}");
        }
    }

    #[test]
    fn expired_record_is_not_found() {
        let fixture = Fixture::new();
        let mut record = OrderRecord::new(options(), CREATED_MS);
        record.expires_at_ms = NOW_MS;
        fixture.put_record(&record);
        assert_eq!(fixture.run(Action::Status, &VideoRequest::default()).status, 404);
    }

    #[test]
    fn status_reports_progress_without_caching() {
        let fixture = Fixture::new();
        let mut record = OrderRecord::new(options(), CREATED_MS);
        record.status = OrderStatus::Rendering { percent: 55 };
        fixture.put_record(&record);

        let reply = fixture.run(Action::Status, &VideoRequest::default());
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("cache-control"), Some("no-store"));
        assert_eq!(reply.header("referrer-policy"), Some("no-referrer"));
        let body = json(&reply);
        assert_eq!(body["state"], "rendering");
        assert_eq!(body["percent"], 55);
        assert_eq!(body["expires_at"], "2023-11-15T22:13:20Z");
    }

    #[test]
    fn video_before_ready_is_conflict_with_status() {
        let fixture = Fixture::new();
        fixture.put_record(&OrderRecord::new(options(), CREATED_MS));
        let reply = fixture.run(Action::Video, &VideoRequest::default());
        assert_eq!(reply.status, 409);
        assert_eq!(json(&reply)["status"]["state"], "queued");
        assert_eq!(reply.header("cache-control"), Some("no-store"));
    }

    #[test]
    fn whole_video_has_download_headers() {
        let fixture = Fixture::new();
        let video = video_bytes(2 * MP4_CHUNK_BYTES as usize + 1000);
        fixture.put_ready(&video);

        let reply = fixture.run(Action::Video, &VideoRequest::default());
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body, video);
        assert_eq!(reply.header("content-type"), Some("video/mp4"));
        assert_eq!(reply.header("accept-ranges"), Some("bytes"));
        assert_eq!(reply.header("etag"), Some("\"0123abcd\""));
        assert_eq!(reply.header("content-disposition"), Some("inline; filename=\"sketch.mp4\""));
        assert_eq!(reply.header("cache-control"), Some("private, max-age=3600"));
        assert_eq!(reply.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(reply.header("content-range"), None);

        let download = VideoRequest { download: true, ..Default::default() };
        let reply = fixture.run(Action::Video, &download);
        assert_eq!(reply.header("content-disposition"), Some("attachment; filename=\"sketch.mp4\""));
    }

    #[test]
    fn range_reads_only_overlapping_chunks() {
        let fixture = Fixture::new();
        let video = video_bytes(3 * MP4_CHUNK_BYTES as usize + 10);
        fixture.put_ready(&video);

        let first = MP4_CHUNK_BYTES - 5;
        let last = MP4_CHUNK_BYTES + 4;
        let header = format!("bytes={first}-{last}");
        let reply = fixture.run(Action::Video, &VideoRequest { range: Some(&header), ..Default::default() });
        assert_eq!(reply.status, 206);
        assert_eq!(reply.body, &video[first as usize..=last as usize]);
        let size = video.len();
        assert_eq!(reply.header("content-range"), Some(format!("bytes {first}-{last}/{size}").as_str()));
        let fetched = fixture.redis.fetched_keys();
        assert!(fetched.contains(&fixture.keys.mp4_chunk(0)) && fetched.contains(&fixture.keys.mp4_chunk(1)));
        assert!(
            !fetched.contains(&fixture.keys.mp4_chunk(2)) && !fetched.contains(&fixture.keys.mp4_chunk(3))
        );

        let reply =
            fixture.run(Action::Video, &VideoRequest { range: Some("bytes=-10"), ..Default::default() });
        assert_eq!(reply.status, 206);
        assert_eq!(reply.body, &video[size - 10..]);
        assert_eq!(
            reply.header("content-range"),
            Some(format!("bytes {}-{}/{size}", size - 10, size - 1).as_str())
        );
    }

    #[test]
    fn unsatisfiable_range_names_size() {
        let fixture = Fixture::new();
        fixture.put_ready(&video_bytes(100));
        let reply =
            fixture.run(Action::Video, &VideoRequest { range: Some("bytes=100-"), ..Default::default() });
        assert_eq!(reply.status, 416);
        assert_eq!(reply.header("content-range"), Some("bytes */100"));
    }

    #[test]
    fn matching_etag_is_not_modified() {
        let fixture = Fixture::new();
        fixture.put_ready(&video_bytes(100));
        let request = VideoRequest { if_none_match: Some("\"0123abcd\""), ..Default::default() };
        let reply = fixture.run(Action::Video, &request);
        assert_eq!(reply.status, 304);
        assert!(reply.body.is_empty());
        assert_eq!(reply.header("etag"), Some("\"0123abcd\""));
        assert!(fixture.redis.fetched_keys().iter().all(|key| !key.contains(":mp4:")), "304 reads no chunk");

        let request = VideoRequest { if_none_match: Some("\"other\""), ..Default::default() };
        assert_eq!(fixture.run(Action::Video, &request).status, 200);
    }

    #[test]
    fn stale_if_range_sends_whole_video() {
        let fixture = Fixture::new();
        fixture.put_ready(&video_bytes(100));
        let stale =
            VideoRequest { range: Some("bytes=0-9"), if_range: Some("\"old\""), ..Default::default() };
        assert_eq!(fixture.run(Action::Video, &stale).status, 200);
        let current =
            VideoRequest { range: Some("bytes=0-9"), if_range: Some("\"0123abcd\""), ..Default::default() };
        assert_eq!(fixture.run(Action::Video, &current).status, 206);
    }

    #[test]
    fn cache_lifetime_stops_at_expiry() {
        let fixture = Fixture::new();
        let mut record = fixture.put_ready(&video_bytes(10));
        record.expires_at_ms = NOW_MS + 90_500;
        fixture.put_record(&record);
        let reply = fixture.run(Action::Video, &VideoRequest::default());
        assert_eq!(reply.header("cache-control"), Some("private, max-age=90"));
    }

    #[test]
    fn missing_chunk_is_not_found() {
        let fixture = Fixture::new();
        fixture.put_ready(&video_bytes(MP4_CHUNK_BYTES as usize + 1));
        fixture.redis.remove(&fixture.keys.mp4_chunk(1));
        assert_eq!(fixture.run(Action::Video, &VideoRequest::default()).status, 404);
    }

    #[test]
    fn delete_removes_every_key_and_job() {
        let fixture = Fixture::new();
        let record = fixture.put_ready(&video_bytes(2 * MP4_CHUNK_BYTES as usize));
        fixture.put(&fixture.keys.strokes(), b"strokes", record.expires_at_ms);
        let id = fixture.token.order_id().to_string();
        fixture.redis.push(QueueKeys::PENDING, "someone-else");
        fixture.redis.push(QueueKeys::PENDING, &id);

        let reply = fixture.run(Action::Delete, &VideoRequest::default());
        assert_eq!(reply.status, 204);
        assert!(reply.body.is_empty());
        assert_eq!(reply.header("referrer-policy"), Some("no-referrer"));
        assert!(fixture.redis.keys_with_prefix(&fixture.keys.pattern().replace('*', "")).is_empty());
        assert_eq!(fixture.redis.list(QueueKeys::PENDING), ["someone-else"]);

        assert_eq!(fixture.run(Action::Status, &VideoRequest::default()).status, 404);
        assert_eq!(fixture.run(Action::Delete, &VideoRequest::default()).status, 404);
    }

    #[test]
    fn export_lists_keys_queues_and_strokes() {
        let fixture = Fixture::new();
        let record = OrderRecord::new(options(), CREATED_MS);
        fixture.put_record(&record);
        let set = strokes::StrokeSet {
            width: 100,
            height: 80,
            strokes: vec![strokes::Stroke {
                pass: strokes::Pass::Contour,
                points: vec![strokes::Point { x: 1.0, y: 1.0 }, strokes::Point { x: 50.0, y: 40.0 }],
            }],
        };
        fixture.put(&fixture.keys.strokes(), &set.to_bytes(), record.expires_at_ms);
        fixture.redis.push(QueueKeys::PENDING, &fixture.token.order_id().to_string());

        let reply = fixture.run(Action::Export, &VideoRequest::default());
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("content-disposition"), Some("attachment; filename=\"order-data.json\""));
        assert_eq!(reply.header("cache-control"), Some("no-store"));
        let body = json(&reply);
        assert_eq!(body["order"]["status"]["state"], "queued");
        assert_eq!(body["order"]["attempts"], 0);
        let keys = body["keys"].as_array().unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0]["key"], fixture.keys.record());
        assert!(keys[0]["size_bytes"].as_i64().unwrap() > 0);
        assert_eq!(keys[0]["expires_at"], "2023-11-15T22:13:20Z");
        assert_eq!(keys[1]["key"], fixture.keys.strokes());
        assert_eq!(body["queues"], serde_json::json!([QueueKeys::PENDING]));
        assert_eq!(body["strokes"]["stroke_count"], 1);
        assert_eq!(body["strokes"]["point_count"], 2);
    }

    #[test]
    fn storage_failure_is_unavailable() {
        let fixture = Fixture::new();
        fixture.redis.fail_all();
        let reply = fixture.run(Action::Status, &VideoRequest::default());
        assert_eq!(reply.status, 503);
        assert_eq!(json(&reply)["error"], "storage is unavailable; try again in a minute");
    }

    #[test]
    fn record_sealed_under_other_key_is_internal_error() {
        let fixture = Fixture::new();
        let other = Keyring::parse(&KEY.replace('0', "f")).unwrap();
        let record = OrderRecord::new(options(), CREATED_MS);
        fixture.redis.set(
            &fixture.keys.record(),
            other.seal(&fixture.keys.record(), &record.to_json()).unwrap(),
            0,
        );
        assert_eq!(fixture.run(Action::Status, &VideoRequest::default()).status, 500);
    }

    #[test]
    fn download_flag_reads_query() {
        assert!(wants_download("download=1"));
        assert!(wants_download("x=2&download=true"));
        assert!(!wants_download(""));
        assert!(!wants_download("download=0"));
        assert!(!wants_download("downloads=1"));
    }

    #[test]
    fn order_page_has_page_headers() {
        let fixture = Fixture::new();
        fixture.put_record(&OrderRecord::new(options(), CREATED_MS));
        let policy = csp::content_security_policy(None);

        let reply = fixture.page(&policy);
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body, page::ORDER_PAGE.as_bytes());
        assert_eq!(reply.header("content-type"), Some("text/html; charset=utf-8"));
        assert_eq!(reply.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(reply.header("cache-control"), Some("no-store"));
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(reply.header("content-security-policy"), Some(policy.as_str()));
        assert!(!policy.contains("google"), "{policy}");
    }

    #[test]
    fn order_page_policy_follows_measurement_id() {
        let fixture = Fixture::new();
        fixture.put_record(&OrderRecord::new(options(), CREATED_MS));
        let id = csp::MeasurementId::parse("G-ABC123").unwrap();
        let policy = csp::content_security_policy(Some(&id));

        let reply = fixture.page(&policy);
        let sent = reply.header("content-security-policy").unwrap();
        assert!(sent.contains("script-src 'self' https://www.googletagmanager.com;"), "{sent}");
    }

    #[test]
    fn order_page_of_missing_order_is_html_404() {
        let policy = csp::content_security_policy(None);

        let unknown = Fixture::new();
        let expired = Fixture::new();
        let mut record = OrderRecord::new(options(), CREATED_MS);
        record.expires_at_ms = NOW_MS;
        expired.put_record(&record);

        for (case, fixture) in [("unknown", unknown), ("expired", expired)] {
            let reply = fixture.page(&policy);
            assert_eq!(reply.status, 404, "{case}");
            assert_eq!(reply.body, page::NOT_FOUND_PAGE.as_bytes(), "{case}");
            assert_eq!(reply.header("content-type"), Some("text/html; charset=utf-8"), "{case}");
            assert_eq!(reply.header("referrer-policy"), Some("no-referrer"), "{case}");
            assert_eq!(reply.header("content-security-policy"), Some(policy.as_str()), "{case}");
        }
    }

    #[test]
    fn order_page_after_delete_is_404() {
        let fixture = Fixture::new();
        fixture.put_record(&OrderRecord::new(options(), CREATED_MS));
        let policy = csp::content_security_policy(None);
        assert_eq!(fixture.page(&policy).status, 200);

        assert_eq!(fixture.run(Action::Delete, &VideoRequest::default()).status, 204);
        assert_eq!(fixture.page(&policy).status, 404);
    }

    #[test]
    fn order_page_storage_failure_is_html_503() {
        let fixture = Fixture::new();
        fixture.redis.fail_all();
        let reply = fixture.page(&csp::content_security_policy(None));
        assert_eq!(reply.status, 503);
        assert_eq!(reply.header("content-type"), Some("text/html; charset=utf-8"));
    }
}
