//! `/csat/{case}?t=…&r=good|bad` — the one-click answer from the resolution mail (SPEC §11): the
//! click records the answer, and the page it opens thanks the customer, offers the other answer
//! and a comment (posted back to the same address), and says until when it may be changed.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::Deserialize;
use sportello_domain::csat::{Rating, COMMENT_MAX_CHARS};

use super::{html, internal_error, moment, not_found, Frame, Prefs, Tr};
use crate::app::csat::{answer, Answered};
use crate::app::Error;
use crate::web::{Limit, WebState};

#[derive(Template)]
#[template(path = "pages/csat.html")]
pub struct CsatPage {
    pub frame: Frame,
    pub t: Tr,
    pub case: String,
    pub token: String,
    /// None: the answer was not taken; `refusal` says why.
    pub answered: Option<Answered>,
    pub refusal: Option<String>,
    pub good: bool,
    pub until: String,
    pub comment_max: usize,
    pub status_url: String,
}

#[derive(Deserialize)]
pub struct CsatQuery {
    t: Option<String>,
    r: Option<String>,
    lang: Option<String>,
}

#[derive(Deserialize)]
pub struct CsatForm {
    #[serde(default)]
    t: String,
    #[serde(default)]
    r: String,
    comment: Option<String>,
}

pub async fn show(
    State(state): State<WebState>,
    case: Result<Path<String>, axum::extract::rejection::PathRejection>,
    Query(q): Query<CsatQuery>,
    headers: HeaderMap,
) -> Response {
    let prefs = Prefs::from_query(&headers, q.lang.as_deref()).on_site(&state.app.settings.public_url);
    let Ok(Path(case)) = case else {
        return not_found(&prefs);
    };
    let token = q.t.unwrap_or_default();
    let Some(rating) = q.r.as_deref().and_then(|r| r.parse::<Rating>().ok()) else {
        return not_found(&prefs);
    };
    respond(&state, &prefs, &headers, &case, &token, rating, None).await
}

pub async fn send(
    State(state): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    case: Result<Path<String>, axum::extract::rejection::PathRejection>,
    headers: HeaderMap,
    form: Result<Form<CsatForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let prefs = Prefs::read(&headers, None).on_site(&state.app.settings.public_url);
    let (Ok(Path(case)), Ok(Form(form))) = (case, form) else {
        return not_found(&prefs);
    };
    if let Err(refused) = state.admit(Limit::Status, peer.ip(), &headers) {
        return refused.into_response();
    }
    let Ok(rating) = form.r.parse::<Rating>() else {
        return not_found(&prefs);
    };
    let comment = form.comment.unwrap_or_default();
    respond(&state, &prefs, &headers, &case, &form.t, rating, Some(&comment)).await
}

async fn respond(
    state: &WebState,
    prefs: &Prefs,
    headers: &HeaderMap,
    case: &str,
    token: &str,
    rating: Rating,
    comment: Option<&str>,
) -> Response {
    let t = &prefs.t;
    let (status, answered, refusal) = match answer(&state.app, case, token, rating, comment).await {
        Ok(answered) => (StatusCode::OK, Some(answered), None),
        Err(Error::NotFound) => return not_found(prefs),
        Err(Error::Conflict(c)) => (StatusCode::CONFLICT, None, Some(c.message(t.lang()))),
        Err(Error::Invalid(_)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(t.with("csat-comment-too-long", "max", COMMENT_MAX_CHARS.to_string())),
        ),
        Err(e) => return internal_error(prefs, headers, &e),
    };
    let number = answered
        .as_ref()
        .map_or_else(|| case.to_owned(), |a| a.case_number.clone());
    let until = answered.as_ref().map_or_else(String::new, |a| {
        moment(t, a.changeable_until, state.app.clock.now(), prefs.tz)
    });
    let frame = Frame::new(
        prefs,
        t.msg("csat-title"),
        &format!("/csat/{number}"),
        &[("t", token), ("r", rating.as_str())],
    );
    let page = CsatPage {
        frame,
        t: t.clone(),
        token: token.to_owned(),
        good: answered.as_ref().is_some_and(|a| a.rating == Rating::Good),
        answered,
        refusal,
        until,
        comment_max: COMMENT_MAX_CHARS,
        status_url: format!("/status/{number}?t={token}"),
        case: number,
    };
    html(status, &page, prefs)
}
