//! The `Range` request header, for a single byte range of a file of known size.
//!
//! Supported forms are `bytes=first-last`, `bytes=first-` and `bytes=-suffix_length`. A header with
//! several ranges is ignored and the whole file is sent with `200`: RFC 9110 (section 14.2) lets a
//! server ignore `Range`, and a video player asks for one range at a time. Headers in another unit
//! or with invalid syntax (such as `first > last`) are ignored the same way, as RFC 9110 allows.

/// What to send for a request's `Range` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeDecision {
    /// No usable `Range`: send the whole file with `200`.
    Whole,
    /// Send bytes `first..=last` with `206`.
    Partial {
        /// First byte, from 0.
        first: u64,
        /// Last byte (inclusive), below the file size.
        last: u64,
    },
    /// The range lies past the end of the file: `416` with `Content-Range: bytes */size`.
    Unsatisfiable,
}

/// Decides what to send for the `Range` header `header` of a file of `size_bytes`.
pub fn decide_range(header: Option<&str>, size_bytes: u64) -> RangeDecision {
    let Some(header) = header else {
        return RangeDecision::Whole;
    };
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return RangeDecision::Whole;
    };
    if spec.contains(',') {
        return RangeDecision::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeDecision::Whole;
    };
    let (first, last) = (first.trim(), last.trim());

    match (parse_position(first), parse_position(last)) {
        // `-suffix_length`: the last bytes of the file, all of it if the suffix is longer.
        (None, Some(suffix_bytes)) if first.is_empty() => {
            if suffix_bytes == 0 || size_bytes == 0 {
                RangeDecision::Unsatisfiable
            } else {
                RangeDecision::Partial {
                    first: size_bytes.saturating_sub(suffix_bytes),
                    last: size_bytes - 1,
                }
            }
        }
        // `first-`: from `first` to the end.
        (Some(first), None) if last.is_empty() => partial(first, u64::MAX, size_bytes),
        // `first-last`, with `last` clamped to the end of the file.
        (Some(first), Some(last)) if first <= last => partial(first, last, size_bytes),
        _ => RangeDecision::Whole,
    }
}

fn partial(first: u64, last: u64, size_bytes: u64) -> RangeDecision {
    if first >= size_bytes {
        return RangeDecision::Unsatisfiable;
    }
    RangeDecision::Partial { first, last: last.min(size_bytes - 1) }
}

/// Parses a byte position: ASCII digits only (no sign), fitting in `u64`.
fn parse_position(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use RangeDecision::{Partial, Unsatisfiable, Whole};

    const SIZE: u64 = 1000;

    fn decide(header: &str) -> RangeDecision {
        decide_range(Some(header), SIZE)
    }

    #[test]
    fn single_ranges_in_every_form() {
        assert_eq!(decide("bytes=0-99"), Partial { first: 0, last: 99 });
        assert_eq!(decide("bytes=500-"), Partial { first: 500, last: 999 });
        assert_eq!(decide("bytes=-100"), Partial { first: 900, last: 999 });
        assert_eq!(decide("bytes=0-0"), Partial { first: 0, last: 0 });
        assert_eq!(decide("bytes=999-999"), Partial { first: 999, last: 999 });
        assert_eq!(decide(" bytes= 10 - 20 "), Partial { first: 10, last: 20 });
    }

    #[test]
    fn ranges_past_end_are_clamped() {
        assert_eq!(decide("bytes=900-5000"), Partial { first: 900, last: 999 });
        assert_eq!(decide("bytes=-5000"), Partial { first: 0, last: 999 });
        assert_eq!(decide("bytes=0-99999999999999999999"), Whole, "a position overflowing u64 is invalid");
    }

    #[test]
    fn ranges_starting_past_end_are_unsatisfiable() {
        assert_eq!(decide("bytes=1000-"), Unsatisfiable);
        assert_eq!(decide("bytes=1000-2000"), Unsatisfiable);
        assert_eq!(decide("bytes=-0"), Unsatisfiable);
        assert_eq!(decide_range(Some("bytes=0-"), 0), Unsatisfiable);
        assert_eq!(decide_range(Some("bytes=-5"), 0), Unsatisfiable);
    }

    #[test]
    fn missing_invalid_or_multiple_ranges_send_whole_file() {
        assert_eq!(decide_range(None, SIZE), Whole);
        for header in [
            "",
            "bytes=",
            "bytes=-",
            "bytes=abc-def",
            "bytes=20-10",
            "bytes=+5-10",
            "bytes=0-99,200-299",
            "bytes=0-1, -5",
            "items=0-10",
            "bytes 0-10",
            "bytes=5",
        ] {
            assert_eq!(decide(header), Whole, "{header:?}");
        }
    }
}
