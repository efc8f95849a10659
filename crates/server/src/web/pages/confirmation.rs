//! `/confirmation/{case}?t=…` — where the form leads after a submit (post/redirect/get, so a
//! reload sends nothing twice): the case number, the first answer's time in the reader's zone and
//! in words, what is missing and how to add it, the status link, and the warning against fake
//! support (issue 4, SPEC §5's confirmation in a page).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use sportello_domain::problem::WarningCode;

use super::{due_in_words, html, internal_error, moment, not_found, Frame, Prefs, Tr};
use crate::app::status::by_link;
use crate::app::Error;
use crate::web::WebState;

#[derive(Template)]
#[template(path = "pages/confirmation.html")]
pub struct ConfirmationPage {
    pub frame: Frame,
    pub t: Tr,
    pub case: String,
    pub first_response: String,
    /// The live estimate (SPEC §11), when it differs from the target.
    pub expected: Option<String>,
    pub missing: Vec<String>,
    /// Accepted-with-a-caveat notes (SPEC §3.2), other than what is missing.
    pub warnings: Vec<String>,
    pub status_url: String,
}

#[derive(Deserialize)]
pub struct ConfirmationQuery {
    t: Option<String>,
    lang: Option<String>,
}

/// After a request went into the contact's open case (SPEC §3.3): its number, and where its link
/// went — never the link itself, which only the case's address receives.
#[derive(Template)]
#[template(path = "pages/merged.html")]
pub struct MergedPage {
    pub frame: Frame,
    pub t: Tr,
    pub case: String,
}

pub async fn merged(
    State(state): State<WebState>,
    case: Result<Path<String>, axum::extract::rejection::PathRejection>,
    Query(q): Query<ConfirmationQuery>,
    headers: HeaderMap,
) -> Response {
    let prefs = Prefs::from_query(&headers, q.lang.as_deref()).on_site(&state.app.settings.public_url);
    // Only a well-formed number is shown back; the page says nothing about whether it exists.
    let Some(number) = case
        .ok()
        .and_then(|Path(c)| state.app.catalog.case_prefix().parse(&c).ok())
    else {
        return not_found(&prefs);
    };
    let number = number.to_string();
    let page = MergedPage {
        frame: Frame::new(&prefs, prefs.t.msg("confirm-title"), &format!("/merged/{number}"), &[]).warned(),
        t: prefs.t.clone(),
        case: number,
    };
    html(StatusCode::OK, &page, &prefs)
}

pub async fn show(
    State(state): State<WebState>,
    case: Result<Path<String>, axum::extract::rejection::PathRejection>,
    Query(q): Query<ConfirmationQuery>,
    headers: HeaderMap,
) -> Response {
    let prefs = Prefs::from_query(&headers, q.lang.as_deref()).on_site(&state.app.settings.public_url);
    let token = q.t.unwrap_or_default();
    let Ok(Path(case)) = case else {
        return not_found(&prefs);
    };
    let status = match by_link(&state.app, &case, &token).await {
        Ok(status) => status,
        Err(Error::NotFound) => return not_found(&prefs),
        Err(e) => return internal_error(&prefs, &headers, &e),
    };
    let t = &prefs.t;
    let code = prefs.code();
    let category = state.app.catalog.category(&status.category);
    let missing = status
        .missing
        .iter()
        .map(|id| {
            category
                .and_then(|c| c.field(id))
                .map_or_else(|| id.clone(), |f| f.label.get(&code).to_owned())
        })
        .collect();
    let warnings = status
        .warnings
        .iter()
        .filter(|w| **w != WarningCode::MissingRecommended)
        .map(|w| t.msg(&format!("warning-{}", w.as_str())))
        .collect();
    let number = status.case_number.to_string();
    let mut frame = Frame::new(
        &prefs,
        t.msg("confirm-title"),
        &format!("/confirmation/{number}"),
        &[("t", token.as_str())],
    )
    .warned();
    frame.tz_reload = prefs.tz.is_none();
    let page = ConfirmationPage {
        frame,
        t: t.clone(),
        first_response: due_in_words(t, status.first_response_due, state.app.clock.now(), prefs.tz),
        expected: status
            .expected_first_response
            .filter(|e| (*e - status.first_response_due).num_minutes().abs() >= 1)
            .map(|e| {
                t.with(
                    "confirm-expected",
                    "when",
                    moment(t, e, state.app.clock.now(), prefs.tz),
                )
            }),
        missing,
        warnings,
        status_url: format!("/status/{number}?t={token}"),
        case: number,
    };
    html(StatusCode::OK, &page, &prefs)
}
