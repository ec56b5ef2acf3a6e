//! Calendar arithmetic in UTC, hand-written because records need only three things: ISO-8601
//! `indexedAt` → milliseconds, Unix seconds → JavaScript `toDateString` text (`dateReadable`,
//! decisions.md "Resolution"), and "now" as ISO-8601. Must not: read the local time zone.

use std::time::{SystemTime, UNIX_EPOCH};

const MS_PER_DAY: i64 = 86_400_000;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of a day number since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Parses `YYYY-MM-DD` into the day number, rejecting impossible dates such as `2024-13-45`.
pub fn parse_ymd(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year: i64 = s.get(0..4)?.parse().ok()?;
    let month: u32 = s.get(5..7)?.parse().ok()?;
    let day: u32 = s.get(8..10)?.parse().ok()?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day))
}

/// Parses ISO-8601 date-times as OIP writes them (`2025-11-05T00:12:41.118Z`, optional fraction,
/// `Z` or `±HH:MM`) into milliseconds since the epoch.
pub fn parse_iso_ms(s: &str) -> Option<i64> {
    let days = parse_ymd(s.get(0..10)?)?;
    let rest = s.get(10..)?;
    if rest.is_empty() {
        return Some(days * MS_PER_DAY);
    }
    let rest = rest.strip_prefix(['T', ' '])?;
    let field = |r: std::ops::Range<usize>| rest.get(r).and_then(|t| t.parse::<i64>().ok());
    let (h, m, sec) = (field(0..2)?, field(3..5)?, field(6..8)?);
    if rest.get(2..3)? != ":" || rest.get(5..6)? != ":" || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let mut tail = rest.get(8..)?;
    let mut ms = 0;
    if let Some(frac) = tail.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        let padded = format!("{:0<3}", frac.get(..digits.min(3))?);
        ms = padded.parse::<i64>().ok()?;
        tail = frac.get(digits..)?;
    }
    let offset_min = match tail {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match tail.get(0..1)? {
                "+" => 1,
                "-" => -1,
                _ => return None,
            };
            let oh: i64 = tail.get(1..3)?.parse().ok()?;
            let om: i64 = tail.get(tail.len().checked_sub(2)?..)?.parse().ok()?;
            sign * (oh * 60 + om)
        }
    };
    Some(days * MS_PER_DAY + ((h * 60 + m - offset_min) * 60 + sec) * 1000 + ms)
}

/// JavaScript's `Date.prototype.toDateString()` in UTC: `Wed Nov 05 2025`.
pub fn date_readable(unix_seconds: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = unix_seconds.div_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let weekday = DAYS[days.rem_euclid(7) as usize];
    let month = MONTHS[(m - 1) as usize];
    format!("{weekday} {month} {d:02} {y:04}")
}

/// The current time as ISO-8601 with milliseconds, like JavaScript's `toISOString()`.
pub fn now_iso() -> String {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    iso_from_ms(ms)
}

/// Milliseconds since the epoch as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn iso_from_ms(ms: i64) -> String {
    let (y, mo, d) = civil_from_days(ms.div_euclid(MS_PER_DAY));
    let in_day = ms.rem_euclid(MS_PER_DAY);
    let (h, mi, s, milli) = (
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000,
    );
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trips() {
        for days in [-800_000, -1, 0, 1, 19_000, 20_000, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn parses_iso_and_days() {
        assert_eq!(parse_iso_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_iso_ms("2025-11-05T00:12:41.118Z"),
            Some(1_762_301_561_118)
        );
        assert_eq!(
            parse_iso_ms("2025-11-05T01:12:41.1+01:00"),
            Some(1_762_301_561_100)
        );
        assert_eq!(parse_iso_ms("2025-11-05"), Some(1_762_300_800_000));
        assert_eq!(parse_iso_ms("yesterday"), None);
        assert_eq!(parse_ymd("2024-02-29"), Some(19_782));
        assert_eq!(parse_ymd("2023-02-29"), None);
        assert_eq!(parse_ymd("2024-13-45"), None);
    }

    #[test]
    fn formats_like_javascript() {
        assert_eq!(date_readable(1_762_300_800), "Wed Nov 05 2025");
        assert_eq!(date_readable(1_762_387_200), "Thu Nov 06 2025");
        assert_eq!(date_readable(0), "Thu Jan 01 1970");
        assert_eq!(iso_from_ms(1_762_301_561_118), "2025-11-05T00:12:41.118Z");
    }
}
