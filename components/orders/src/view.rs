//! The status JSON of an order, shared by the status route, the 409 of the video route and the export.

use serde_json::{Value, json};
use store::time::format_rfc3339_ms;
use store::{OrderOptions, OrderRecord, OrderStatus};

/// Builds the status JSON: state, percent, reason, times, options and, once ready, the video URL.
///
/// `percent` is 0 while queued, the worker's figure while rendering, 100 when ready and null when
/// failed. `reason` is set only when failed.
pub fn status_json(token_text: &str, record: &OrderRecord) -> Value {
    let (state, percent, reason) = match &record.status {
        OrderStatus::Queued => ("queued", Some(0), None),
        OrderStatus::Rendering { percent } => ("rendering", Some(*percent), None),
        OrderStatus::Ready => ("ready", Some(100), None),
        OrderStatus::Failed { reason } => ("failed", None, Some(reason.as_str())),
    };
    let video_url = matches!(record.status, OrderStatus::Ready)
        .then(|| format!("/api/orders/{token_text}/animation.mp4"));
    json!({
        "state": state,
        "percent": percent,
        "reason": reason,
        "created_at": format_rfc3339_ms(record.created_at_ms),
        "expires_at": format_rfc3339_ms(record.expires_at_ms),
        "options": options_json(&record.options),
        "video_url": video_url,
    })
}

/// Builds the options JSON, colours as `#rrggbb`.
pub fn options_json(options: &OrderOptions) -> Value {
    json!({
        "style": options.style.as_str(),
        "width": options.width,
        "height": options.height,
        "duration_ms": options.duration_ms,
        "background": options.background.to_hex(),
        "sketch": options.sketch.to_hex(),
        "plan": options.plan.as_str(),
    })
}

#[cfg(test)]
mod tests {
    use store::{OrderRecord, Plan};
    use strokes::Rgb;

    use super::*;

    pub(crate) fn record(status: OrderStatus) -> OrderRecord {
        let options = OrderOptions {
            style: animation::Style::Epicycles,
            width: 1080,
            height: 720,
            duration_ms: 15_000,
            background: Rgb::new(0xfd, 0xfb, 0xf7),
            sketch: Rgb::new(0x1d, 0x2a, 0x3a),
            plan: Plan::Single,
        };
        let mut record = OrderRecord::new(options, 0);
        record.status = status;
        record
    }

    #[test]
    fn each_state_maps_to_its_json() {
        let cases = [
            (OrderStatus::Queued, "queued", json!(0), Value::Null),
            (OrderStatus::Rendering { percent: 35 }, "rendering", json!(35), Value::Null),
            (OrderStatus::Ready, "ready", json!(100), Value::Null),
            (
                OrderStatus::Failed { reason: "encoder failed".into() },
                "failed",
                Value::Null,
                json!("encoder failed"),
            ),
        ];
        for (status, state, percent, reason) in cases {
            let view = status_json("TOKEN", &record(status));
            assert_eq!(view["state"], state);
            assert_eq!(view["percent"], percent, "{state}");
            assert_eq!(view["reason"], reason, "{state}");
            let expected_url =
                if state == "ready" { json!("/api/orders/TOKEN/animation.mp4") } else { Value::Null };
            assert_eq!(view["video_url"], expected_url, "{state}");
        }
    }

    #[test]
    fn times_and_options_are_readable() {
        let view = status_json("TOKEN", &record(OrderStatus::Queued));
        assert_eq!(view["created_at"], "1970-01-01T00:00:00Z");
        assert_eq!(view["expires_at"], "1970-01-02T00:00:00Z");
        assert_eq!(view["options"]["style"], "epicycles");
        assert_eq!(view["options"]["width"], 1080);
        assert_eq!(view["options"]["height"], 720);
        assert_eq!(view["options"]["duration_ms"], 15_000);
        assert_eq!(view["options"]["background"], "#fdfbf7");
        assert_eq!(view["options"]["sketch"], "#1d2a3a");
        assert_eq!(view["options"]["plan"], "single");
    }
}
