//! The edge pipeline end to end: uploads through the devhost-served Spin components, rendering by
//! real worker processes, and the order API, checked against Redis's actual contents.

use std::process::Command;

use e2e::Stack;
use e2e::http::{Reply, get, order_keys, post_raw, reply, wait_until_ready};
use serde_json::Value;

const ASTRONAUT: &[u8] = include_bytes!("../../assets/samples/astronaut.png");

/// Upload options for a short, small video, so each render takes a few seconds.
const QUICK: &str =
    "style=pen&size=720x720&duration=5&background=%23ffffff&sketch=%23102030&age_confirmed=true";

fn upload(stack: &Stack, query: &str, body: &[u8]) -> Reply {
    reply(stack.http.post(stack.url(&format!("/api/portraits?{query}"))).send(body))
}

/// Returns every key in Redis with its value; a list's value is its items joined.
fn redis_dump(stack: &Stack) -> Vec<(String, Vec<u8>)> {
    let mut connection = stack.redis.connection();
    let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut connection).unwrap();
    keys.into_iter()
        .map(|key| {
            let kind: String = redis::cmd("TYPE").arg(&key).query(&mut connection).unwrap();
            let value: Vec<u8> = match kind.as_str() {
                "string" => redis::cmd("GET").arg(&key).query(&mut connection).unwrap(),
                "list" => {
                    let items: Vec<Vec<u8>> =
                        redis::cmd("LRANGE").arg(&key).arg(0).arg(-1).query(&mut connection).unwrap();
                    items.concat()
                }
                other => panic!("unexpected Redis type {other} at {key}"),
            };
            (key, value)
        })
        .collect()
}

fn ffprobe_frames(mp4: &[u8]) -> (String, u64, u64, u64) {
    let dir = std::env::temp_dir().join(format!("sbh-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}.mp4", mp4.len()));
    std::fs::write(&path, mp4).unwrap();
    let output = Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries"])
        .args(["stream=codec_name,width,height,nb_read_frames", "-of", "json"])
        .arg(&path)
        .output()
        .expect("ffprobe runs");
    let _ = std::fs::remove_dir_all(&dir);
    let json: Value = serde_json::from_slice(&output.stdout).expect("ffprobe JSON");
    let stream = &json["streams"][0];
    (
        stream["codec_name"].as_str().unwrap_or_default().to_owned(),
        stream["width"].as_u64().unwrap_or_default(),
        stream["height"].as_u64().unwrap_or_default(),
        stream["nb_read_frames"].as_str().and_then(|frames| frames.parse().ok()).unwrap_or_default(),
    )
}

#[test]
fn upload_renders_serves_and_deletes() {
    let stack = Stack::start(1);

    // Upload: 201 with the order's URLs and an SVG preview.
    let created = upload(&stack, &format!("{QUICK}&plan=pro"), ASTRONAUT);
    assert_eq!(created.status, 201, "{}", created.text());
    let created = created.json();
    let token = created["token"].as_str().expect("token").to_owned();
    assert!(token.len() >= 22, "token {token:?} is shorter than 128 bits of base64");
    assert_eq!(created["status_url"], format!("/api/orders/{token}"));
    assert!(created["strokes_svg"].as_str().unwrap().contains("<svg"));

    // Rendering finishes and the point cloud is gone.
    let status = wait_until_ready(&stack, &token);
    assert_eq!(status["state"], "ready");
    let keys = order_keys(&stack, &token);
    assert!(keys.iter().all(|key| !key.ends_with(":strokes")), "point cloud still stored: {keys:?}");

    // Every key of the order expires at the same instant: creation + 30 days for pro.
    let mut connection = stack.redis.connection();
    let expiries: Vec<i64> =
        keys.iter().map(|key| redis::cmd("PEXPIRETIME").arg(key).query(&mut connection).unwrap()).collect();
    assert!(expiries.iter().all(|expiry| *expiry == expiries[0]), "expiries differ: {expiries:?}");
    let now_ms =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let thirty_days_ms = 30 * 24 * 3600 * 1000;
    assert!(
        (expiries[0] - now_ms - thirty_days_ms).abs() < 60_000,
        "expiry {} is not 30 days away",
        expiries[0]
    );

    // The whole video, and ranges of it.
    let video_path = format!("/api/orders/{token}/animation.mp4");
    let whole = get(&stack, &video_path, None);
    assert_eq!(whole.status, 200);
    assert_eq!(whole.header("content-type"), Some("video/mp4"));
    assert_eq!(whole.header("referrer-policy"), Some("no-referrer"));
    assert!(whole.header("etag").is_some());
    let (codec, width, height, frames) = ffprobe_frames(&whole.body);
    assert_eq!((codec.as_str(), width, height, frames), ("h264", 720, 720, 150));

    let size = whole.body.len();
    assert_eq!(whole.header("content-length"), Some(size.to_string().as_str()));
    for (range, start, end) in
        [("bytes=0-99", 0, 99), ("bytes=-100", size - 100, size - 1), ("bytes=1000-", 1000, size - 1)]
    {
        let part = get(&stack, &video_path, Some(range));
        assert_eq!(part.status, 206, "{range}");
        assert_eq!(
            part.header("content-range"),
            Some(format!("bytes {start}-{end}/{size}").as_str()),
            "{range}"
        );
        assert_eq!(part.body, whole.body[start..=end], "{range}");
        assert_eq!(part.header("content-length"), Some((end - start + 1).to_string().as_str()), "{range}");
    }
    let past_end = get(&stack, &video_path, Some(&format!("bytes={size}-")));
    assert_eq!(past_end.status, 416);

    // No Redis value contains the upload, a plaintext MP4 or plaintext order JSON.
    let probe = &ASTRONAUT[ASTRONAUT.len() / 2..ASTRONAUT.len() / 2 + 64];
    for (key, value) in redis_dump(&stack) {
        assert!(!value.windows(probe.len()).any(|window| window == probe), "{key} holds upload bytes");
        assert!(!value.windows(4).any(|window| window == b"ftyp"), "{key} holds a plaintext MP4");
        assert!(!value.windows(7).any(|window| window == b"\"state\""), "{key} holds plaintext JSON");
        assert!(!key.contains(&token), "key {key} contains the order token");
    }

    // The data export lists what is held.
    let export = get(&stack, &format!("/api/orders/{token}/data"), None);
    assert_eq!(export.status, 200);
    let export_text = export.text();
    for key in &keys {
        assert!(export_text.contains(key.as_str()), "export does not list {key}");
    }

    // Delete removes every key, and the order is then unknown.
    let deleted = reply(stack.http.delete(stack.url(&format!("/api/orders/{token}"))).call());
    assert_eq!(deleted.status, 204);
    assert_eq!(order_keys(&stack, &token), Vec::<String>::new());
    let gone = get(&stack, &format!("/api/orders/{token}"), None);
    let unknown = get(&stack, "/api/orders/AAAAAAAAAAAAAAAAAAAAAA", None);
    assert_eq!(gone.status, 404);
    assert_eq!(unknown.status, 404);
    assert_eq!(gone.body, unknown.body, "a deleted order must look like one that never existed");
}

#[test]
fn single_plan_keeps_order_24_hours() {
    let stack = Stack::start(0);
    let created = upload(&stack, &format!("{QUICK}&plan=single"), ASTRONAUT);
    assert_eq!(created.status, 201, "{}", created.text());
    let token = created.json()["token"].as_str().unwrap().to_owned();

    let keys = order_keys(&stack, &token);
    assert_eq!(keys.len(), 2, "expected the record and the point cloud: {keys:?}");
    let mut connection = stack.redis.connection();
    let now_ms =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    for key in &keys {
        let expiry: i64 = redis::cmd("PEXPIRETIME").arg(key).query(&mut connection).unwrap();
        assert!((expiry - now_ms - 24 * 3600 * 1000).abs() < 60_000, "{key} expires at {expiry}");
    }
}

#[test]
fn bad_uploads_are_rejected_and_store_nothing() {
    let stack = Stack::start(0);
    let mut huge_png = ASTRONAUT[..33].to_vec();
    // Rewrite the IHDR size to 60000x60000; the CRC no longer matches, so either check may reject it.
    huge_png[16..24].copy_from_slice(&[0, 0, 0xea, 0x60, 0, 0, 0xea, 0x60]);
    huge_png.extend_from_slice(&ASTRONAUT[33..200]);
    let oversize = vec![0u8; 11 * 1024 * 1024];
    let mut bmp = b"BM".to_vec();
    bmp.extend_from_slice(&[0; 60]);

    let cases: [(&str, &str, &[u8], u16); 6] = [
        ("empty body", QUICK, b"", 400),
        ("truncated PNG", QUICK, &ASTRONAUT[..ASTRONAUT.len() / 3], 422),
        ("BMP", QUICK, &bmp, 415),
        ("declared 60000x60000", QUICK, &huge_png, 422),
        ("no age confirmation", "style=pen&size=720x720&duration=5", ASTRONAUT, 400),
        ("odd size", "size=721x720&age_confirmed=true", ASTRONAUT, 400),
    ];
    // The component may respond before reading the body (bad options), so every case goes through a
    // socket that tolerates the server closing early.
    for (name, query, body, expected) in cases {
        let (status, message) = post_raw(&stack, &format!("/api/portraits?{query}"), body);
        assert_eq!(status, expected, "{name}: {message}");
        assert!(!message.is_empty(), "{name}: no message");
    }

    // The host responds 413 as soon as it reads the length, before the body is sent.
    let (status, message) = post_raw(&stack, &format!("/api/portraits?{QUICK}"), &oversize);
    assert_eq!(status, 413, "{message}");
    assert!(message.contains("10 MiB"), "message does not name the limit: {message}");

    // Only the client's order-budget counter exists: uploads that pass the option and length checks
    // count against it before the photo is read.
    let mut connection = stack.redis.connection();
    let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut connection).unwrap();
    assert_eq!(keys.len(), 1, "a rejected upload stored something: {keys:?}");
    assert!(keys[0].starts_with("ratelimit:orders:"), "a rejected upload stored {}", keys[0]);
}

#[test]
fn redis_down_gives_503_and_host_keeps_serving() {
    let mut stack = Stack::start(0);
    stack.redis.stop();

    let rejected = upload(&stack, QUICK, ASTRONAUT);
    assert_eq!(rejected.status, 503, "{}", rejected.text());
    assert!(rejected.text().contains("storage"), "message: {}", rejected.text());

    // The host is still up: another request gets a response, not a refused connection.
    let again = upload(&stack, QUICK, ASTRONAUT);
    assert_eq!(again.status, 503);
}

#[test]
fn redis_host_outside_allowed_list_is_denied() {
    // 127.0.0.2 is loopback too, but allowed_outbound_hosts names only redis_host (127.0.0.1), so
    // the host refuses the component's connection before any packet is sent.
    let redis = e2e::RedisServer::start();
    let devhost = e2e::Devhost::start(&[
        ("redis_url", format!("redis://127.0.0.2:{}", redis.port)),
        ("redis_host", format!("127.0.0.1:{}", redis.port)),
        ("storage_key", e2e::TEST_STORAGE_KEY.to_owned()),
    ]);
    let http: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let rejected = reply(http.post(format!("{}/api/portraits?{QUICK}", devhost.base_url)).send(ASTRONAUT));
    assert_eq!(rejected.status, 503, "{}", rejected.text());
}
