//! The reasons a banner request is rejected or cannot be rendered.

/// A reason a banner was not rendered.
#[derive(Debug, thiserror::Error)]
pub enum BannerError {
    /// The request body is not a JSON object.
    #[error("the request body must be a JSON object: {0}")]
    NotJson(String),

    /// A field is missing, has the wrong type, or is outside its limits.
    #[error("{field} {message}")]
    Invalid {
        /// The request field, as spelled in the JSON.
        field: &'static str,
        /// What is wrong, with the limit where one applies.
        message: String,
    },

    /// A field that the request format does not have.
    #[error("unknown field {name:?}; the fields are {}", crate::request::FIELDS.join(", "))]
    UnknownField {
        /// The field name as sent.
        name: String,
    },

    /// The text contains characters the embedded font has no glyph for.
    #[error(
        "{field} contains characters the font cannot draw: {}; remove or replace them",
        quote_chars(chars)
    )]
    MissingGlyphs {
        /// The request field.
        field: &'static str,
        /// Each missing character once, in order of appearance.
        chars: Vec<char>,
    },

    /// The pixel buffer could not be allocated or encoded.
    #[error("the image could not be produced: {0}")]
    Output(String),
}

impl BannerError {
    /// Returns the request field the error is about, if any.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            BannerError::Invalid { field, .. } | BannerError::MissingGlyphs { field, .. } => Some(field),
            _ => None,
        }
    }

    /// Builds an [`BannerError::Invalid`].
    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        BannerError::Invalid { field, message: message.into() }
    }
}

/// Formats characters as `"é" (U+00E9), "😀" (U+1F600)`.
fn quote_chars(chars: &[char]) -> String {
    let quoted: Vec<String> =
        chars.iter().map(|char| format!("\"{char}\" (U+{:04X})", u32::from(*char))).collect();
    quoted.join(", ")
}
