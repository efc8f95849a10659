//! `GET /status/{case}?t=TOKEN` (SPEC §3.5). The page comes with the customer web; this answers the
//! status as JSON, 404 for a wrong case or token alike.

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use super::error::AppError;
use super::WebState;
use crate::app::status::{case_status, CaseStatus};

pub fn router() -> Router<WebState> {
    Router::new().route("/status/{case}", get(show))
}

#[derive(Deserialize)]
struct TokenQuery {
    t: Option<String>,
}

async fn show(
    State(state): State<WebState>,
    case: Result<Path<String>, axum::extract::rejection::PathRejection>,
    Query(q): Query<TokenQuery>,
) -> Result<Json<CaseStatus>, AppError> {
    // A path that is not even text names no case.
    let Ok(Path(case)) = case else {
        return Err(AppError::NotFound);
    };
    let token = q.t.unwrap_or_default();
    match case_status(&state.app, &case, &token).await {
        Ok(Some(status)) => Ok(Json(status)),
        Ok(None) => Err(AppError::NotFound),
        Err(e) => Err(AppError::Internal(anyhow::Error::new(e))),
    }
}
