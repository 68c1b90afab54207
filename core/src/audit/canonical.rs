//! The byte-exact forms the audit log hashes and signs: canonical JSON, hex, ISO 8601 times.
//!
//! Canonical JSON (docs/audit.md §3): no whitespace, object members sorted by the UTF-8 bytes of
//! their names, strings escaped as RFC 8259 requires and no more (`"`, `\`, and control
//! characters; `\b \f \n \r \t` by their short forms, the others as `\u00XX`), numbers as
//! serde_json prints them. A record's line in the file *is* its canonical form, so the verifier
//! can demand byte equality and a single changed byte anywhere is found.

use serde_json::Value;

use crate::clock::Millis;

/// Appends the canonical JSON form of `value` to `out`.
pub(crate) fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            // serde_json's map may keep insertion order (feature `preserve_order` anywhere in
            // the build turns it on), so sort here rather than rely on it.
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (name, item)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(name, out);
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
    }
}

/// The canonical JSON form of `value`.
pub(crate) fn canonical(value: &Value) -> String {
    let mut out = String::with_capacity(256);
    write_canonical(value, &mut out);
    out
}

/// The bytes [`write_string`] escapes: `"`, `\\` and the controls below U+0020.
static NEEDS_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = true;
        byte += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// Appends `text` as a JSON string literal with the minimal RFC 8259 escaping.
pub(crate) fn write_string(text: &str, out: &mut String) {
    out.push('"');
    // Copy runs of characters that need no escape in one go (most strings are one run); the
    // table makes the common byte one load and one branch instead of a chain of comparisons.
    let mut run_start = 0;
    for (at, byte) in text.bytes().enumerate() {
        if !NEEDS_ESCAPE[usize::from(byte)] {
            continue;
        }
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            0x0c => "\\f",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(&text[run_start..at]);
        if escape.is_empty() {
            out.push_str(&format!("\\u{byte:04x}"));
        } else {
            out.push_str(escape);
        }
        run_start = at + 1;
    }
    out.push_str(&text[run_start..]);
    out.push('"');
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Decodes lower- or upper-case hex; `None` if malformed.
pub(crate) fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    text.as_bytes().chunks(2).map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?)).collect()
}

/// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// (year, month, day) → days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `2026-11-29T07:23:47Z`: CloudTrail's `eventTime` form (whole seconds, UTC).
pub(crate) fn iso8601_seconds(ms: Millis) -> String {
    let seconds = ms.div_euclid(1000);
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let of_day = seconds.rem_euclid(86_400);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", of_day / 3600, of_day % 3600 / 60, of_day % 60)
}

/// Appends [`iso8601_seconds`] of `ms` as a JSON string literal (no allocation: the hot path).
pub(crate) fn write_iso8601_seconds(ms: Millis, out: &mut String) {
    let seconds = ms.div_euclid(1000);
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let of_day = seconds.rem_euclid(86_400);
    if !(0..=9999).contains(&year) {
        // Outside four-digit years the general path prints what `format!` prints.
        write_string(&iso8601_seconds(ms), out);
        return;
    }
    let digits = |value: i64, width: u32, out: &mut String| {
        for place in (0..width).rev() {
            let digit = (value / 10i64.pow(place)) % 10;
            out.push(char::from(b'0' + digit as u8));
        }
    };
    out.push('"');
    digits(year, 4, out);
    out.push('-');
    digits(i64::from(month), 2, out);
    out.push('-');
    digits(i64::from(day), 2, out);
    out.push('T');
    digits(of_day / 3600, 2, out);
    out.push(':');
    digits(of_day % 3600 / 60, 2, out);
    out.push(':');
    digits(of_day % 60, 2, out);
    out.push_str("Z\"");
}

/// `2026-11-29T07:23:47.123Z`: the form of the log's own timestamps (milliseconds, UTC).
pub(crate) fn iso8601_millis(ms: Millis) -> String {
    let base = iso8601_seconds(ms);
    format!("{}.{:03}Z", &base[..base.len() - 1], ms.rem_euclid(1000))
}

/// `20261129T072347Z`: the compact form used in segment file names (sorts by time).
pub(crate) fn compact_time(ms: Millis) -> String {
    iso8601_seconds(ms).replace(['-', ':'], "")
}

/// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SS[.fff]Z` (also without `Z`, read as UTC) into epoch
/// milliseconds; `None` if malformed. Enough for the log's own times and `--since`.
pub fn parse_iso8601(text: &str) -> Option<Millis> {
    let text = text.trim();
    let (date, time) = match text.split_once(['T', 't', ' ']) {
        Some((date, time)) => (date, Some(time.trim_end_matches(['Z', 'z']))),
        None => (text, None),
    };
    let mut parts = date.split('-');
    let year: i64 = parts.next().filter(|p| p.len() == 4)?.parse().ok()?;
    let month: u32 = parts.next().filter(|p| p.len() == 2)?.parse().ok()?;
    let day: u32 = parts.next().filter(|p| p.len() == 2)?.parse().ok()?;
    if parts.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let mut ms = days_from_civil(year, month, day) * 86_400_000;
    if let Some(time) = time {
        let (clock, fraction) = match time.split_once('.') {
            Some((clock, fraction)) => (clock, Some(fraction)),
            None => (time, None),
        };
        let fields: Vec<&str> = clock.split(':').collect();
        let number = |s: &str| -> Option<i64> { s.parse().ok().filter(|_| s.len() == 2) };
        let (h, m, s) = match fields.as_slice() {
            [h, m] => (number(h)?, number(m)?, 0),
            [h, m, s] => (number(h)?, number(m)?, number(s)?),
            _ => return None,
        };
        if h > 23 || m > 59 || s > 60 {
            return None;
        }
        ms += (h * 3600 + m * 60 + s) * 1000;
        if let Some(fraction) = fraction {
            if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let padded = format!("{fraction:0<3}");
            ms += padded[..3].parse::<i64>().ok()?;
        }
    }
    Some(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_sorts_members_and_escapes_minimally() {
        let value: Value = serde_json::from_str(r#"{"b":1,"a":{"z":"x\"y\n\u0001é","c":[true,null]}}"#).unwrap();
        assert_eq!(canonical(&value), r#"{"a":{"c":[true,null],"z":"x\"y\n\u0001é"},"b":1}"#);
        // The canonical form parses back to the same value and is a fixed point.
        let again: Value = serde_json::from_str(&canonical(&value)).unwrap();
        assert_eq!(again, value);
        assert_eq!(canonical(&again), canonical(&value));
    }

    #[test]
    fn strings_are_escaped_like_serde_json() {
        let mut samples: Vec<String> = (0u8..0x80).map(|b| format!("a{}b", char::from(b))).collect();
        samples.push("plain".into());
        samples.push("\"quoted\" \\ back\u{1f}\u{7f}é€😀".into());
        samples.push(String::new());
        for text in samples {
            let mut ours = String::new();
            write_string(&text, &mut ours);
            assert_eq!(ours, serde_json::to_string(&text).unwrap(), "{text:?}");
        }
    }

    #[test]
    fn hex_round_trips() {
        assert_eq!(hex(&[0, 0xab, 0x10]), "00ab10");
        assert_eq!(unhex("00ab10").unwrap(), vec![0, 0xab, 0x10]);
        assert!(unhex("0g").is_none());
        assert!(unhex("abc").is_none());
    }

    #[test]
    fn times_format_and_parse() {
        // 2022-07-14T20:17:42Z, the CloudTrail Encrypt example's time.
        let ms = 1_657_829_862_000;
        assert_eq!(iso8601_seconds(ms), "2022-07-14T20:17:42Z");
        assert_eq!(iso8601_millis(ms + 7), "2022-07-14T20:17:42.007Z");
        assert_eq!(compact_time(ms), "20220714T201742Z");
        assert_eq!(parse_iso8601("2022-07-14T20:17:42Z"), Some(ms));
        assert_eq!(parse_iso8601("2022-07-14T20:17:42.007Z"), Some(ms + 7));
        assert_eq!(parse_iso8601("2022-07-14"), Some(ms - (20 * 3600 + 17 * 60 + 42) * 1000));
        assert_eq!(iso8601_seconds(0), "1970-01-01T00:00:00Z");
        for ms in [0, ms, 253_402_300_799_999, 253_402_300_800_000, -1, 951_782_400_000] {
            let mut direct = String::new();
            write_iso8601_seconds(ms, &mut direct);
            assert_eq!(direct, format!("\"{}\"", iso8601_seconds(ms)), "{ms}");
        }
        assert_eq!(parse_iso8601("2024-02-29T00:00:00Z").map(iso8601_seconds).as_deref(), Some("2024-02-29T00:00:00Z"));
        assert!(parse_iso8601("2022-13-01").is_none());
        assert!(parse_iso8601("yesterday").is_none());
    }
}
