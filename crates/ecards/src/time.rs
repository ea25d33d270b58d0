//! Parsing of RFC 3339 timestamps, such as `2025-06-01T09:30:00+02:00`.
//!
//! The parser is written here so the crate needs no date library for one format. It accepts the RFC 3339 `date-time` production: `T`, `t` or a space between date
//! and time, optional fractional seconds (kept to the millisecond, the rest truncated), and an offset
//! that is `Z`, `z` or `±hh:mm`. A local time without an offset is rejected, because the instant it
//! names depends on a time zone the server does not know.

/// Milliseconds in a day.
pub(crate) const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Parses an RFC 3339 timestamp with offset into milliseconds since the Unix epoch (negative
/// before 1970). Returns `None` for anything else.
pub fn parse_rfc3339_ms(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() < 20 || !text.is_ascii() {
        return None;
    }
    let year = digits(bytes, 0, 4)?;
    let month = digits(bytes, 5, 2)?;
    let day = digits(bytes, 8, 2)?;
    let hour = digits(bytes, 11, 2)?;
    let minute = digits(bytes, 14, 2)?;
    let second = digits(bytes, 17, 2)?;
    let separators_valid = bytes[4] == b'-'
        && bytes[7] == b'-'
        && matches!(bytes[10], b'T' | b't' | b' ')
        && bytes[13] == b':'
        && bytes[16] == b':';
    // A leap second (:60) is accepted and counts as the first second of the next minute, as Unix
    // time does.
    let in_range = (1..=12).contains(&month)
        && day >= 1
        && day <= days_in_month(year, month)
        && hour <= 23
        && minute <= 59
        && second <= 60;
    if !separators_valid || !in_range {
        return None;
    }

    let mut rest = &text[19..];
    let mut millis = 0;
    if let Some(fraction_and_offset) = rest.strip_prefix('.') {
        let digit_count = fraction_and_offset.bytes().take_while(u8::is_ascii_digit).count();
        if digit_count == 0 {
            return None;
        }
        let fraction = &fraction_and_offset[..digit_count];
        for (place, byte) in fraction.bytes().take(3).enumerate() {
            millis += i64::from(byte - b'0') * [100, 10, 1][place];
        }
        rest = &fraction_and_offset[digit_count..];
    }
    let offset_minutes = parse_offset_minutes(rest)?;

    let days = days_from_civil(year, month, day);
    let seconds_of_day = i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
    Some(days * DAY_MS + seconds_of_day * 1000 + millis - offset_minutes * 60_000)
}

/// Parses `Z`, `z` or `±hh:mm` into minutes east of UTC.
fn parse_offset_minutes(text: &str) -> Option<i64> {
    if text == "Z" || text == "z" {
        return Some(0);
    }
    let bytes = text.as_bytes();
    if bytes.len() != 6 || bytes[3] != b':' {
        return None;
    }
    let sign = match bytes[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let hours = digits(bytes, 1, 2)?;
    let minutes = digits(bytes, 4, 2)?;
    if hours > 23 || minutes > 59 {
        return None;
    }
    Some(sign * (i64::from(hours) * 60 + i64::from(minutes)))
}

/// Reads `count` ASCII digits starting at `start`.
fn digits(bytes: &[u8], start: usize, count: usize) -> Option<u32> {
    let slice = bytes.get(start..start + count)?;
    slice
        .iter()
        .try_fold(0u32, |value, byte| byte.is_ascii_digit().then(|| value * 10 + u32::from(byte - b'0')))
}

fn is_leap_year(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Converts a proleptic Gregorian date to days since 1970-01-01.
///
/// This is Howard Hinnant's `days_from_civil` algorithm.
fn days_from_civil(year: u32, month: u32, day: u32) -> i64 {
    let year = i64::from(year) - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let month_index = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * month_index + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_and_offsets_parse() {
        assert_eq!(parse_rfc3339_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339_ms("2000-02-29T12:34:56.789Z"), Some(951_827_696_789));
        assert_eq!(parse_rfc3339_ms("2024-12-31T23:59:59Z"), Some(1_735_689_599_000));
        // The same instant written with offsets east and west of UTC.
        assert_eq!(parse_rfc3339_ms("2025-03-01T02:00:00+02:00"), Some(1_740_787_200_000));
        assert_eq!(parse_rfc3339_ms("2025-02-28t19:30:00-04:30"), Some(1_740_787_200_000));
        assert_eq!(parse_rfc3339_ms("2025-03-01 00:00:00z"), Some(1_740_787_200_000));
        assert_eq!(parse_rfc3339_ms("1969-12-31T23:59:59Z"), Some(-1000));
    }

    #[test]
    fn fraction_keeps_milliseconds() {
        assert_eq!(parse_rfc3339_ms("1970-01-01T00:00:00.5Z"), Some(500));
        assert_eq!(parse_rfc3339_ms("1970-01-01T00:00:00.123456789Z"), Some(123));
    }

    #[test]
    fn malformed_timestamps_are_rejected() {
        for text in [
            "",
            "2025-06-01",
            "2025-06-01T09:00:00",
            "2025-06-01T09:00:00+0200",
            "2025-06-01T09:00:00+24:00",
            "2025-02-29T09:00:00Z",
            "2025-13-01T09:00:00Z",
            "2025-06-31T09:00:00Z",
            "2025-06-01T24:00:00Z",
            "2025-06-01T09:60:00Z",
            "2025-06-01T09:00:00.Z",
            "2025/06/01T09:00:00Z",
            "2025-06-01T09:00:00Z ",
            "tomorrow at nine",
            "2025-06-01T09:00:00\u{ff3a}",
        ] {
            assert_eq!(parse_rfc3339_ms(text), None, "{text:?}");
        }
    }
}
