//! Formats a catalog may put on its own fields (SPEC §2): a pattern, an e-mail, an E.164 phone, a
//! date-time, an IP address, an amount with its currency, a URL on a given host.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use regex::Regex;

use crate::contact::email::Email;
use crate::contact::phone::Phone;

#[derive(Debug, Clone)]
pub enum FieldFormat {
    /// A regular expression the whole value must match.
    Pattern(Regex),
    Email,
    E164,
    /// RFC 3339, or `YYYY-MM-DD HH:MM[:SS]` read as UTC.
    DateTime,
    /// IPv4 or IPv6.
    Ip,
    /// A decimal amount (at most 2 decimals) with an ISO 4217 currency before or after it.
    Money,
    /// An `http(s)` URL; with `host`, on exactly that host.
    Url {
        host: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the value does not have the expected format")]
pub struct FormatMismatch;

impl FieldFormat {
    /// A pattern anchored at both ends: it describes the whole value.
    pub fn pattern(pattern: &str) -> Result<FieldFormat, regex::Error> {
        regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
            .size_limit(1 << 20)
            .build()
            .map(FieldFormat::Pattern)
    }

    /// The value, normalised, when it has this format.
    pub fn check(&self, value: &str) -> Result<String, FormatMismatch> {
        let value = value.trim();
        let normalised = match self {
            FieldFormat::Pattern(re) => re.is_match(value).then(|| value.to_owned()),
            FieldFormat::Email => Email::parse(value).ok().map(|e| e.as_str().to_owned()),
            FieldFormat::E164 => Phone::parse(value, None).ok().map(|p| p.as_str().to_owned()),
            FieldFormat::DateTime => date_time(value),
            FieldFormat::Ip => value.parse::<std::net::IpAddr>().ok().map(|ip| ip.to_string()),
            FieldFormat::Money => money(value),
            FieldFormat::Url { host } => url(value, host.as_deref()),
        };
        normalised.ok_or(FormatMismatch)
    }
}

fn date_time(value: &str) -> Option<String> {
    let utc = DateTime::parse_from_rfc3339(value)
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            [
                "%Y-%m-%d %H:%M:%S",
                "%Y-%m-%d %H:%M",
                "%Y-%m-%dT%H:%M:%S",
                "%Y-%m-%dT%H:%M",
            ]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(value, f).ok())
            .map(|naive| naive.and_utc())
        })?;
    Some(utc.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// Active ISO 4217 codes.
const CURRENCIES: [&str; 155] = [
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BHD", "BIF",
    "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF", "CLP", "CNY", "COP", "CRC",
    "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS",
    "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD",
    "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL",
    "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MYR", "MZN", "NAD",
    "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD",
    "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SYP", "SZL",
    "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS", "VES", "VND",
    "VUV", "WST", "XAF", "XCD", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWL", "XDR",
];

/// `12.50 EUR`, `EUR 12,50`, `12 usd`, `€ 12,50` → `12.50 EUR`.
fn money(value: &str) -> Option<String> {
    let compact: String = value.split_whitespace().collect::<Vec<_>>().join(" ");
    let symbol = |s: &str| match s {
        "€" => Some("EUR"),
        "$" => Some("USD"),
        "£" => Some("GBP"),
        _ => None,
    };
    let split = |text: &str| -> Option<(String, String)> {
        let amount_end = text.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))?;
        let (amount, rest) = text.split_at(amount_end);
        Some((amount.to_owned(), rest.trim().to_owned()))
    };
    let (amount, currency) = if compact.starts_with(|c: char| c.is_ascii_digit()) {
        split(&compact)?
    } else {
        let at = compact.find(|c: char| c.is_ascii_digit())?;
        let (currency, amount) = compact.split_at(at);
        (amount.trim().to_owned(), currency.trim().to_owned())
    };
    let currency = symbol(&currency)
        .map(str::to_owned)
        .unwrap_or_else(|| currency.to_ascii_uppercase());
    if !CURRENCIES.contains(&currency.as_str()) {
        return None;
    }
    let (units, cents) = match amount.split_once(['.', ',']) {
        Some((u, c)) if !c.is_empty() && c.len() <= 2 && c.bytes().all(|b| b.is_ascii_digit()) => (u, c),
        Some(_) => return None,
        None => (amount.as_str(), ""),
    };
    if units.is_empty() || units.len() > 12 || !units.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(format!("{units}.{cents:0<2} {currency}"))
}

/// `https://host/path` with no credentials before the host (`https://chat.whatsapp.com@evil.example`
/// is evil.example).
fn url(value: &str, expected_host: Option<&str>) -> Option<String> {
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))?;
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.contains('@') {
        return None;
    }
    let host = authority.rsplit_once(':').map_or(authority, |(h, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            authority
        }
    });
    let host_ok = host.contains('.')
        && host
            .split('.')
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-'));
    let on_host = expected_host.is_none_or(|h| host.eq_ignore_ascii_case(h));
    (host_ok && on_host).then(|| value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(format: &FieldFormat, value: &str) -> String {
        format.check(value).unwrap()
    }

    #[test]
    fn patterns_match_the_whole_value() {
        let id = FieldFormat::pattern("WA[0-9]{9}").unwrap();
        assert_eq!(ok(&id, " WA123456789 "), "WA123456789");
        for bad in ["WA12345", "WA1234567890", "xWA123456789", "wa123456789"] {
            assert!(id.check(bad).is_err(), "{bad}");
        }
        let code = FieldFormat::pattern("WA-[0-9]{3}").unwrap();
        assert!(code.check("WA-403").is_ok());
        assert!(code.check("WA-4031").is_err());
        assert!(FieldFormat::pattern("(").is_err());
    }

    #[test]
    fn e164_and_email() {
        assert_eq!(ok(&FieldFormat::E164, "+39 345 123 4567"), "+393451234567");
        assert!(FieldFormat::E164.check("345 1234567").is_err());
        assert_eq!(ok(&FieldFormat::Email, "a@Example.COM"), "a@example.com");
        assert!(FieldFormat::Email.check("a@b").is_err());
    }

    #[test]
    fn date_times() {
        assert_eq!(
            ok(&FieldFormat::DateTime, "2026-11-20T14:30:00+01:00"),
            "2026-11-20T13:30:00Z"
        );
        assert_eq!(ok(&FieldFormat::DateTime, "2026-11-20 14:30"), "2026-11-20T14:30:00Z");
        assert_eq!(ok(&FieldFormat::DateTime, "2026-11-20T14:30"), "2026-11-20T14:30:00Z");
        for bad in ["ieri sera", "2026-13-01 10:00", "2026-11-20", "14:30"] {
            assert!(FieldFormat::DateTime.check(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ip_addresses() {
        assert_eq!(ok(&FieldFormat::Ip, "192.0.2.1"), "192.0.2.1");
        assert_eq!(ok(&FieldFormat::Ip, "2001:DB8:0:0::1"), "2001:db8::1");
        for bad in ["256.1.1.1", "192.0.2", "localhost", "::g"] {
            assert!(FieldFormat::Ip.check(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn money_amounts_need_an_iso_currency() {
        for (input, expected) in [
            ("12.50 EUR", "12.50 EUR"),
            ("EUR 12,50", "12.50 EUR"),
            ("12 usd", "12.00 USD"),
            ("€ 3,5", "3.50 EUR"),
            ("1000 JPY", "1000.00 JPY"),
        ] {
            assert_eq!(ok(&FieldFormat::Money, input), expected, "{input}");
        }
        for bad in [
            "12.50",
            "dodici euro",
            "12.505 EUR",
            "12,50 EUX",
            "EUR",
            "1.000.000 EUR",
            "-5 EUR",
        ] {
            assert!(FieldFormat::Money.check(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn urls_on_the_expected_host() {
        let group = FieldFormat::Url {
            host: Some("chat.whatsapp.com".into()),
        };
        assert!(group.check("https://chat.whatsapp.com/AbC123xyz").is_ok());
        assert!(group.check("https://CHAT.whatsapp.com/AbC").is_ok());
        for bad in [
            "https://evil.example/chat.whatsapp.com",
            "https://chat.whatsapp.com@evil.example/x",
            "https://chat.whatsapp.com.evil.example/x",
            "chat.whatsapp.com/AbC",
            "ftp://chat.whatsapp.com/AbC",
            "https://chat.whatsapp.com/a b",
        ] {
            assert!(group.check(bad).is_err(), "{bad}");
        }
        let any = FieldFormat::Url { host: None };
        assert!(any.check("http://example.org:8080/x?y#z").is_ok());
        assert!(any.check("https://nodot/x").is_err());
    }
}
