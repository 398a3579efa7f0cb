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
/// and `-o json`: scripts compare and parse these, not "in 41m"). Days to civil date by Howard
/// Hinnant's `civil_from_days`, valid for every `i64` day count a token file can hold.
pub fn rfc3339(unix: i64) -> String {
    let (days, secs) = (unix.div_euclid(86400), unix.rem_euclid(86400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
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
    fn known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_757_713), "2026-11-27T05:35:13Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }

    proptest::proptest! {
        /// Agrees with httpdate's IMF-fixdate ("Fri, 27 Nov 2026 07:21:53 GMT") everywhere it
        /// is defined (years 1970–9999).
        #[test]
        fn agrees_with_httpdate(secs in 0i64..253_402_300_799) {
            let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs as u64);
            let imf = httpdate::fmt_http_date(t);
            let p: Vec<&str> = imf.split([' ', ':']).collect();
            let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
            let m = months.iter().position(|x| *x == p[2]).unwrap() + 1;
            let want = format!("{}-{m:02}-{}T{}:{}:{}Z", p[3], p[1], p[4], p[5], p[6]);
            proptest::prop_assert_eq!(rfc3339(secs), want);
        }
    }
}
