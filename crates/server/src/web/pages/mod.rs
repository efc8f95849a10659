//! The customer's pages (issue 4): the request form, its confirmation and the status page,
//! server-rendered from askama view structs (STYLE rule 20) and complete without JavaScript; one
//! small script (`static/app.js`) only adds live hints. Shared by the pages: messages and due times
//! in words (here), the reader's preferences and CSRF (`prefs`), the frame and error pages
//! (`frame`), files kept across a refused submit (`kept`), and the static assets with the
//! security headers (`assets`). Posted bodies are read by `web::posted`, as the API reads them.

mod assets;
pub mod confirmation;
pub mod csat;
pub mod form;
mod frame;
pub mod help;
mod kept;
mod prefs;
pub mod status;

pub use assets::{secure, CSP};
pub use frame::{as_page, error_page, html, internal_error, not_found, request_id, see_other, Frame, LanguageLink};
pub use kept::{keep, restore, Kept};
pub use prefs::{percent_encode, Prefs};

use axum::http::{header, HeaderMap};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;
use sportello_domain::problem::Problem;

use super::error::{problem_message, AppError};
use super::WebState;
use crate::i18n::Lang;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/", get(form::show).post(form::send))
        .layer(axum::extract::DefaultBodyLimit::max(crate::web::posted::BODY_LIMIT))
        .route("/confirmation/{case}", get(confirmation::show))
        .route("/merged/{case}", get(confirmation::merged))
        .route("/csat/{case}", get(csat::show).post(csat::send))
        .route("/help", get(help::home))
        .route("/help/{slug}", get(help::article))
        .route("/static/{file}", get(assets::asset))
        // Any other address: the not-found error (a page for browsers, JSON for the others).
        .fallback(|| async { AppError::NotFound })
}

/// A value longer than this is not shown back in full (it is refused as too long anyway).
const SHOWN_MAX_CHARS: usize = 20_000;

/// A value as shown back in a form.
pub fn shown(value: &str) -> String {
    value.chars().take(SHOWN_MAX_CHARS).collect()
}

// ---------------------------------------------------------------------------------------------
// Messages

/// Messages of one language, for templates: `{{ t.msg("form-title") }}`.
#[derive(Debug, Clone)]
pub struct Tr(Lang);

impl Tr {
    pub fn new(lang: Lang) -> Tr {
        Tr(lang)
    }

    pub fn lang(&self) -> &Lang {
        &self.0
    }

    pub fn msg(&self, id: &str) -> String {
        self.0.message(id, &[])
    }

    pub fn with(&self, id: &str, name: &'static str, value: impl ToString) -> String {
        self.0.message(id, &[(name, value.to_string())])
    }

    pub fn args(&self, id: &str, args: &[(&'static str, String)]) -> String {
        self.0.message(id, args)
    }

    pub fn problem(&self, problem: &Problem) -> String {
        problem_message(problem, &self.0)
    }
}

/// "by Monday at 20:00 (Europe/Rome time)": a due time in words, in the reader's time zone, or
/// in UTC (and saying so) when the browser did not tell its zone.
pub fn due_in_words(t: &Tr, due: DateTime<Utc>, now: DateTime<Utc>, tz: Option<Tz>) -> String {
    format!(
        "{} ({})",
        t.with("due-by", "when", moment(t, due, now, tz)),
        zone_note(t, tz)
    )
}

/// "today at 14:30", "Monday at 20:00", "Monday 7 December at 20:00".
pub fn moment(t: &Tr, at: DateTime<Utc>, now: DateTime<Utc>, tz: Option<Tz>) -> String {
    let zone = tz.unwrap_or(Tz::UTC);
    let local = at.with_timezone(&zone);
    let days = (local.date_naive() - now.with_timezone(&zone).date_naive()).num_days();
    let time = local.format("%H:%M").to_string();
    let day = t.msg(&format!("day-{}", local.weekday().number_from_monday()));
    match days {
        0 => t.with("due-today", "time", time),
        1 => t.with("due-tomorrow", "time", time),
        2..=6 => t.args("due-weekday", &[("day", day), ("time", time)]),
        _ => {
            let date = t.args(
                "date-format",
                &[
                    ("day", local.day().to_string()),
                    ("month", t.msg(&format!("month-{}", local.month()))),
                ],
            );
            t.args("due-date", &[("day", day), ("date", date), ("time", time)])
        }
    }
}

pub fn zone_note(t: &Tr, tz: Option<Tz>) -> String {
    match tz {
        Some(zone) => t.with("due-zone", "zone", zone.name()),
        None => t.msg("due-zone-utc"),
    }
}

/// Whether the client asked for a page rather than JSON (browsers always name `text/html`).
pub fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn due_times_read_as_words_in_the_readers_zone() {
        let en = Tr::new(Lang::english());
        let it = Tr::new(Lang::negotiate(["it"]));
        let rome = Some(chrono_tz::Europe::Rome);
        // Friday 27 November 2026, 20:00 UTC; due Monday 30 November 20:00 UTC.
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 20, 0, 0).unwrap();
        let due = Utc.with_ymd_and_hms(2026, 11, 30, 20, 0, 0).unwrap();
        assert_eq!(
            due_in_words(&en, due, now, rome),
            "by Monday at 21:00 (Europe/Rome time)"
        );
        assert_eq!(
            due_in_words(&it, due, now, rome),
            "entro lunedì alle 21:00 (ora di Europe/Rome)"
        );
        assert!(due_in_words(&en, due, now, None).starts_with("by Monday at 20:00 (UTC"));
        let soon = Utc.with_ymd_and_hms(2026, 11, 28, 2, 0, 0).unwrap();
        assert_eq!(moment(&en, soon, now, rome), "tomorrow at 03:00");
        let later = Utc.with_ymd_and_hms(2026, 12, 9, 9, 5, 0).unwrap();
        assert_eq!(moment(&it, later, now, rome), "mercoledì 9 dicembre alle 10:05");
    }

    /// The ids of a Fluent file (`id = …` at the start of a line).
    fn ids_in(path: &std::path::Path) -> std::collections::BTreeSet<String> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once(" = ").map(|(id, _)| id))
            .filter(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .map(ToOwned::to_owned)
            .collect()
    }

    /// Every id of every `.ftl` file of one language's folder (a language may be one file).
    fn ids_of(lang: &str) -> std::collections::BTreeSet<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("locales")
            .join(lang);
        std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == "ftl"))
            .flat_map(|path| ids_in(&path))
            .collect()
    }

    #[test]
    fn every_language_has_every_message_of_english() {
        let english = ids_of("en");
        assert!(english.len() > 150, "{} ids", english.len());
        for lang in Lang::available() {
            let theirs = ids_of(&lang.code());
            let missing: Vec<_> = english.difference(&theirs).collect();
            let unknown: Vec<_> = theirs.difference(&english).collect();
            assert!(
                missing.is_empty() && unknown.is_empty(),
                "{}: missing {missing:?}, unknown {unknown:?}",
                lang.code()
            );
        }
    }

    #[test]
    fn every_message_the_pages_use_exists_in_italian_and_english() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut sources = Vec::new();
        for dir in ["templates/pages", "src/web/pages"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                sources.push(std::fs::read_to_string(entry.unwrap().path()).unwrap());
            }
        }
        // Literal ids: every `("…"` whose first word names one of the pages' message families.
        let families = [
            "back",
            "bad",
            "choose",
            "confirm",
            "copied",
            "copy",
            "date",
            "day",
            "due",
            "email",
            "error",
            "field",
            "file",
            "form",
            "hint",
            "kept",
            "language",
            "month",
            "not",
            "optional",
            "phone",
            "recommended",
            "required",
            "scam",
            "site",
            "skip",
            "status",
            "too",
            "use",
        ];
        let mut used: std::collections::BTreeSet<String> = sources
            .iter()
            .flat_map(|s| s.split("(\"").skip(1))
            .filter_map(|rest| rest.split('"').next())
            .filter(|id| {
                id.contains('-')
                    && id
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
            })
            .filter(|id| families.contains(&id.split('-').next().unwrap_or("")))
            .map(ToOwned::to_owned)
            .collect();
        assert!(used.len() > 50, "the scan found {} ids", used.len());
        // Ids built at run time.
        used.extend((1..=7).map(|d| format!("day-{d}")));
        used.extend((1..=12).map(|m| format!("month-{m}")));
        used.extend(
            sportello_domain::case::Status::ALL
                .iter()
                .map(|s| format!("status-{s}")),
        );
        for id in [
            "category",
            "subcategory",
            "name",
            "email",
            "phone",
            "country",
            "description",
            "device",
            "urgent",
            "attachment",
        ] {
            used.insert(format!("field-{id}"));
        }
        for lang in [Lang::english(), Lang::negotiate(["it"])] {
            for id in &used {
                let args = [
                    "value",
                    "case",
                    "when",
                    "day",
                    "date",
                    "time",
                    "month",
                    "zone",
                    "request_id",
                    "max",
                ];
                let text = lang.message(id, &args.map(|a| (a, "x".to_owned())));
                assert_ne!(&text, id, "{id} is missing in {}", lang.code());
            }
        }
    }
}
