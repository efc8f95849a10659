//! `/status/{case}?t=TOKEN` (SPEC §3.5): a page for browsers (`web/pages/status.rs`), the status as
//! JSON for everyone else (clients that do not ask for `text/html`); 404 for a wrong case or token
//! alike. `POST` adds information from the page's form.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use super::error::AppError;
use super::pages::status::StatusQuery;
use super::pages::{self, wants_html};
use super::WebState;
use crate::app::status::by_link;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/status/{case}", get(show).post(pages::status::add))
        .layer(axum::extract::DefaultBodyLimit::max(super::posted::BODY_LIMIT))
}

#[utoipa::path(operation_id = "status_show", get, path = "/status/{case}", tag = "customers",
    params(("case" = String, Path, description = "The case number"), ("t" = String, Query, description = "The status token of the case's link")),
    responses((status = 200, description = "Status, due times and the conversation (JSON unless the client asks for text/html)", body = serde_json::Value),
        (status = 404, description = "A wrong case or token alike")))]
pub(crate) async fn show(
    State(state): State<WebState>,
    case: Result<Path<String>, axum::extract::rejection::PathRejection>,
    Query(q): Query<StatusQuery>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    // A path that is not even text names no case.
    let case = case.ok().map(|Path(case)| case);
    if wants_html(&headers) {
        return Ok(pages::status::show(state, case, q, headers).await);
    }
    let case = case.ok_or(AppError::NotFound)?;
    let token = q.t.as_deref().unwrap_or_default();
    Ok(Json(by_link(&state.app, &case, token).await?).into_response())
}
