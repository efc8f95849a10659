//! `GET /api/v1/reports/{measure}` (SPEC §11): one table as JSON, or as CSV when the client
//! accepts `text/csv`. The parameters are shared with the desk's report page.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sportello_domain::access::TeamId;
use sportello_domain::report::{Dimension, Measure, Range, Table};
use utoipa::{IntoParams, ToSchema};

use super::error::AppError;
use super::extract::ApiAgent;
use super::WebState;
use crate::app::reports::{report, Report, ReportRequest};

pub fn router() -> Router<WebState> {
    Router::new().route("/api/v1/reports/{measure}", get(api))
}

/// What a report counts over; unknown values are refused, not ignored.
#[derive(Debug, Default, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// `all` (one row), `category`, `subcategory`, `channel`, `priority`, `team`, `agent`,
    /// `organisation`, or `period` (weekdays, weekends and 24–26 December, each against weekdays).
    pub by: Option<String>,
    /// The first day counted, `YYYY-MM-DD`; by default 29 days before `to`.
    pub from: Option<String>,
    /// The last day counted, `YYYY-MM-DD`; by default today. At most 1,098 days in all.
    pub to: Option<String>,
    /// The IANA zone days and hours are counted in (`Europe/Rome`); by default the first
    /// category's calendar's.
    pub tz: Option<String>,
    pub category: Option<String>,
    pub priority: Option<String>,
    pub channel: Option<String>,
    /// Only this team's cases (a team id).
    pub team: Option<i64>,
}

fn bad(field: &str) -> AppError {
    AppError::BadRequest(format!("`{field}` has a value it cannot have"))
}

fn some(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn parsed<T: std::str::FromStr>(value: &Option<String>, field: &str) -> Result<Option<T>, AppError> {
    some(value).map(|v| v.parse().map_err(|_| bad(field))).transpose()
}

impl ReportParams {
    pub fn request(&self, measure: Measure) -> Result<ReportRequest, AppError> {
        Ok(ReportRequest {
            measure,
            by: parsed::<Dimension>(&self.by, "by")?.unwrap_or_default(),
            from: parsed::<NaiveDate>(&self.from, "from")?,
            to: parsed::<NaiveDate>(&self.to, "to")?,
            zone: parsed(&self.tz, "tz")?,
            category: some(&self.category).map(ToOwned::to_owned),
            priority: parsed(&self.priority, "priority")?,
            channel: parsed(&self.channel, "channel")?,
            team: self.team.map(TeamId),
        })
    }
}

/// A report: its range and one object per row, `key`, `value` and the measure's other columns.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportBody {
    pub measure: String,
    pub by: String,
    /// The first and last day counted.
    pub from: String,
    pub to: String,
    pub time_zone: String,
    /// The columns of each row after `key`, in order. Durations are in seconds (business time
    /// for `value` and `p90`, wall-clock time for `wall_median` and `wall_p90`), shares between 0
    /// and 1.
    pub columns: Vec<String>,
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<Map<String, Value>>,
}

/// A number as JSON: whole numbers as integers, nothing as null.
fn number(v: Option<f64>) -> Value {
    match v {
        Some(v) if v.fract() == 0.0 && v.abs() < 9e15 => Value::from(v as i64),
        Some(v) => serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number),
        None => Value::Null,
    }
}

impl ReportBody {
    pub fn of(table: &Table, range: &Range) -> ReportBody {
        ReportBody {
            measure: table.measure.as_str().to_owned(),
            by: table.dimension.as_str().to_owned(),
            from: range.first_day.to_string(),
            to: range.last_day.to_string(),
            time_zone: range.zone.name().to_owned(),
            columns: table.columns.iter().map(|c| (*c).to_owned()).collect(),
            rows: table
                .rows
                .iter()
                .map(|row| {
                    let mut object = Map::new();
                    object.insert("key".to_owned(), Value::from(row.key.clone()));
                    for (column, value) in table.columns.iter().zip(&row.values) {
                        object.insert((*column).to_owned(), number(*value));
                    }
                    object
                })
                .collect(),
        }
    }
}

/// The table as CSV: `key` and the columns, empty where there is nothing to measure.
pub fn csv_of(table: &Table) -> Result<Vec<u8>, AppError> {
    let failed = |e: String| AppError::from(crate::app::Error::Internal(e));
    let mut csv = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["key"];
    header.extend(table.columns.iter().copied());
    csv.write_record(&header).map_err(|e| failed(e.to_string()))?;
    for row in &table.rows {
        let mut record = vec![super::spreadsheet::cell(&row.key)];
        record.extend(row.values.iter().map(|v| match number(*v) {
            Value::Null => String::new(),
            other => other.to_string(),
        }));
        csv.write_record(&record).map_err(|e| failed(e.to_string()))?;
    }
    csv.into_inner().map_err(|e| failed(e.to_string()))
}

fn wants_csv(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.split(',').any(|t| t.trim().starts_with("text/csv")))
}

#[utoipa::path(operation_id = "report", get, path = "/api/v1/reports/{measure}", tag = "agents",
    params(("measure" = String, Path, description = "`volume`, `first_response_time`, `resolution_time`, `within_target`, `breaches`, `resolution_rate`, `reopen_rate`, `needed_info`, `merged`, `urgent`, `csat` (share of answers that said good), `estimate_error` (median absolute error of the live estimate against the first answer, in seconds), `hour_of_week` (168 rows, Monday 00 first) or `backlog` (open cases at each day's end)"), ReportParams),
    security(("bearer" = [])),
    responses((status = 200, description = "The report; with `Accept: text/csv`, the same table as CSV. Admins count every case, leads their teams' cases", body = ReportBody),
        (status = 400, description = "A parameter with a value it cannot have"),
        (status = 401, description = "No credentials, or no longer good ones"),
        (status = 403, description = "Agents who are not leads or admins"),
        (status = 404, description = "No such measure"),
        (status = 422, description = "`to` before `from`, or a range over 1,098 days")))]
pub(crate) async fn api(
    State(state): State<WebState>,
    who: ApiAgent,
    Path(measure): Path<String>,
    Query(params): Query<ReportParams>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let measure: Measure = measure.parse().map_err(|_| AppError::NotFound)?;
    let request = params.request(measure)?;
    let Report { table, range } = report(&state.app, &who.principal, &request).await?;
    if wants_csv(&headers) {
        let mut response = csv_of(&table)?.into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        );
        return Ok(response);
    }
    Ok(Json(ReportBody::of(&table, &range)).into_response())
}
