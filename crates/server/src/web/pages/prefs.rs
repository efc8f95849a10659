//! What a page knows of its reader — language, time zone — and the double-submit CSRF secret, all
//! carried in cookies.

use std::str::FromStr;

use axum::http::{header, HeaderMap, HeaderValue};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use chrono_tz::Tz;
use cookie::time::Duration as CookieAge;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use subtle::ConstantTimeEq;

use super::Tr;
use crate::i18n::Lang;

/// What a page knows of its reader: language, time zone, and the CSRF secret of the session.
#[derive(Debug, Clone)]
pub struct Prefs {
    pub t: Tr,
    pub tz: Option<Tz>,
    csrf: String,
    /// The CSRF cookie came with the request (a form may be checked against it).
    csrf_sent: bool,
    /// `?lang=` chose a language: remember it in a cookie.
    remember_language: bool,
    /// The site is served over HTTPS: cookies are `Secure`.
    secure: bool,
}

impl Prefs {
    /// Language: `explicit` (`?lang=` or the form's `language`) > cookie `lang` >
    /// `Accept-Language` > English.
    pub fn read(headers: &HeaderMap, explicit: Option<&str>) -> Prefs {
        let accept = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let jar = CookieJar::from_headers(headers);
        let cookie = |name: &str| jar.get(name).map(Cookie::value);
        let lang = Lang::negotiate(
            explicit
                .into_iter()
                .chain(cookie("lang"))
                .chain(Lang::from_accept_language(accept)),
        );
        let tz = cookie("tz").and_then(|v| Tz::from_str(v).ok());
        let (csrf, csrf_sent) = match cookie("csrf").filter(|v| is_token(v)) {
            Some(v) => (v.to_owned(), true),
            None => (new_token(), false),
        };
        Prefs {
            t: Tr(lang),
            tz,
            csrf,
            csrf_sent,
            remember_language: false,
            secure: false,
        }
    }

    /// Cookies are `Secure` when the public URL is `https://` (behind a proxy the request itself
    /// may not tell).
    pub fn on_site(mut self, public_url: &str) -> Prefs {
        self.secure = public_url.starts_with("https://");
        self
    }

    /// As [`Prefs::read`], and a language given in `?lang=` is kept in a cookie.
    pub fn from_query(headers: &HeaderMap, lang: Option<&str>) -> Prefs {
        let mut prefs = Prefs::read(headers, lang);
        prefs.remember_language = lang.is_some_and(|wanted| {
            Lang::negotiate([wanted]).code() == wanted.split(['-', '_']).next().unwrap_or("").to_ascii_lowercase()
        });
        prefs
    }

    pub fn code(&self) -> String {
        self.t.lang().code()
    }

    /// The value every form of the page carries.
    pub fn csrf(&self) -> &str {
        &self.csrf
    }

    /// Double-submit check: the form's token equals the cookie's, and the cookie came with the
    /// request (SameSite=Strict, so another site cannot make the browser send it).
    pub fn csrf_ok(&self, sent: Option<&str>) -> bool {
        self.csrf_sent && sent.is_some_and(|s| bool::from(s.as_bytes().ct_eq(self.csrf.as_bytes())))
    }

    /// The cookies this response must set.
    pub(super) fn cookies(&self) -> Vec<HeaderValue> {
        let mut out = Vec::new();
        if !self.csrf_sent {
            let csrf = Cookie::build(("csrf", self.csrf.clone()))
                .path("/")
                .http_only(true)
                .same_site(SameSite::Strict)
                .secure(self.secure);
            out.extend(HeaderValue::from_str(&csrf.to_string()).ok());
        }
        if self.remember_language {
            // Lax: a status link opened from the mail keeps its language.
            let lang = Cookie::build(("lang", self.code()))
                .path("/")
                .max_age(CookieAge::days(365))
                .same_site(SameSite::Lax)
                .secure(self.secure);
            out.extend(HeaderValue::from_str(&lang.to_string()).ok());
        }
        out
    }

    /// The page's CSRF secret, for MACs that bind something to this browser.
    pub(super) fn csrf_secret(&self) -> &[u8] {
        self.csrf.as_bytes()
    }
}

/// Everything but the unreserved characters of RFC 3986 as `%XX` (for links this code builds).
pub fn percent_encode(value: &str) -> String {
    const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
    utf8_percent_encode(value, COMPONENT).to_string()
}

fn new_token() -> String {
    use base64::Engine as _;
    let bits: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bits)
}

fn is_token(value: &str) -> bool {
    value.len() == 43
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_and_time_zones_are_read_defensively() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; tz=Europe%2FRome; lang=it"),
        );
        let prefs = Prefs::read(&headers, None);
        assert_eq!(prefs.tz, Some(chrono_tz::Europe::Rome));
        assert_eq!(prefs.code(), "it");
        // No CSRF cookie came: a fresh one is made, and no form can pass against it.
        assert!(!prefs.csrf_ok(Some(prefs.csrf())));
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("tz=Mars%2FOlympus; csrf=short"),
        );
        let prefs = Prefs::read(&headers, Some("en"));
        assert_eq!(prefs.tz, None);
        assert!(is_token(prefs.csrf()));
    }

    #[test]
    fn cookies_are_secure_on_an_https_site() {
        let headers = HeaderMap::new();
        let plain = Prefs::read(&headers, None).on_site("http://localhost:8080").cookies();
        assert!(plain.iter().all(|c| !c.to_str().unwrap().contains("Secure")));
        let secure = Prefs::from_query(&headers, Some("it"))
            .on_site("https://help.example")
            .cookies();
        assert_eq!(secure.len(), 2);
        assert!(
            secure.iter().all(|c| c.to_str().unwrap().contains("; Secure")),
            "{secure:?}"
        );
        let csrf = secure[0].to_str().unwrap();
        assert!(
            csrf.contains("HttpOnly") && csrf.contains("SameSite=Strict") && csrf.contains("Path=/"),
            "{csrf}"
        );
        let lang = secure[1].to_str().unwrap();
        assert!(
            lang.starts_with("lang=it") && lang.contains("Max-Age=31536000") && lang.contains("SameSite=Lax"),
            "{lang}"
        );
    }
}
