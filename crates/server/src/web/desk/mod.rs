//! The agents' desk (SPEC §6, §7): sign-in, the queue and the case page, every action a plain
//! form (CSRF-checked with the customer pages' own mechanism, [`Prefs::csrf_ok`]) that ends in a
//! redirect back to the case; the script only adds keys and live updates.

mod admin;
mod canned;
mod case;
mod organisations;
mod profile;
pub(crate) mod queue;
mod reports;
mod search;
mod webhooks;

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use super::error::AppError;
use super::extract::{cleared_session_cookie, session_cookie, session_token};
use super::pages::{html, see_other, Prefs, Tr};
use super::posted::{Failure, Posted};
use super::WebState;
use crate::app::sign_in::{self, Credentials, Refused};
use crate::web::limits::client_ip;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/desk/login", get(login_page).post(login))
        .route("/desk/logout", post(logout))
        .route("/desk/password/{link}", get(password_page).post(set_password))
        .route("/desk", get(queue::show))
        .route("/desk/cases/{case}", get(case::show))
        .route("/desk/search", get(search::show))
        .route("/desk/reports", get(reports::show))
        .route("/desk/reports.csv", get(reports::csv))
        .route("/desk/admin", get(admin::show))
        .route("/desk/admin/agents", post(admin::invite))
        .route("/desk/admin/agents/{agent}", post(admin::change))
        .route("/desk/admin/agents/{agent}/disable", post(admin::disable))
        .route("/desk/admin/teams", post(admin::add_team))
        .route("/desk/admin/teams/{team}", post(admin::change_team))
        .route("/desk/admin/audit", get(admin::audit))
        .route("/desk/admin/audit.csv", get(admin::audit_csv))
        .route("/desk/profile", get(profile::show).post(profile::save))
        .route("/desk/profile/password", post(profile::password))
        .route("/desk/profile/away", post(profile::away))
        .route("/desk/profile/totp", post(profile::totp_start))
        .route("/desk/profile/totp/confirm", post(profile::totp_confirm))
        .route("/desk/profile/totp/off", post(profile::totp_off))
        .route("/desk/profile/tokens", post(profile::new_token))
        .route("/desk/profile/tokens/{token}/revoke", post(profile::revoke))
        .route("/desk/cases/{case}/files/{file}", get(case::original))
        .route("/desk/cases/{case}/files/{file}/thumb", get(case::thumbnail))
        .route("/desk/cases/{case}/mail-files/{file}", get(case::file_from_mail))
        .route("/desk/cases/{case}/mail/{which}", get(case::whole_mail))
        .route("/desk/cases/{case}/reply", post(case::reply))
        .route("/desk/cases/{case}/replies/{message}/undo", post(case::undo))
        .route("/desk/cases/{case}/viewers", get(case::viewers))
        .route("/desk/cases/{case}/canned/{canned}", get(case::canned_filled))
        .route("/desk/admin/canned", get(canned::show).post(canned::add))
        .route("/desk/admin/canned/{canned}", post(canned::change))
        .route("/desk/admin/canned/{canned}/remove", post(canned::remove))
        .route(
            "/desk/admin/organisations",
            get(organisations::show).post(organisations::add),
        )
        .route("/desk/admin/organisations/{organisation}", post(organisations::change))
        .route(
            "/desk/admin/organisations/{organisation}/remove",
            post(organisations::remove),
        )
        .route("/desk/admin/webhooks", get(webhooks::list).post(webhooks::add))
        .route(
            "/desk/admin/webhooks/{webhook}",
            get(webhooks::show).post(webhooks::change),
        )
        .route("/desk/admin/webhooks/{webhook}/test", post(webhooks::test))
        .route("/desk/admin/webhooks/{webhook}/enable", post(webhooks::enable))
        .route("/desk/admin/webhooks/{webhook}/disable", post(webhooks::disable))
        .route("/desk/admin/webhooks/{webhook}/remove", post(webhooks::remove))
        .route("/desk/cases/{case}/status", post(case::status))
        .route("/desk/cases/{case}/priority", post(case::priority))
        .route("/desk/cases/{case}/take", post(case::take))
        .route("/desk/cases/{case}/assign", post(case::assign))
        .route("/desk/cases/{case}/request-info", post(case::request_info))
        .route("/desk/cases/{case}/category", post(case::category))
        .route("/desk/cases/{case}/link", post(case::link))
        .route("/desk/cases/{case}/merge", post(case::merge))
        .route("/static/desk.css", get(|| async { assets::css() }))
        .route("/static/desk.js", get(|| async { assets::js() }))
}

mod assets {
    use axum::http::{header, HeaderValue};
    use axum::response::{IntoResponse, Response};

    pub const CSS: &str = include_str!("../../../static/desk.css");
    pub const JS: &str = include_str!("../../../static/desk.js");

    fn asset(body: &'static str, content_type: &'static str) -> Response {
        let mut response = body.into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        );
        response
    }

    pub fn css() -> Response {
        asset(CSS, "text/css; charset=utf-8")
    }

    pub fn js() -> Response {
        asset(JS, "text/javascript; charset=utf-8")
    }

    /// Changes whenever the desk's assets do.
    pub fn version() -> &'static str {
        static VERSION: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            sportello_domain::evidence::content_hash([CSS, JS].concat().as_bytes()).to_hex()[..12].to_owned()
        });
        &VERSION
    }
}

/// What the desk's layout shows around a page.
pub struct DeskFrame {
    pub t: Tr,
    pub lang: String,
    pub title: String,
    pub css: String,
    pub desk_css: String,
    pub desk_js: String,
    pub icon: String,
    pub csrf: String,
    pub agent_name: Option<String>,
    /// The desk's pages this agent may open: (address, label).
    pub nav: Vec<(String, String)>,
    /// What the header's search box holds (the search shown, on its page).
    pub search: String,
}

impl DeskFrame {
    pub fn new(prefs: &Prefs, title: String, agent: Option<&crate::store::AgentRecord>) -> DeskFrame {
        let site = super::pages::Frame::new(prefs, String::new(), "/desk", &[]);
        DeskFrame {
            t: prefs.t.clone(),
            lang: prefs.code(),
            title,
            css: site.css,
            desk_css: format!("/static/desk.css?v={}", assets::version()),
            desk_js: format!("/static/desk.js?v={}", assets::version()),
            icon: site.icon,
            csrf: prefs.csrf().to_owned(),
            agent_name: agent.map(|a| a.name.clone()),
            nav: agent.map_or_else(Vec::new, |a| {
                let mut nav = vec![("/desk".to_owned(), prefs.t.msg("desk-queue"))];
                if a.role != sportello_domain::access::Role::Agent {
                    nav.push(("/desk/reports".to_owned(), prefs.t.msg("report-title")));
                }
                if a.role == sportello_domain::access::Role::Admin {
                    nav.push(("/desk/admin".to_owned(), prefs.t.msg("desk-admin")));
                }
                nav
            }),
            search: String::new(),
        }
    }

    pub fn searching(self, text: &str) -> DeskFrame {
        DeskFrame {
            search: text.to_owned(),
            ..self
        }
    }
}

/// A posted form whose CSRF token is the browser's (the customer pages' double-submit check,
/// [`Prefs::csrf_ok`]): every desk form but the sign-in's, which answers a failed check with its
/// own page. Anything else is a 403 before the handler runs.
pub struct Checked(pub Posted);

impl axum::extract::FromRequest<WebState> for Checked {
    type Rejection = Response;

    async fn from_request(request: axum::extract::Request, state: &WebState) -> Result<Checked, Response> {
        let prefs = Prefs::read(request.headers(), None);
        let Fields(form) = Fields::from_request(request, state).await?;
        if !prefs.csrf_ok(form.text("csrf")) {
            return Err(AppError::Forbidden.into_response());
        }
        Ok(Checked(form))
    }
}

#[derive(Template)]
#[template(path = "desk/login.html")]
struct LoginPage {
    frame: DeskFrame,
    error: Option<String>,
    email: String,
}

async fn login_page(State(state): State<WebState>, headers: HeaderMap) -> Response {
    let prefs = Prefs::read(&headers, None).on_site(&state.app.settings.public_url);
    let page = LoginPage {
        frame: DeskFrame::new(&prefs, prefs.t.msg("desk-sign-in"), None),
        error: None,
        email: String::new(),
    };
    html(StatusCode::OK, &page, &prefs)
}

/// A posted form (url-encoded, as browsers send it, or multipart), read by the customer pages'
/// own reader; one that cannot be read to its end is a 400. [`Checked`] is the same with its CSRF
/// token checked.
pub struct Fields(pub Posted);

impl axum::extract::FromRequest<WebState> for Fields {
    type Rejection = Response;

    async fn from_request(request: axum::extract::Request, state: &WebState) -> Result<Fields, Response> {
        let posted = Posted::read(request, state).await;
        match posted.failure {
            None => Ok(Fields(posted)),
            Some(Failure::TooLarge) => Err(AppError::TooLarge.into_response()),
            Some(Failure::Unreadable) => {
                Err(AppError::BadRequest("the form could not be read".to_owned()).into_response())
            }
        }
    }
}

async fn login(
    State(state): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Fields(form): Fields,
) -> Response {
    let email = form.text("email").unwrap_or_default().to_owned();
    let prefs = Prefs::read(&headers, None).on_site(&state.app.settings.public_url);
    let again = |status: StatusCode, message: String| {
        let page = LoginPage {
            frame: DeskFrame::new(&prefs, prefs.t.msg("desk-sign-in"), None),
            error: Some(message),
            email: email.chars().take(254).collect(),
        };
        html(status, &page, &prefs)
    };
    if !prefs.csrf_ok(form.text("csrf")) {
        return again(StatusCode::FORBIDDEN, prefs.t.msg("desk-form-expired"));
    }
    let ip = client_ip(peer.ip(), &headers, &state.trusted_proxies).to_string();
    let credentials = Credentials {
        email: email.clone(),
        password: form.text("password").unwrap_or_default().to_owned(),
        totp: form.text("totp").map(ToOwned::to_owned),
        ip: Some(ip),
    };
    match sign_in::sign_in(&state.app, &credentials).await {
        Ok(session) => {
            let mut response = see_other("/desk");
            response.headers_mut().append(
                header::SET_COOKIE,
                session_cookie(&state.app.settings.public_url, session.token.as_str()),
            );
            response
        }
        Err(Refused::Credentials) => again(StatusCode::UNAUTHORIZED, prefs.t.msg("desk-sign-in-refused")),
        Err(Refused::Throttled(wait)) => {
            let seconds = wait.num_seconds().max(1);
            let mut response = again(
                StatusCode::TOO_MANY_REQUESTS,
                prefs.t.with("desk-sign-in-throttled", "minutes", (seconds + 59) / 60),
            );
            if let Ok(v) = seconds.to_string().parse() {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
            response
        }
        Err(Refused::Error(e)) => AppError::from(e).into_response(),
    }
}

async fn logout(State(state): State<WebState>, headers: HeaderMap, Checked(form): Checked) -> Response {
    if let Some(token) = session_token(&state, &headers) {
        if let Err(e) = sign_in::sign_out(&state.app, &token, form.text("everywhere").is_some()).await {
            return AppError::from(e).into_response();
        }
    }
    let mut response = see_other("/desk/login");
    response.headers_mut().append(
        header::SET_COOKIE,
        cleared_session_cookie(&state.app.settings.public_url),
    );
    response
}

#[derive(Template)]
#[template(path = "desk/password.html")]
struct PasswordPage {
    frame: DeskFrame,
    error: Option<String>,
    link: String,
}

/// A set-password link's token: what `Secret::generate` makes, nothing else.
fn link_token(link: &str) -> Option<&str> {
    (link.len() == 43
        && link
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    .then_some(link)
}

async fn password_page(State(state): State<WebState>, headers: HeaderMap, Path(link): Path<String>) -> Response {
    let prefs = Prefs::read(&headers, None).on_site(&state.app.settings.public_url);
    let Some(link) = link_token(&link) else {
        return AppError::NotFound.into_response();
    };
    match state
        .app
        .store
        .password_link(&crate::app::credentials::secret_hash(link), state.app.clock.now())
        .await
    {
        Ok(Some(_)) => {}
        Ok(None) => return AppError::NotFound.into_response(),
        Err(e) => return AppError::from(crate::app::Error::Store(e)).into_response(),
    }
    let page = PasswordPage {
        frame: DeskFrame::new(&prefs, prefs.t.msg("desk-set-password"), None),
        error: None,
        link: link.to_owned(),
    };
    html(StatusCode::OK, &page, &prefs)
}

async fn set_password(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(link): Path<String>,
    Checked(form): Checked,
) -> Response {
    let prefs = Prefs::read(&headers, None).on_site(&state.app.settings.public_url);
    let Some(link) = link_token(&link) else {
        return AppError::NotFound.into_response();
    };
    match sign_in::set_password(&state.app, link, form.text("password").unwrap_or_default()).await {
        Ok(()) => see_other("/desk/login"),
        Err(crate::app::Error::Invalid(problems)) => {
            let page = PasswordPage {
                frame: DeskFrame::new(&prefs, prefs.t.msg("desk-set-password"), None),
                error: Some(
                    problems
                        .iter()
                        .map(|p| prefs.t.problem(p))
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
                link: link.to_owned(),
            };
            html(StatusCode::UNPROCESSABLE_ENTITY, &page, &prefs)
        }
        Err(e) => AppError::from_app(e, prefs.t.lang()).into_response(),
    }
}

/// A refused admin form's problems in the reader's words: each field's label (`{prefix}-{field}`)
/// and why.
pub(super) fn worded(
    t: &crate::web::pages::Tr,
    prefix: &str,
    problems: &[sportello_domain::problem::Problem],
) -> Vec<String> {
    problems
        .iter()
        .map(|p| {
            let field = t.msg(&format!("{prefix}-{}", p.field.replace('_', "-")));
            format!("{field}: {}", t.msg(&format!("problem-{}", p.code.as_str())))
        })
        .collect()
}
