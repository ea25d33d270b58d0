//! Text to an order or a preview: decoding the body, laying out the strokes, and the replies.

use http_reply::Reply;
use order_intake::storage::NewOrder;
use serde_json::json;
use store::OrderOptions;

use crate::error::TextRequestError;

/// Largest accepted body in bytes: room for 200 characters of four UTF-8 bytes each, with CRLF line
/// endings, so a text over the character limit gets the message about characters rather than bytes.
pub const MAX_BODY_BYTES: usize = 4096;

/// Decodes the body as UTF-8 text.
pub fn decode_text(body: Vec<u8>) -> Result<String, TextRequestError> {
    String::from_utf8(body)
        .map_err(|error| TextRequestError::NotUtf8 { valid_up_to: error.utf8_error().valid_up_to() })
}

/// Lays out the text as strokes on a canvas of the video's size and builds the order record. The
/// text is dropped once the strokes exist: only the strokes are stored.
pub fn prepare_order(options: OrderOptions, text: String, now_ms: u64) -> Result<NewOrder, TextRequestError> {
    let started = std::time::Instant::now();
    let stroke_set = lettering::text_to_strokes(&text, options.width, options.height)?;
    let conversion_ms = started.elapsed().as_secs_f64() * 1000.0;
    drop(text);
    Ok(NewOrder::new(options, &stroke_set, conversion_ms, now_ms)?)
}

/// Builds the `200` preview: the strokes as SVG in the chosen colours, with the stroke and line
/// counts. Nothing is stored.
pub fn preview_reply(options: &OrderOptions, text: &str) -> Result<Reply, TextRequestError> {
    let layout = lettering::text_to_layout(text, options.width, options.height)?;
    let body = json!({
        "strokes_svg": strokes::to_svg(&layout.strokes, options.background, options.sketch),
        "stroke_count": layout.strokes.strokes.len(),
        "line_count": layout.line_count,
    });
    Ok(Reply::json(200, &body))
}

#[cfg(test)]
mod tests {
    use strokes::StrokeSet;

    use super::*;

    fn options(query: &str) -> OrderOptions {
        order_intake::options::parse_options(&format!("age_confirmed=true&{query}"), []).unwrap()
    }

    #[test]
    fn text_becomes_order_with_strokes() {
        let order = prepare_order(options("size=720x1280&plan=pro"), "Hello\nWorld".into(), 5_000).unwrap();
        let set = StrokeSet::from_bytes(&order.strokes_bytes).unwrap();
        assert_eq!((set.width, set.height), (720, 1280), "the canvas is the video's size");
        assert!(set.strokes.len() > 10, "{} strokes", set.strokes.len());
        assert!(order.strokes_svg.starts_with("<svg"));
        assert_eq!(order.record.expires_at_ms, 5_000 + store::Plan::Pro.retention_ms());
    }

    #[test]
    fn unsupported_text_creates_no_order() {
        let error = prepare_order(options(""), "snow ☃".into(), 0).err().unwrap();
        assert_eq!(error.status(), 422, "{error}");
    }

    #[test]
    fn invalid_utf8_is_rejected() {
        let error = decode_text(vec![b'H', b'i', 0xff]).unwrap_err();
        assert!(matches!(error, TextRequestError::NotUtf8 { valid_up_to: 2 }), "{error:?}");
        assert_eq!(decode_text("Grüße".as_bytes().to_vec()).unwrap(), "Grüße");
    }

    #[test]
    fn preview_returns_svg_in_chosen_colours() {
        let reply = preview_reply(&options("background=%23102030&sketch=aabbcc"), "Hi").unwrap();
        assert_eq!(reply.status, 200);
        let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        let svg = body["strokes_svg"].as_str().unwrap();
        assert!(svg.contains("#102030"), "background colour: {svg}");
        assert!(svg.contains("#aabbcc"), "sketch colour: {svg}");
        assert_eq!(body["line_count"], 1);
        assert!(body["stroke_count"].as_u64().unwrap() >= 4);
    }
}
