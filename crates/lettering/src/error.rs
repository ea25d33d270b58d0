//! The reasons a text is rejected.

use crate::{MAX_LINES, MAX_TEXT_CHARS};

/// Why a text cannot be turned into strokes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// The text has no visible character (it is empty or only spaces and line breaks).
    #[error("text is empty; type 1 to {MAX_TEXT_CHARS} characters")]
    Empty,

    /// The text has more than [`MAX_TEXT_CHARS`] characters.
    #[error("text has {chars} characters; the limit is {MAX_TEXT_CHARS}")]
    TooLong {
        /// Characters in the text, line breaks included.
        chars: usize,
    },

    /// The text has more than [`MAX_LINES`] lines.
    #[error("text has {lines} lines; the limit is {MAX_LINES}")]
    TooManyLines {
        /// Lines in the text.
        lines: usize,
    },

    /// Characters the font cannot draw, each listed once in order of first appearance.
    #[error("the font cannot draw {}; use Latin letters, digits and punctuation", describe_chars(.chars))]
    Unsupported {
        /// The characters, deduplicated.
        chars: Vec<char>,
    },

    /// The frame is too small to hold any text.
    #[error("frame {width}x{height} is too small; both sides must be at least 16 pixels")]
    FrameTooSmall {
        /// Frame width in pixels.
        width: u32,
        /// Frame height in pixels.
        height: u32,
    },
}

/// Names characters for a message: `"☃" (U+2603), U+0007`. Control and other invisible characters
/// show only their code point.
pub fn describe_chars(chars: &[char]) -> String {
    let names: Vec<String> = chars.iter().map(|ch| describe_char(*ch)).collect();
    names.join(", ")
}

/// Names one character: `"☃" (U+2603)`, or `U+0007` for an invisible one.
pub fn describe_char(ch: char) -> String {
    let code = format!("U+{:04X}", u32::from(ch));
    if ch.is_control() || ch.is_whitespace() || is_format_char(ch) {
        code
    } else {
        format!("\"{ch}\" ({code})")
    }
}

/// Zero-width and direction marks, which print nothing.
fn is_format_char(ch: char) -> bool {
    matches!(ch, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsupported_message_names_each_char() {
        let error = TextError::Unsupported { chars: vec!['☃', '\u{7}', '\u{200B}'] };
        assert_eq!(
            error.to_string(),
            "the font cannot draw \"☃\" (U+2603), U+0007, U+200B; use Latin letters, digits and punctuation"
        );
    }

    #[test]
    fn limit_messages_state_limits() {
        assert_eq!(
            TextError::TooLong { chars: 201 }.to_string(),
            "text has 201 characters; the limit is 200"
        );
        assert_eq!(TextError::TooManyLines { lines: 21 }.to_string(), "text has 21 lines; the limit is 12");
    }
}
