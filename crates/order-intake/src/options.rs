//! Order options: query parameters and `x-sketch-*` headers parsed into validated [`OrderOptions`].
//!
//! | query parameter | header | value | default |
//! |---|---|---|---|
//! | `style` | `x-sketch-style` | `epicycles` or `pen` | `epicycles` |
//! | `background` | `x-sketch-background` | `rrggbb` or `#rrggbb` (`%23rrggbb` in a query) | `#fdfbf7` |
//! | `sketch` | `x-sketch-sketch` | line colour, as `background` | `#1d2a3a` |
//! | `size` | `x-sketch-size` | `WIDTHxHEIGHT` in pixels | `1080x1080` |
//! | `duration` | `x-sketch-duration` | seconds, such as `15` or `7.5` | `15` |
//! | `plan` | `x-sketch-plan` | `single` (kept 24 h) or `pro` (kept 30 days) | `single` |
//! | `age_confirmed` | `x-sketch-age-confirmed` | `true` | none: required |
//!
//! A query parameter wins over the header of the same option. Unknown query parameters, unknown
//! `x-sketch-*` headers and options given twice in one place are rejected, so a typo never falls
//! back silently to a default.

use std::collections::BTreeMap;

use animation::{AnimationError, AnimationSpec, MAX_DURATION_MS, MIN_DURATION_MS, Style};
use store::{OrderOptions, Plan};
use strokes::Rgb;

/// The reasons the options of a request are rejected. Every variant is a client error (HTTP 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionError {
    /// The request has no `age_confirmed=true`.
    #[error("confirm that you are 13 or older: send age_confirmed=true")]
    AgeNotConfirmed,

    /// A query parameter or `x-sketch-*` header that is not an option.
    #[error(
        "unknown option {name:?}; the options are style, background, sketch, size, duration, plan and age_confirmed"
    )]
    UnknownOption {
        /// The parameter or header name as sent.
        name: String,
    },

    /// An option's value is malformed or outside its limits.
    #[error("{message}")]
    InvalidOption {
        /// The option's query parameter name.
        field: &'static str,
        /// What is wrong, with the limit where one applies.
        message: String,
    },
}

impl OptionError {
    /// Returns the option the error is about, if any.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            OptionError::AgeNotConfirmed => Some("age_confirmed"),
            OptionError::InvalidOption { field, .. } => Some(field),
            OptionError::UnknownOption { .. } => None,
        }
    }
}

/// Background colour when none is given: warm off-white paper.
pub const DEFAULT_BACKGROUND: Rgb = Rgb::new(0xfd, 0xfb, 0xf7);
/// Line colour when none is given: dark blue-grey ink.
pub const DEFAULT_SKETCH: Rgb = Rgb::new(0x1d, 0x2a, 0x3a);
/// Frame width when no size is given.
pub const DEFAULT_WIDTH_PX: u32 = 1080;
/// Frame height when no size is given.
pub const DEFAULT_HEIGHT_PX: u32 = 1080;
/// Video length when no duration is given.
pub const DEFAULT_DURATION_MS: u32 = 15_000;

/// Prefix of the headers that carry options.
const HEADER_PREFIX: &str = "x-sketch-";

/// One upload option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Field {
    Style,
    Background,
    Sketch,
    Size,
    Duration,
    Plan,
    AgeConfirmed,
}

impl Field {
    const ALL: [Field; 7] = [
        Field::Style,
        Field::Background,
        Field::Sketch,
        Field::Size,
        Field::Duration,
        Field::Plan,
        Field::AgeConfirmed,
    ];

    /// Returns the query parameter name, which error messages also use.
    fn name(self) -> &'static str {
        match self {
            Field::Style => "style",
            Field::Background => "background",
            Field::Sketch => "sketch",
            Field::Size => "size",
            Field::Duration => "duration",
            Field::Plan => "plan",
            Field::AgeConfirmed => "age_confirmed",
        }
    }

    fn from_query_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|field| field.name() == name)
    }

    /// Maps the part of a header name after `x-sketch-` (lowercase, hyphens for underscores).
    fn from_header_suffix(suffix: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|field| field.name().replace('_', "-") == suffix)
    }
}

/// Parses and validates the options of an order.
///
/// `query` is the raw query string (without `?`), and `headers` are the request headers with
/// names in any case. Returns the first problem found as an [`OptionError`] that names
/// the option.
pub fn parse_options<'a>(
    query: &str,
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<OrderOptions, OptionError> {
    parse(query, headers, AgeCheck::Required)
}

/// Parses and validates the options of a preview, which are those of an order but without the
/// age confirmation: `age_confirmed` may be sent, and must then be `true` or `false`.
pub fn parse_preview_options<'a>(
    query: &str,
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<OrderOptions, OptionError> {
    parse(query, headers, AgeCheck::Optional)
}

/// Whether a missing or `false` age confirmation rejects the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AgeCheck {
    Required,
    Optional,
}

fn parse<'a>(
    query: &str,
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    age_check: AgeCheck,
) -> Result<OrderOptions, OptionError> {
    let values = collect_values(query, headers)?;
    let value = |field: Field| values.get(&field).map(String::as_str);

    // The age confirmation is checked first: without it no other option matters.
    match value(Field::AgeConfirmed) {
        Some("true") => {}
        None | Some("false") if age_check == AgeCheck::Optional => {}
        None | Some("false") => return Err(OptionError::AgeNotConfirmed),
        Some(other) => {
            return Err(invalid(
                Field::AgeConfirmed,
                format!("invalid age_confirmed {other:?}: expected true"),
            ));
        }
    }

    let style = match value(Field::Style) {
        None => Style::Epicycles,
        Some(text) => {
            text.parse().map_err(|error: AnimationError| invalid(Field::Style, error.to_string()))?
        }
    };
    let background = parse_colour(Field::Background, value(Field::Background), DEFAULT_BACKGROUND)?;
    let sketch = parse_colour(Field::Sketch, value(Field::Sketch), DEFAULT_SKETCH)?;
    let (width, height) = match value(Field::Size) {
        None => (DEFAULT_WIDTH_PX, DEFAULT_HEIGHT_PX),
        Some(text) => parse_size(text)?,
    };
    let duration_ms = match value(Field::Duration) {
        None => DEFAULT_DURATION_MS,
        Some(text) => parse_duration_ms(text)?,
    };
    let plan = match value(Field::Plan) {
        None => Plan::Single,
        Some(text) => text.parse::<Plan>().map_err(|message| invalid(Field::Plan, message))?,
    };

    let options = OrderOptions { style, width, height, duration_ms, background, sketch, plan };
    validate_limits(&options.animation_spec())?;
    Ok(options)
}

/// Gathers each option's text from the query and the headers, the query winning.
fn collect_values<'a>(
    query: &str,
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<BTreeMap<Field, String>, OptionError> {
    let mut from_query = BTreeMap::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        let field = Field::from_query_name(&name)
            .ok_or_else(|| OptionError::UnknownOption { name: name.clone().into_owned() })?;
        if from_query.insert(field, value.trim().to_owned()).is_some() {
            return Err(invalid(field, format!("{} is given twice; give it once", field.name())));
        }
    }

    let mut from_headers = BTreeMap::new();
    for (name, value) in headers {
        let name = name.to_ascii_lowercase();
        let Some(suffix) = name.strip_prefix(HEADER_PREFIX) else {
            continue;
        };
        let field = Field::from_header_suffix(suffix)
            .ok_or_else(|| OptionError::UnknownOption { name: name.clone() })?;
        if from_headers.insert(field, value.trim().to_owned()).is_some() {
            return Err(invalid(field, format!("header {name} is given twice; give it once")));
        }
    }

    from_headers.extend(from_query);
    Ok(from_headers)
}

fn parse_colour(field: Field, text: Option<&str>, default: Rgb) -> Result<Rgb, OptionError> {
    let Some(text) = text else {
        return Ok(default);
    };
    Rgb::parse_hex(text).map_err(|_| {
        invalid(
            field,
            format!(
                "invalid {} colour {text:?}: expected six hex digits such as 1a2b3c or #1a2b3c (%231a2b3c in a URL)",
                field.name()
            ),
        )
    })
}

fn parse_size(text: &str) -> Result<(u32, u32), OptionError> {
    let invalid_size = || {
        invalid(
            Field::Size,
            format!("invalid size {text:?}: expected WIDTHxHEIGHT in pixels such as 1080x1080"),
        )
    };
    let (width, height) = text.split_once(['x', 'X']).ok_or_else(invalid_size)?;
    let width = width.trim().parse::<u32>().map_err(|_| invalid_size())?;
    let height = height.trim().parse::<u32>().map_err(|_| invalid_size())?;
    Ok((width, height))
}

/// Parses seconds (a whole or decimal number) into milliseconds, rounded to the nearest one.
fn parse_duration_ms(text: &str) -> Result<u32, OptionError> {
    let out_of_range = || {
        invalid(
            Field::Duration,
            format!(
                "duration is {text} s; it must be between {} and {} s",
                MIN_DURATION_MS / 1000,
                MAX_DURATION_MS / 1000
            ),
        )
    };
    let secs: f64 = text.parse().ok().filter(|secs: &f64| secs.is_finite()).ok_or_else(|| {
        invalid(Field::Duration, format!("invalid duration {text:?}: expected seconds such as 15"))
    })?;
    let duration_ms = (secs * 1000.0).round();
    // Checked here, not only by the animation library, so the message speaks of seconds as the
    // visitor wrote them.
    if !(f64::from(MIN_DURATION_MS)..=f64::from(MAX_DURATION_MS)).contains(&duration_ms) {
        return Err(out_of_range());
    }
    Ok(duration_ms as u32)
}

/// Checks size and duration with the animation library's limits, naming the option that breaks one.
fn validate_limits(spec: &AnimationSpec) -> Result<(), OptionError> {
    spec.validate().map_err(|error| {
        let field = match error {
            AnimationError::DurationOutOfRange { .. } => Field::Duration,
            _ => Field::Size,
        };
        invalid(field, error.to_string())
    })
}

fn invalid(field: Field, message: String) -> OptionError {
    OptionError::InvalidOption { field: field.name(), message }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIRMED: &str = "age_confirmed=true";

    fn parse_query(query: &str) -> Result<OrderOptions, OptionError> {
        parse_options(query, [])
    }

    fn field_and_message(result: Result<OrderOptions, OptionError>) -> (&'static str, String) {
        match result {
            Err(OptionError::InvalidOption { field, message }) => (field, message),
            other => panic!("expected an invalid option, got {other:?}"),
        }
    }

    #[test]
    fn defaults_apply_when_only_age_is_confirmed() {
        let options = parse_query(CONFIRMED).unwrap();
        assert_eq!(options.style, Style::Epicycles);
        assert_eq!(options.background, DEFAULT_BACKGROUND);
        assert_eq!(options.sketch, DEFAULT_SKETCH);
        assert_eq!((options.width, options.height), (1080, 1080));
        assert_eq!(options.duration_ms, 15_000);
        assert_eq!(options.plan, Plan::Single);
    }

    #[test]
    fn every_option_parses_from_query() {
        let query = "style=pen&background=%23102030&sketch=aabbcc&size=720x1280&duration=7.5&plan=pro&age_confirmed=true";
        let options = parse_query(query).unwrap();
        assert_eq!(options.style, Style::Pen);
        assert_eq!(options.background, Rgb::new(0x10, 0x20, 0x30));
        assert_eq!(options.sketch, Rgb::new(0xaa, 0xbb, 0xcc));
        assert_eq!((options.width, options.height), (720, 1280));
        assert_eq!(options.duration_ms, 7_500);
        assert_eq!(options.plan, Plan::Pro);
    }

    #[test]
    fn every_option_parses_from_headers() {
        let headers = [
            ("X-Sketch-Style", "pen"),
            ("x-sketch-background", "#000000"),
            ("x-sketch-sketch", "FFFFFF"),
            ("x-sketch-size", "640X480"),
            ("x-sketch-duration", "20"),
            ("x-sketch-plan", "pro"),
            ("x-sketch-age-confirmed", "true"),
            ("content-type", "image/png"),
        ];
        let options = parse_options("", headers).unwrap();
        assert_eq!(options.style, Style::Pen);
        assert_eq!(options.background, Rgb::BLACK);
        assert_eq!(options.sketch, Rgb::WHITE);
        assert_eq!((options.width, options.height), (640, 480));
        assert_eq!(options.duration_ms, 20_000);
        assert_eq!(options.plan, Plan::Pro);
    }

    #[test]
    fn query_wins_over_header() {
        let options =
            parse_options("age_confirmed=true&style=pen", [("x-sketch-style", "epicycles")]).unwrap();
        assert_eq!(options.style, Style::Pen);
    }

    #[test]
    fn missing_or_false_age_confirmation_is_rejected() {
        for query in ["", "age_confirmed=false", "style=pen"] {
            let error = parse_query(query).unwrap_err();
            assert!(matches!(error, OptionError::AgeNotConfirmed), "{query:?}: {error:?}");
            assert!(error.to_string().contains("confirm that you are 13 or older"));
        }
        let (field, message) = field_and_message(parse_query("age_confirmed=yes"));
        assert_eq!(field, "age_confirmed");
        assert!(message.contains("\"yes\""), "{message}");
    }

    #[test]
    fn bad_values_name_their_option() {
        let cases = [
            ("style=sketchy", "style", "sketchy"),
            ("background=red", "background", "red"),
            ("sketch=%23abc", "sketch", "#abc"),
            ("size=big", "size", "WIDTHxHEIGHT"),
            ("size=1080x", "size", "1080x"),
            ("size=100x100", "size", "between 240 and 1920 px"),
            ("size=1081x1080", "size", "odd"),
            ("size=1080x4000", "size", "height"),
            ("duration=abc", "duration", "seconds"),
            ("duration=inf", "duration", "seconds"),
            ("duration=-3", "duration", "between 5 and 30 s"),
            ("duration=1e12", "duration", "between 5 and 30 s"),
            ("duration=60", "duration", "duration is 60 s; it must be between 5 and 30 s"),
            ("duration=4.9", "duration", "duration is 4.9 s; it must be between 5 and 30 s"),
            ("plan=gold", "plan", "single or pro"),
        ];
        for (option, expected_field, expected_text) in cases {
            let (field, message) = field_and_message(parse_query(&format!("{CONFIRMED}&{option}")));
            assert_eq!(field, expected_field, "{option}");
            assert!(message.contains(expected_text), "{option}: {message}");
        }
    }

    #[test]
    fn limits_are_inclusive() {
        let options = parse_query(&format!("{CONFIRMED}&size=240x1920&duration=5")).unwrap();
        assert_eq!((options.width, options.height, options.duration_ms), (240, 1920, 5_000));
        let options = parse_query(&format!("{CONFIRMED}&duration=30")).unwrap();
        assert_eq!(options.duration_ms, 30_000);
    }

    #[test]
    fn unknown_options_are_rejected() {
        let error = parse_query(&format!("{CONFIRMED}&duraton=10")).unwrap_err();
        assert!(matches!(&error, OptionError::UnknownOption { name } if name == "duraton"), "{error:?}");
        assert!(error.to_string().contains("style, background"), "{error}");

        let error = parse_options(CONFIRMED, [("x-sketch-colour", "000000")]).unwrap_err();
        assert!(
            matches!(&error, OptionError::UnknownOption { name } if name == "x-sketch-colour"),
            "{error:?}"
        );
    }

    #[test]
    fn repeated_option_is_rejected() {
        let (field, message) = field_and_message(parse_query(&format!("{CONFIRMED}&plan=pro&plan=single")));
        assert_eq!(field, "plan");
        assert!(message.contains("twice"), "{message}");
    }

    #[test]
    fn preview_needs_no_age_confirmation() {
        let options = parse_preview_options("size=720x1280&sketch=aabbcc", []).unwrap();
        assert_eq!((options.width, options.height), (720, 1280));
        assert!(parse_preview_options("age_confirmed=false", []).is_ok());
        let (field, _) = field_and_message(parse_preview_options("age_confirmed=maybe", []));
        assert_eq!(field, "age_confirmed");
        let (field, message) = field_and_message(parse_preview_options("size=10x10", []));
        assert_eq!(field, "size");
        assert!(message.contains("between 240 and 1920 px"), "{message}");
    }
}
