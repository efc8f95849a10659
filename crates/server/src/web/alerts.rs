//! `GET /api/v1/alerts` (SPEC §11): the device-spike alerts of the last week.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::AppError;
use super::extract::ApiAgent;
use super::WebState;
use crate::app::alerts::{recent, Alert};

pub fn router() -> Router<WebState> {
    Router::new().route("/api/v1/alerts", get(api))
}

#[derive(Serialize, ToSchema)]
pub struct AlertsBody {
    pub alerts: Vec<Alert>,
}

#[utoipa::path(operation_id = "alerts", get, path = "/api/v1/alerts", tag = "agents",
    security(("bearer" = [])),
    responses((status = 200, description = "Alerts of the last 7 days, newest first: a device model (with its OS major version) that reached 5 % of the day's new technical cases, at least 20 of them and three times its share of the month before; once per model and day", body = AlertsBody),
        (status = 401, description = "No credentials, or no longer good ones")))]
pub(crate) async fn api(State(state): State<WebState>, who: ApiAgent) -> Result<Json<AlertsBody>, AppError> {
    let alerts = recent(&state.app, &who.principal).await?;
    Ok(Json(AlertsBody { alerts }))
}
