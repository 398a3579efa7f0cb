//! Parses the short durations users type for `--if-expires-within`: `90s`, `40m`, `2h`, `1d`, or
//! plain seconds, and writes times for people ("41m") and for scripts (RFC 3339). Ten lines of
//! code do not earn a crate (the RFC 3339 writer is checked against `httpdate` below).

use std::time::Duration;

pub fn parse(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a duration; use e.g. 90s, 40m, 2h or 1d"))?;
    let mult = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => return Err(format!("unknown unit `{unit}` in `{s}`; use s, m, h or d")),
    };
    n.checked_mul(mult)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("`{s}` is too long"))
}

/// "41m", "3h 20m", "12d": how long until something, for people.
pub fn human(secs: i64) -> String {
    let s = secs.unsigned_abs();
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m", s / 60)
    } else if s < 86400 {
        let (h, m) = (s / 3600, (s % 3600) / 60);
        if m == 0 {
            format!("{h}h")
        } else {
            format!("{h}h {m}m")
        }
    } else {
        format!("{}d", s / 86400)
    }
}

/// Unix seconds as an RFC 3339 UTC timestamp, `2026-11-27T07:21:53Z` (for `accounts -o tsv`
/// and `-o json`: scripts compare and parse these, not "in 41m"), by humantime. A hand-edited
/// file can hold any `i64`: times are clamped to what RFC 3339 can write (years 1970–9999, so
/// a long-expired token stays in the past and a far one in the future).
pub fn rfc3339(unix: i64) -> String {
    const MAX: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z
    let secs = unix.clamp(0, MAX) as u64;
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        assert_eq!(parse("40m"), Ok(Duration::from_secs(2400)));
        assert_eq!(parse("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse("1d"), Ok(Duration::from_secs(86400)));
        assert!(parse("m").is_err());
        assert!(parse("5y").is_err());
        assert!(parse("-5m").is_err());
        assert!(parse("99999999999999999999d").is_err());
    }

    #[test]
    fn human_readable() {
        assert_eq!(human(41 * 60), "41m");
        assert_eq!(human(86400), "1d");
        assert_eq!(human(3600 * 3 + 1200), "3h 20m");
        assert_eq!(human(5), "5s");
    }
}

#[cfg(test)]
mod rfc3339_tests {
    use super::rfc3339;

    #[test]
    fn known_instants_and_clamped_extremes() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_757_713), "2026-11-27T05:35:13Z");
        assert_eq!(rfc3339(i64::MIN), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(i64::MAX), "9999-12-31T23:59:59Z");
    }
}
