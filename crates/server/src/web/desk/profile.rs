//! `/desk/profile` (SPEC §6): an agent's name, language, time zone and password, where they are
//! signed in (with "sign out everywhere"), and their API tokens (a new one shown once).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sportello_domain::access::Scope;

use super::{Checked, DeskFrame};
use crate::app::agents;
use crate::i18n::Lang;
use crate::web::error::AppError;
use crate::web::extract::DeskAgent;
use crate::web::pages::{html, moment, see_other};
use crate::web::WebState;

#[derive(Template)]
#[template(path = "desk/profile.html")]
struct ProfilePage {
    frame: DeskFrame,
    notice: Option<String>,
    new_token: Option<String>,
    name: String,
    language: String,
    languages: Vec<(String, String)>,
    time_zone: String,
    sessions: Vec<String>,
    tokens: Vec<(i64, String)>,
    totp_on: bool,
    paused: bool,
    out_of_office: bool,
    enrolment: Option<crate::app::totp::Enrolment>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Done {
    done: Option<String>,
}

async fn page(state: &WebState, me: &DeskAgent, notice: Option<String>, new_token: Option<String>) -> Response {
    let t = &me.prefs.t;
    // Read again: the page may follow a change to the authenticator.
    let agent = match state.app.store.agent(me.agent.id).await {
        Ok(Some(a)) => a,
        Ok(None) => return AppError::NotFound.into_response(),
        Err(e) => return AppError::from(crate::app::Error::Store(e)).into_response(),
    };
    let enrolment = match (&agent.totp_secret, &agent.totp_pending) {
        (None, Some(_)) => match crate::app::totp::start(&state.app, &me.principal, &agent).await {
            Ok(e) => Some(e),
            Err(e) => return AppError::from_app(e, t.lang()).into_response(),
        },
        _ => None,
    };
    let now = state.app.clock.now();
    let (sessions, tokens) = match (
        state.app.store.sessions_of(me.agent.id).await,
        state.app.store.tokens_of(me.agent.id).await,
    ) {
        (Ok(s), Ok(t)) => (s, t),
        (Err(e), _) | (_, Err(e)) => return AppError::from(crate::app::Error::Store(e)).into_response(),
    };
    let page = ProfilePage {
        frame: DeskFrame::new(&me.prefs, t.msg("desk-profile"), Some(&me.agent)),
        notice,
        new_token,
        name: me.agent.name.clone(),
        language: me.agent.language.clone(),
        languages: Lang::available()
            .into_iter()
            .map(|l| (l.code(), l.message("language-name", &[])))
            .collect(),
        time_zone: me.agent.time_zone.clone(),
        sessions: sessions
            .iter()
            .map(|s| {
                format!(
                    "{} · {}",
                    s.ip.as_deref().unwrap_or("?"),
                    moment(t, s.last_seen_at, now, me.prefs.tz)
                )
            })
            .collect(),
        tokens: tokens
            .iter()
            .map(|k| {
                let used = k
                    .last_used_at
                    .map_or_else(|| t.msg("desk-never"), |at| moment(t, at, now, me.prefs.tz));
                (k.id, format!("{} ({}) · {used}", k.name, k.scope))
            })
            .collect(),
        totp_on: agent.totp_secret.is_some(),
        paused: agent.paused,
        out_of_office: agent.out_of_office,
        enrolment,
    };
    html(StatusCode::OK, &page, &me.prefs)
}

pub async fn totp_start(State(state): State<WebState>, me: DeskAgent, _checked: Checked) -> Response {
    match crate::app::totp::start(&state.app, &me.principal, &me.agent).await {
        Ok(_) => see_other("/desk/profile#authenticator"),
        Err(e) => AppError::from_app(e, me.prefs.t.lang()).into_response(),
    }
}

pub async fn totp_confirm(State(state): State<WebState>, me: DeskAgent, Checked(form): Checked) -> Response {
    match crate::app::totp::confirm(
        &state.app,
        &me.principal,
        &me.agent,
        form.text("totp").unwrap_or_default(),
    )
    .await
    {
        Ok(()) => see_other("/desk/profile?done=totp"),
        Err(e) => AppError::from_app(e, me.prefs.t.lang()).into_response(),
    }
}

pub async fn totp_off(State(state): State<WebState>, me: DeskAgent, Checked(form): Checked) -> Response {
    match crate::app::totp::disable(
        &state.app,
        &me.principal,
        &me.agent,
        form.text("current_password").unwrap_or_default(),
    )
    .await
    {
        Ok(()) => see_other("/desk/profile?done=totpoff"),
        Err(e) => AppError::from_app(e, me.prefs.t.lang()).into_response(),
    }
}

pub async fn show(State(state): State<WebState>, me: DeskAgent, Query(done): Query<Done>) -> Response {
    let notice = done.done.map(|d| {
        me.prefs.t.msg(&format!(
            "desk-done-{}",
            d.chars().filter(char::is_ascii_lowercase).collect::<String>()
        ))
    });
    page(&state, &me, notice, None).await
}

pub async fn save(State(state): State<WebState>, me: DeskAgent, Checked(form): Checked) -> Response {
    let (name, language, zone) = (
        form.text("name").unwrap_or_default(),
        form.text("language").unwrap_or("en"),
        form.text("time_zone").unwrap_or("UTC"),
    );
    match agents::set_profile(&state.app, &me.principal, name, language, zone).await {
        Ok(()) => see_other("/desk/profile?done=profile"),
        Err(e) => AppError::from_app(e, me.prefs.t.lang()).into_response(),
    }
}

pub async fn away(State(state): State<WebState>, me: DeskAgent, Checked(form): Checked) -> Response {
    let (paused, out_of_office, hand_back) = (
        form.text("paused").is_some(),
        form.text("out_of_office").is_some(),
        form.text("hand_back").is_some(),
    );
    match agents::set_away(&state.app, &me.principal, paused, out_of_office, hand_back).await {
        Ok(_) => see_other("/desk/profile?done=away"),
        Err(e) => AppError::from_app(e, me.prefs.t.lang()).into_response(),
    }
}

pub async fn password(State(state): State<WebState>, me: DeskAgent, Checked(form): Checked) -> Response {
    let (current, new) = (
        form.text("current_password").unwrap_or_default(),
        form.text("new_password").unwrap_or_default(),
    );
    match agents::change_password(&state.app, &me.principal, current, new).await {
        Ok(()) => see_other("/desk/profile?done=password"),
        Err(e) => AppError::from_app(e, me.prefs.t.lang()).into_response(),
    }
}

pub async fn new_token(State(state): State<WebState>, me: DeskAgent, Checked(form): Checked) -> Response {
    let scope = match form.text("scope").map(str::parse::<Scope>) {
        Some(Ok(scope)) => scope,
        _ => return AppError::BadRequest("scope".to_owned()).into_response(),
    };
    let name = form
        .text("name")
        .unwrap_or("token")
        .trim()
        .chars()
        .take(100)
        .collect::<String>();
    let email = me.agent.email.to_string();
    match agents::issue_token(&state.app, &me.principal, &email, scope, &name).await {
        Ok(token) => page(&state, &me, None, Some(token)).await,
        Err(e) => AppError::from_app(e, me.prefs.t.lang()).into_response(),
    }
}

pub async fn revoke(
    State(state): State<WebState>,
    me: DeskAgent,
    Path(token): Path<i64>,
    _checked: Checked,
) -> Response {
    match agents::revoke_token(&state.app, &me.principal, token).await {
        Ok(_) => see_other("/desk/profile?done=revoked"),
        Err(e) => AppError::from_app(e, me.prefs.t.lang()).into_response(),
    }
}
