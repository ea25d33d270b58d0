//! Timestamps in the form the HTTP API returns them.

/// Milliseconds in a day.
const DAY_MS: u64 = 24 * 60 * 60 * 1000;

/// Formats milliseconds since the Unix epoch as an RFC 3339 UTC timestamp with seconds precision,
/// such as `2025-01-31T23:59:59Z`. Milliseconds are truncated.
pub fn format_rfc3339_ms(unix_ms: u64) -> String {
    let days = unix_ms / DAY_MS;
    let secs_of_day = (unix_ms % DAY_MS) / 1000;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs_of_day / 3600,
        secs_of_day / 60 % 60,
        secs_of_day % 60
    )
}

/// Converts days since 1970-01-01 to a proleptic Gregorian (year, month, day).
///
/// This is Howard Hinnant's `civil_from_days` algorithm, restricted to dates after the epoch.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let shifted = days + 719_468;
    let era = shifted / 146_097;
    let day_of_era = shifted % 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_and_known_dates_format() {
        assert_eq!(format_rfc3339_ms(0), "1970-01-01T00:00:00Z");
        // 2000-02-29 12:34:56.789 UTC, a leap day in a century leap year.
        assert_eq!(format_rfc3339_ms(951_827_696_789), "2000-02-29T12:34:56Z");
        // 2024-12-31 23:59:59 UTC.
        assert_eq!(format_rfc3339_ms(1_735_689_599_000), "2024-12-31T23:59:59Z");
        // 2025-03-01 00:00:00 UTC, the day after a non-leap February.
        assert_eq!(format_rfc3339_ms(1_740_787_200_000), "2025-03-01T00:00:00Z");
    }
}
