//! Small helpers shared by both stand-ins: randomness, IDs, base64, percent-decoding and dates.
//!
//! Dates are done by hand (civil-from-days arithmetic) so the stand-in needs no date crate and
//! cannot share a date bug with the provider, which may use one.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::rngs::OsRng;
use rand::RngCore as _;
use sha2::Digest as _;
use std::time::{SystemTime, UNIX_EPOCH};

/// `n` bytes from the operating system's CSPRNG.
pub fn rand_bytes(n: usize) -> Vec<u8> {
    let mut b = vec![0u8; n];
    OsRng.fill_bytes(&mut b);
    b
}

/// Lowercase hex of `n` random bytes (so `2 * n` characters).
pub fn rand_hex(n: usize) -> String {
    hex(&rand_bytes(n))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Strict base64url without padding, as JOSE requires.
pub fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s).ok()
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex(&sha2::Sha256::digest(data))
}

/// Current time as (seconds, nanoseconds) since the Unix epoch.
pub fn now() -> (i64, u32) {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    (d.as_secs() as i64, d.subsec_nanos())
}

pub fn now_secs() -> i64 {
    now().0
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A KSUID: 4 bytes of seconds since 2014-05-13 plus 16 random bytes, base62, 27 characters.
/// ConductorOne object IDs (`2rSHEoPoq5CS89JAUevDbYBS3uA`) have this shape, and they sort by time.
pub fn ksuid() -> String {
    let ts = (now_secs() - 1_400_000_000).clamp(0, u32::MAX as i64) as u32;
    let mut raw = ts.to_be_bytes().to_vec();
    raw.extend(rand_bytes(16));
    // Base62 of a 160-bit big-endian number by repeated division.
    let mut digits = Vec::with_capacity(27);
    let mut num = raw;
    while num.iter().any(|&b| b != 0) {
        let mut rem = 0u32;
        for b in num.iter_mut() {
            let acc = (rem << 8) | *b as u32;
            *b = (acc / 62) as u8;
            rem = acc % 62;
        }
        digits.push(BASE62[rem as usize]);
    }
    while digits.len() < 27 {
        digits.push(b'0');
    }
    digits.reverse();
    String::from_utf8(digits).expect("base62 is ASCII")
}

/// A ULID (48-bit milliseconds + 80 random bits, Crockford base32), the shape of the request IDs
/// that ConductorOne prints in error messages (`01H…`).
pub fn ulid() -> String {
    const CROCKFORD: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let (s, n) = now();
    let ms = (s as u128) * 1000 + (n / 1_000_000) as u128;
    let mut rnd = [0u8; 16];
    OsRng.fill_bytes(&mut rnd);
    let value = (ms << 80) | (u128::from_be_bytes(rnd) >> 48);
    (0..26)
        .rev()
        .map(|i| CROCKFORD[((value >> (i * 5)) & 31) as usize] as char)
        .collect()
}

/// Percent-decoding as `application/x-www-form-urlencoded` does it (`+` is a space). Used for the
/// parts of an HTTP Basic header, which OAuth2 clients form-encode before base64 (RFC 6749 §2.3.1).
pub fn form_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex_val(b[i + 1]), hex_val(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_val(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Parses `a=1&b=2` (already split from the URL) into ordered pairs, decoded.
pub fn parse_form(raw: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw).into_owned().collect()
}

// ---- calendar arithmetic (proleptic Gregorian, Howard Hinnant's algorithms) ----

pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

fn split_secs(secs: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    (
        y,
        m,
        d,
        (rem / 3600) as u32,
        (rem % 3600 / 60) as u32,
        (rem % 60) as u32,
    )
}

/// RFC 3339 in UTC as protobuf's JSON mapping prints a Timestamp: the fraction has 9, 6 or 3
/// digits, or none, whichever is shortest without losing precision
/// (`2026-11-28T16:40:00.123456789Z`, `2026-11-28T16:40:00.120Z`, `2026-11-28T16:40:00Z`).
pub fn rfc3339_nanos(secs: i64, nanos: u32) -> String {
    let (y, mo, d, h, mi, s) = split_secs(secs);
    let frac = if nanos == 0 {
        String::new()
    } else if nanos.is_multiple_of(1_000_000) {
        format!(".{:03}", nanos / 1_000_000)
    } else if nanos.is_multiple_of(1_000) {
        format!(".{:06}", nanos / 1_000)
    } else {
        format!(".{nanos:09}")
    };
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{frac}Z")
}

/// `2023-02-01T10:00:00-08:00`: Coupa prints datetimes in the instance's zone. The stand-in's
/// instance is in US Pacific time (PST/PDT with the US rules since 2007).
pub fn coupa_datetime(secs: i64) -> String {
    let offset = pacific_offset(secs);
    let (y, mo, d, h, mi, s) = split_secs(secs + offset);
    let sign = if offset < 0 { '-' } else { '+' };
    let oh = offset.abs() / 3600;
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{sign}{oh:02}:00")
}

/// UTC offset in seconds of US Pacific time at the instant `secs`.
fn pacific_offset(secs: i64) -> i64 {
    let (y, _, _, _, _, _) = split_secs(secs);
    // DST runs from the second Sunday of March, 02:00 PST, to the first Sunday of November, 02:00 PDT.
    let nth_sunday = |month: u32, n: i64| {
        let first = days_from_civil(y, month, 1);
        let weekday = (first + 4).rem_euclid(7); // 0 = Sunday; 1970-01-01 was a Thursday
        first + (7 - weekday) % 7 + 7 * (n - 1)
    };
    let start = nth_sunday(3, 2) * 86_400 + 10 * 3600; // 02:00 PST = 10:00 UTC
    let end = nth_sunday(11, 1) * 86_400 + 9 * 3600; // 02:00 PDT = 09:00 UTC
    if secs >= start && secs < end {
        -7 * 3600
    } else {
        -8 * 3600
    }
}

/// Parses the ISO 8601 forms Coupa accepts in filters: `2024-01-02`, `2024-01-02T03:04:05`,
/// with optional fraction and `Z`/`±HH:MM`/`±HHMM`. A date alone is midnight UTC; a datetime
/// without a zone is taken as UTC. Returns seconds since the epoch.
pub fn parse_iso8601(s: &str) -> Option<i64> {
    let s = s.trim();
    let num = |t: &str| -> Option<i64> {
        if t.is_empty() || !t.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    let (date, rest) = match s.find(['T', 't', ' ']) {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    };
    let mut dp = date.split('-');
    let (y, m, d) = (num(dp.next()?)?, num(dp.next()?)?, num(dp.next()?)?);
    if dp.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let mut secs = days_from_civil(y, m as u32, d as u32) * 86_400;
    if rest.is_empty() {
        return Some(secs);
    }
    let zone_at = rest.find(['Z', 'z', '+', '-']).unwrap_or(rest.len());
    let (time, zone) = rest.split_at(zone_at);
    let time = time.split('.').next()?;
    let mut tp = time.split(':');
    let h = num(tp.next()?)?;
    let mi = num(tp.next()?)?;
    let sec = match tp.next() {
        Some(t) => num(t)?,
        None => 0,
    };
    if h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    secs += h * 3600 + mi * 60 + sec;
    match zone {
        "" | "Z" | "z" => {}
        z => {
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let digits: String = z[1..].chars().filter(|c| *c != ':').collect();
            if digits.len() != 4 {
                return None;
            }
            let off = num(&digits[..2])? * 3600 + num(&digits[2..])? * 60;
            secs -= sign * off;
        }
    }
    Some(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_real_shapes() {
        let k = ksuid();
        assert_eq!(k.len(), 27);
        assert!(k.bytes().all(|c| c.is_ascii_alphanumeric()));
        assert!(
            k.as_str() > "2",
            "KSUIDs made after 2017 start with 2 or more: {k}"
        );
        let u = ulid();
        assert_eq!(u.len(), 26);
        assert!(u.starts_with('0'), "{u}");
    }

    #[test]
    fn dates_round_trip() {
        assert_eq!(rfc3339_nanos(0, 5), "1970-01-01T00:00:00.000000005Z");
        assert_eq!(
            rfc3339_nanos(1_795_884_000, 120_000_000),
            "2026-11-28T16:40:00.120Z"
        );
        assert_eq!(rfc3339_nanos(1_795_884_000, 0), "2026-11-28T16:40:00Z");
        let t = parse_iso8601("2023-02-01T10:00:00-08:00").unwrap();
        assert_eq!(coupa_datetime(t), "2023-02-01T10:00:00-08:00");
        let t = parse_iso8601("2024-05-03T09:12:44-07:00").unwrap();
        assert_eq!(coupa_datetime(t), "2024-05-03T09:12:44-07:00");
        assert_eq!(
            parse_iso8601("2024-01-02"),
            parse_iso8601("2024-01-02T00:00:00Z")
        );
        assert_eq!(
            parse_iso8601("2024-01-02T08:00:00+0800"),
            parse_iso8601("2024-01-02T00:00:00.5Z")
        );
        assert_eq!(parse_iso8601("2024-13-02"), None);
        assert_eq!(parse_iso8601("yesterday"), None);
    }

    #[test]
    fn form_decoding_handles_plus_and_percent() {
        assert_eq!(form_decode("a%3Ab+c%2B%25"), "a:b c+%");
        assert_eq!(form_decode("100%"), "100%");
        assert_eq!(form_decode("%zz"), "%zz");
    }
}
