//! The JSON request: fields, limits, and their validation into a [`BannerSpec`].
//!
//! ```json
//! {"name": "Ada Lovelace", "email": "ada@example.com", "tagline": "Analytical engines",
//!  "layout": "classic", "background_color": "#ffffff", "text_color": "#1a1a2e",
//!  "accent_color": "#e94560", "size": "leaderboard", "format": "png", "order_token": "…"}
//! ```
//!
//! `size` is a preset id ([`SizePreset`]) or `"custom"` with `width` and `height` in pixels.
//! `tagline`, `format` (`png` or `svg`, export only) and `order_token` are optional.

use serde_json::{Map, Value};
use strokes::Rgb;

use crate::error::BannerError;
use crate::font;

/// Every field the request may contain.
pub const FIELDS: [&str; 12] = [
    "name",
    "email",
    "tagline",
    "layout",
    "background_color",
    "text_color",
    "accent_color",
    "size",
    "width",
    "height",
    "format",
    "order_token",
];

/// Maximum name length, in characters.
pub const MAX_NAME_CHARS: usize = 80;
/// Maximum tagline length, in characters.
pub const MAX_TAGLINE_CHARS: usize = 120;
/// Maximum email address length, in bytes (the SMTP path limit).
pub const MAX_EMAIL_BYTES: usize = 254;
/// Narrowest custom width, in pixels.
pub const MIN_WIDTH_PX: u32 = 120;
/// Widest custom width, in pixels.
pub const MAX_WIDTH_PX: u32 = 2400;
/// Lowest custom height, in pixels.
pub const MIN_HEIGHT_PX: u32 = 60;
/// Highest custom height, in pixels.
pub const MAX_HEIGHT_PX: u32 = 2400;
/// Largest width-to-height ratio of a custom size (a 12:1 strip); taller shapes may be up to 1:4.
pub const MAX_WIDE_RATIO: u32 = 12;
/// Largest height-to-width ratio of a custom size.
pub const MAX_TALL_RATIO: u32 = 4;

/// The built-in sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizePreset {
    /// 728×90, the standard web leaderboard ad.
    Leaderboard,
    /// 300×250, the medium rectangle ad.
    MediumRectangle,
    /// 1200×628, a link preview image for social networks.
    SocialShare,
    /// 1500×500, a profile header on X.
    XHeader,
    /// 1584×396, a LinkedIn profile background.
    LinkedinBanner,
    /// 600×200, an email signature.
    EmailSignature,
}

impl SizePreset {
    /// Every preset, in the order the page lists them.
    pub const ALL: [SizePreset; 6] = [
        SizePreset::Leaderboard,
        SizePreset::MediumRectangle,
        SizePreset::SocialShare,
        SizePreset::XHeader,
        SizePreset::LinkedinBanner,
        SizePreset::EmailSignature,
    ];

    /// Returns the id used in requests.
    pub fn id(self) -> &'static str {
        match self {
            SizePreset::Leaderboard => "leaderboard",
            SizePreset::MediumRectangle => "medium-rectangle",
            SizePreset::SocialShare => "social-share",
            SizePreset::XHeader => "x-header",
            SizePreset::LinkedinBanner => "linkedin-banner",
            SizePreset::EmailSignature => "email-signature",
        }
    }

    /// Returns width and height in pixels.
    pub fn size_px(self) -> (u32, u32) {
        match self {
            SizePreset::Leaderboard => (728, 90),
            SizePreset::MediumRectangle => (300, 250),
            SizePreset::SocialShare => (1200, 628),
            SizePreset::XHeader => (1500, 500),
            SizePreset::LinkedinBanner => (1584, 396),
            SizePreset::EmailSignature => (600, 200),
        }
    }

    /// Finds a preset by its id.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|preset| preset.id() == id)
    }
}

/// The built-in layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Text left-aligned after an accent bar on the left edge; the portrait on the right.
    Classic,
    /// Text centred; the portrait faint behind it, filling the canvas.
    Centered,
    /// A tinted accent panel on the left with the portrait; text on the right.
    Split,
    /// Text left-aligned above an accent band along the bottom edge; the portrait on the right.
    Underline,
}

impl Layout {
    /// Every layout, in the order the page lists them.
    pub const ALL: [Layout; 4] = [Layout::Classic, Layout::Centered, Layout::Split, Layout::Underline];

    /// Returns the id used in requests.
    pub fn id(self) -> &'static str {
        match self {
            Layout::Classic => "classic",
            Layout::Centered => "centered",
            Layout::Split => "split",
            Layout::Underline => "underline",
        }
    }

    /// Finds a layout by its id.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|layout| layout.id() == id)
    }
}

/// The output format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A PNG image.
    Png,
    /// An SVG document with the text as outlines.
    Svg,
}

impl Format {
    /// Returns the file extension, which is also the request value.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Svg => "svg",
        }
    }

    /// Returns the `Content-Type`.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Png => "image/png",
            Format::Svg => "image/svg+xml",
        }
    }
}

/// The three colours of a banner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Colors {
    /// Canvas fill.
    pub background: Rgb,
    /// Name and email.
    pub text: Rgb,
    /// Decorations, tagline and portrait strokes.
    pub accent: Rgb,
}

/// A checked request.
#[derive(Debug, Clone, PartialEq)]
pub struct BannerSpec {
    /// The name, trimmed, 1 to [`MAX_NAME_CHARS`] characters.
    pub name: String,
    /// The email address, trimmed.
    pub email: String,
    /// The tagline, trimmed; `None` when absent or empty.
    pub tagline: Option<String>,
    /// The layout.
    pub layout: Layout,
    /// The colours.
    pub colors: Colors,
    /// Canvas width in pixels.
    pub width_px: u32,
    /// Canvas height in pixels.
    pub height_px: u32,
    /// The export format (`png` when the request has none).
    pub format: Format,
    /// The order token of a portrait to draw, not yet checked against storage.
    pub order_token: Option<String>,
}

/// Parses and checks a JSON request body.
pub fn parse_request(body: &[u8]) -> Result<BannerSpec, BannerError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|error| BannerError::NotJson(error.to_string()))?;
    let Value::Object(fields) = value else {
        return Err(BannerError::NotJson("found another JSON value at the top level".to_owned()));
    };
    if let Some(name) = fields.keys().find(|name| !FIELDS.contains(&name.as_str())) {
        return Err(BannerError::UnknownField { name: name.clone() });
    }

    // Text fields: length, control characters, then glyphs of the embedded font.
    let name = required_text(&fields, "name", MAX_NAME_CHARS)?;
    font::check_glyphs("name", &name, font::bold())?;
    let email = required_text(&fields, "email", MAX_EMAIL_BYTES)?;
    ecards::request::check_email(&email)
        .map_err(|problem| BannerError::invalid("email", problem.to_string()))?;
    let tagline = optional_string(&fields, "tagline")?.map(|text| text.trim().to_owned());
    let tagline = match tagline.filter(|text| !text.is_empty()) {
        Some(text) => {
            check_text("tagline", &text, MAX_TAGLINE_CHARS)?;
            font::check_glyphs("tagline", &text, font::regular())?;
            Some(text)
        }
        None => None,
    };

    // Choices from fixed sets.
    let layout_id = optional_string(&fields, "layout")?.unwrap_or("classic");
    let layout = Layout::from_id(layout_id).ok_or_else(|| {
        let ids: Vec<&str> = Layout::ALL.iter().map(|layout| layout.id()).collect();
        BannerError::invalid("layout", format!("must be one of {}, not {layout_id:?}", ids.join(", ")))
    })?;
    let format = match optional_string(&fields, "format")?.unwrap_or("png") {
        "png" => Format::Png,
        "svg" => Format::Svg,
        other => return Err(BannerError::invalid("format", format!("must be png or svg, not {other:?}"))),
    };

    let colors = Colors {
        background: color(&fields, "background_color")?,
        text: color(&fields, "text_color")?,
        accent: color(&fields, "accent_color")?,
    };
    let (width_px, height_px) = size(&fields)?;
    let order_token = optional_string(&fields, "order_token")?
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .map(str::to_owned);

    Ok(BannerSpec { name, email, tagline, layout, colors, width_px, height_px, format, order_token })
}

/// Reads a string field that may be absent or `null`.
fn optional_string<'a>(
    fields: &'a Map<String, Value>,
    field: &'static str,
) -> Result<Option<&'a str>, BannerError> {
    match fields.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(BannerError::invalid(field, "must be a string")),
    }
}

/// Reads a required text field, trimmed and checked.
fn required_text(
    fields: &Map<String, Value>,
    field: &'static str,
    max_chars: usize,
) -> Result<String, BannerError> {
    let text = optional_string(fields, field)?.unwrap_or_default().trim();
    if text.is_empty() {
        return Err(BannerError::invalid(field, "is required"));
    }
    check_text(field, text, max_chars)?;
    Ok(text.to_owned())
}

/// Checks the length in characters and rejects line breaks and other control characters.
fn check_text(field: &'static str, text: &str, max_chars: usize) -> Result<(), BannerError> {
    let chars = text.chars().count();
    if chars > max_chars {
        return Err(BannerError::invalid(
            field,
            format!("is {chars} characters long; the limit is {max_chars}"),
        ));
    }
    if text.chars().any(|char| char.is_control() || matches!(char, '\u{2028}' | '\u{2029}')) {
        return Err(BannerError::invalid(field, "contains a line break or control character; use one line"));
    }
    Ok(())
}

/// Reads a required `#rrggbb` colour.
fn color(fields: &Map<String, Value>, field: &'static str) -> Result<Rgb, BannerError> {
    let text = optional_string(fields, field)?.ok_or_else(|| BannerError::invalid(field, "is required"))?;
    let valid_form = text.len() == 7 && text.starts_with('#');
    let parsed = if valid_form { Rgb::parse_hex(text).ok() } else { None };
    parsed
        .ok_or_else(|| BannerError::invalid(field, format!("must be a colour written #rrggbb, not {text:?}")))
}

/// Reads `size`, and for `custom` also `width` and `height`, checking the limits.
fn size(fields: &Map<String, Value>) -> Result<(u32, u32), BannerError> {
    let id = optional_string(fields, "size")?.unwrap_or("leaderboard");
    if let Some(preset) = SizePreset::from_id(id) {
        return Ok(preset.size_px());
    }
    if id != "custom" {
        let ids: Vec<&str> = SizePreset::ALL.iter().map(|preset| preset.id()).collect();
        return Err(BannerError::invalid(
            "size",
            format!("must be one of {} or custom, not {id:?}", ids.join(", ")),
        ));
    }

    let width = dimension(fields, "width", MIN_WIDTH_PX, MAX_WIDTH_PX)?;
    let height = dimension(fields, "height", MIN_HEIGHT_PX, MAX_HEIGHT_PX)?;
    if width > height * MAX_WIDE_RATIO {
        return Err(BannerError::invalid(
            "width",
            format!(
                "is more than {MAX_WIDE_RATIO} times the height ({width}×{height} px); make it narrower or taller"
            ),
        ));
    }
    if height > width * MAX_TALL_RATIO {
        return Err(BannerError::invalid(
            "height",
            format!(
                "is more than {MAX_TALL_RATIO} times the width ({width}×{height} px); make it lower or wider"
            ),
        ));
    }
    Ok((width, height))
}

/// Reads a whole number of pixels within `min..=max`.
fn dimension(
    fields: &Map<String, Value>,
    field: &'static str,
    min: u32,
    max: u32,
) -> Result<u32, BannerError> {
    let limits = format!("from {min} to {max} pixels");
    let value = fields.get(field).filter(|value| !value.is_null()).ok_or_else(|| {
        BannerError::invalid(field, format!("is required for a custom size: a whole number {limits}"))
    })?;
    let number = value.as_u64().ok_or_else(|| {
        BannerError::invalid(field, format!("must be a whole number {limits}, not {value}"))
    })?;
    u32::try_from(number)
        .ok()
        .filter(|number| (min..=max).contains(number))
        .ok_or_else(|| BannerError::invalid(field, format!("is {number}; it must be {limits}")))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn valid() -> Value {
        json!({
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "tagline": "Analytical engines",
            "layout": "split",
            "background_color": "#ffffff",
            "text_color": "#1a1a2e",
            "accent_color": "#E94560",
            "size": "social-share",
        })
    }

    fn parse(value: &Value) -> Result<BannerSpec, BannerError> {
        parse_request(value.to_string().as_bytes())
    }

    fn field_of(value: &Value) -> Option<&'static str> {
        parse(value).unwrap_err().field()
    }

    #[test]
    fn valid_request_parses() {
        let spec = parse(&valid()).unwrap();
        assert_eq!(spec.name, "Ada Lovelace");
        assert_eq!(spec.layout, Layout::Split);
        assert_eq!((spec.width_px, spec.height_px), (1200, 628));
        assert_eq!(spec.colors.accent, Rgb { r: 0xe9, g: 0x45, b: 0x60 });
        assert_eq!(spec.format, Format::Png);
        assert_eq!(spec.order_token, None);
    }

    #[test]
    fn every_preset_resolves() {
        for preset in SizePreset::ALL {
            let mut request = valid();
            request["size"] = preset.id().into();
            let spec = parse(&request).unwrap();
            assert_eq!((spec.width_px, spec.height_px), preset.size_px());
        }
    }

    #[test]
    fn bad_fields_are_named() {
        let cases: Vec<(&str, Value, &str)> = vec![
            ("name", json!(""), "name"),
            ("name", json!("x".repeat(MAX_NAME_CHARS + 1)), "name"),
            ("name", json!("two\nlines"), "name"),
            ("name", json!(7), "name"),
            ("email", json!("not-an-address"), "email"),
            ("email", json!("a@localhost"), "email"),
            ("tagline", json!("t".repeat(MAX_TAGLINE_CHARS + 1)), "tagline"),
            ("layout", json!("diagonal"), "layout"),
            ("background_color", json!("#fff"), "background_color"),
            ("text_color", json!("red"), "text_color"),
            ("accent_color", json!("#12345g"), "accent_color"),
            ("size", json!("billboard"), "size"),
            ("format", json!("gif"), "format"),
        ];
        for (field, value, named) in cases {
            let mut request = valid();
            request[field] = value.clone();
            assert_eq!(field_of(&request), Some(named), "{field} = {value}");
        }
    }

    #[test]
    fn missing_required_fields_are_named() {
        for field in ["name", "email", "background_color", "text_color", "accent_color"] {
            let mut request = valid();
            request.as_object_mut().unwrap().remove(field);
            let error = parse(&request).unwrap_err();
            assert_eq!(error.field(), Some(field));
            assert!(error.to_string().contains("is required"), "{error}");
        }
    }

    #[test]
    fn custom_size_limits() {
        let custom = |width: Value, height: Value| {
            let mut request = valid();
            request["size"] = "custom".into();
            request["width"] = width;
            request["height"] = height;
            parse(&request)
        };
        let spec = custom(json!(800), json!(200)).unwrap();
        assert_eq!((spec.width_px, spec.height_px), (800, 200));
        assert!(custom(json!(MIN_WIDTH_PX), json!(MIN_HEIGHT_PX)).is_ok());
        assert!(custom(json!(MAX_WIDTH_PX), json!(MAX_HEIGHT_PX)).is_ok());

        let cases = [
            (json!(MIN_WIDTH_PX - 1), json!(100), "width"),
            (json!(MAX_WIDTH_PX + 1), json!(300), "width"),
            (json!(400), json!(MAX_HEIGHT_PX + 1), "height"),
            (json!(400), json!(MIN_HEIGHT_PX - 1), "height"),
            (json!(800.5), json!(200), "width"),
            (json!(-5), json!(200), "width"),
            (json!("800"), json!(200), "width"),
            (json!(null), json!(200), "width"),
            (json!(2400), json!(150), "width"),
            (json!(200), json!(900), "height"),
        ];
        for (width, height, field) in cases {
            let error = custom(width.clone(), height.clone()).unwrap_err();
            assert_eq!(error.field(), Some(field), "{width}×{height}: {error}");
        }
        let message = custom(json!(5000), json!(200)).unwrap_err().to_string();
        assert_eq!(message, "width is 5000; it must be from 120 to 2400 pixels");
    }

    #[test]
    fn unknown_field_is_rejected() {
        let mut request = valid();
        request["colour"] = "#ffffff".into();
        let error = parse(&request).unwrap_err();
        assert!(matches!(&error, BannerError::UnknownField { name } if name == "colour"), "{error:?}");
    }

    #[test]
    fn body_must_be_object() {
        assert!(matches!(parse_request(b"[1, 2]"), Err(BannerError::NotJson(_))));
        assert!(matches!(parse_request(b"{\"name\":"), Err(BannerError::NotJson(_))));
        assert!(matches!(parse_request(b""), Err(BannerError::NotJson(_))));
    }

    #[test]
    fn empty_tagline_and_token_are_absent() {
        let mut request = valid();
        request["tagline"] = "   ".into();
        request["order_token"] = "".into();
        let spec = parse(&request).unwrap();
        assert_eq!(spec.tagline, None);
        assert_eq!(spec.order_token, None);
    }

    #[test]
    fn missing_glyphs_are_listed() {
        let mut request = valid();
        request["name"] = "Ada \u{3042} \u{4E2D}\u{3042}".into();
        let error = parse(&request).unwrap_err();
        let BannerError::MissingGlyphs { field, chars } = &error else { panic!("{error:?}") };
        assert_eq!(*field, "name");
        assert_eq!(chars, &['\u{3042}', '\u{4E2D}']);
        assert!(error.to_string().contains("U+3042"), "{error}");
        assert!(error.to_string().contains("U+4E2D"), "{error}");

        request["name"] = "Zoë Ñúñez-Łukasiewicz Σοφία".into();
        assert!(parse(&request).is_ok(), "Latin and Greek letters are in DejaVu Sans");
    }
}
