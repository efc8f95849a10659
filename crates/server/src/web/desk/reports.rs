//! `/desk/reports` (SPEC §11): one report at a time, chosen in a plain GET form (every report a
//! URL), drawn as server-rendered SVG (bars by group, a heat map of the week, a column per day of
//! the backlog) above the same numbers as a table, which is also the chart's text alternative;
//! `/desk/reports.csv` is that table. The numbers are the API's (`app::reports`).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sportello_domain::report::{Dimension, Measure, Row as ReportRow, Table, NONE_KEY};

use super::queue::{Choice, Filters, QueueParams};
use super::DeskFrame;
use crate::app::reports::{report, Report};
use crate::web::error::AppError;
use crate::web::extract::DeskAgent;
use crate::web::pages::{html, percent_encode, Tr};
use crate::web::reports::{csv_of, ReportParams};
use crate::web::WebState;

/// The page's query: the API's parameters and the measure.
#[derive(Debug, Default, Deserialize)]
pub struct PageParams {
    pub measure: Option<String>,
    #[serde(flatten)]
    pub report: ReportParams,
}

impl PageParams {
    fn measure(&self) -> Result<Measure, AppError> {
        match self.measure.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
            None => Ok(Measure::Volume),
            Some(m) => m
                .parse()
                .map_err(|_| AppError::BadRequest("`measure` has a value it cannot have".to_owned())),
        }
    }

    /// The query string of this report (for the CSV link).
    fn query(&self, measure: Measure) -> String {
        let r = &self.report;
        let team = r.team.map(|t| t.to_string());
        let mut pairs = vec![("measure", Some(measure.as_str()))];
        pairs.extend([
            ("by", r.by.as_deref()),
            ("from", r.from.as_deref()),
            ("to", r.to.as_deref()),
            ("tz", r.tz.as_deref()),
            ("category", r.category.as_deref()),
            ("priority", r.priority.as_deref()),
            ("channel", r.channel.as_deref()),
            ("team", team.as_deref()),
        ]);
        pairs
            .into_iter()
            .filter_map(|(k, v)| {
                v.filter(|v| !v.trim().is_empty())
                    .map(|v| format!("{k}={}", percent_encode(v)))
            })
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// One bar of a chart by group.
pub struct Bar {
    pub label: String,
    pub value: String,
    pub y: u32,
    /// Of the chart's 100 % width.
    pub width: f64,
}

/// One hour of the week's heat map.
pub struct Cell {
    pub x: u32,
    pub y: u32,
    /// 0.08–1: the share of the busiest hour.
    pub opacity: f64,
    pub title: String,
}

/// One day of the backlog.
pub struct Column {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    pub title: String,
}

pub struct Line {
    pub key: String,
    pub cells: Vec<String>,
}

#[derive(Template)]
#[template(path = "desk/reports.html")]
struct ReportsPage {
    frame: DeskFrame,
    measures: Vec<Choice>,
    dimensions: Vec<Choice>,
    categories: Vec<Choice>,
    priorities: Vec<Choice>,
    channels: Vec<Choice>,
    from: String,
    to: String,
    tz: String,
    timeline: bool,
    caption: String,
    headers: Vec<String>,
    lines: Vec<Line>,
    bars: Vec<Bar>,
    bars_height: u32,
    cells: Vec<Cell>,
    /// The heat map's rows: each day's name and where its label sits.
    weekdays: Vec<(String, f64)>,
    columns: Vec<Column>,
    columns_top: String,
    csv_href: String,
    empty: bool,
}

/// Rows of the bar chart are this tall, in SVG units.
const BAR: u32 = 28;

pub async fn show(State(state): State<WebState>, me: DeskAgent, Query(mut p): Query<PageParams>) -> Response {
    let t = &me.prefs.t;
    let measure = match p.measure() {
        Ok(m) => m,
        Err(e) => return e.into_response(),
    };
    if p.report.tz.as_deref().is_none_or(|z| z.trim().is_empty()) {
        // The reader's own zone unless the link names one.
        p.report.tz = Some(me.agent.time_zone.clone());
    }
    let request = match p.report.request(measure) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let Report { table, range } = match report(&state.app, &me.principal, &request).await {
        Ok(r) => r,
        Err(e) => return AppError::from_app(e, t.lang()).into_response(),
    };
    let labels = Labels {
        t,
        lang: me.prefs.code(),
        catalog: &state.app.catalog,
    };
    let queue_like = QueueParams {
        category: p.report.category.clone(),
        priority: p.report.priority.clone(),
        channel: p.report.channel.clone(),
        ..QueueParams::default()
    };
    let Filters {
        categories,
        priorities,
        channels,
    } = Filters::of(&queue_like, &me.prefs, &state.app.catalog);
    let by = table.dimension;
    let measures = Measure::ALL
        .iter()
        .map(|m| Choice {
            value: m.as_str().to_owned(),
            label: t.msg(&format!("report-{m}")),
            selected: *m == measure,
        })
        .collect();
    let dimensions = Dimension::ALL
        .iter()
        .map(|d| Choice {
            value: d.as_str().to_owned(),
            label: t.msg(&format!("report-by-{d}")),
            selected: *d == request.by,
        })
        .collect();
    let lines = table
        .rows
        .iter()
        .map(|row| Line {
            key: labels.key(measure, by, &row.key),
            cells: table
                .columns
                .iter()
                .zip(&row.values)
                .map(|(column, v)| labels.value(measure, column, *v))
                .collect(),
        })
        .collect();
    let mut headers = vec![t.msg(&format!("report-by-{by}"))];
    if measure == Measure::HourOfWeek {
        headers[0] = t.msg("report-hour");
    } else if measure == Measure::Backlog {
        headers[0] = t.msg("report-day");
    }
    headers.extend(table.columns.iter().map(|c| labels.column(measure, c)));
    let (bars, bars_height) = bars(&table, &labels);
    let view = ReportsPage {
        frame: DeskFrame::new(&me.prefs, t.msg("report-title"), Some(&me.agent)),
        measures,
        dimensions,
        categories,
        priorities,
        channels,
        from: range.first_day.to_string(),
        to: range.last_day.to_string(),
        tz: range.zone.name().to_owned(),
        timeline: measure.is_timeline(),
        caption: t.args(
            "report-caption",
            &[
                ("measure", t.msg(&format!("report-{measure}"))),
                ("from", range.first_day.to_string()),
                ("to", range.last_day.to_string()),
                ("zone", range.zone.name().to_owned()),
            ],
        ),
        headers,
        lines,
        bars: if measure.is_timeline() { Vec::new() } else { bars },
        bars_height,
        cells: if measure == Measure::HourOfWeek {
            heat(&table, &labels)
        } else {
            Vec::new()
        },
        weekdays: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
            .iter()
            .enumerate()
            .map(|(i, d)| (t.msg(&format!("report-weekday-{d}")), i as f64 + 1.75))
            .collect(),
        columns: if measure == Measure::Backlog {
            backlog(&table)
        } else {
            Vec::new()
        },
        columns_top: max_value(&table.rows).to_string(),
        csv_href: format!("/desk/reports.csv?{}", p.query(measure)),
        empty: table.rows.is_empty(),
    };
    html(StatusCode::OK, &view, &me.prefs)
}

pub async fn csv(State(state): State<WebState>, me: DeskAgent, Query(p): Query<PageParams>) -> Response {
    let t = &me.prefs.t;
    let request = match p.measure().and_then(|m| p.report.request(m)) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let table = match report(&state.app, &me.principal, &request).await {
        Ok(r) => r.table,
        Err(e) => return AppError::from_app(e, t.lang()).into_response(),
    };
    let body = match csv_of(&table) {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(disposition) = HeaderValue::from_str(&format!(
        "attachment; filename=\"sportello-{}.csv\"",
        table.measure.as_str()
    )) {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Keys, columns and values in the reader's language.
struct Labels<'a> {
    t: &'a Tr,
    lang: String,
    catalog: &'a sportello_domain::catalog::Catalog,
}

impl Labels<'_> {
    fn key(&self, measure: Measure, by: Dimension, key: &str) -> String {
        let t = self.t;
        if key == NONE_KEY && !measure.is_timeline() {
            return t.msg(&format!("report-none-{by}"));
        }
        match by {
            _ if measure == Measure::HourOfWeek => match key.split_once(' ') {
                Some((day, hour)) => format!("{} {hour}:00", t.msg(&format!("report-weekday-{day}"))),
                None => key.to_owned(),
            },
            Dimension::All if !measure.is_timeline() => t.msg("report-everything"),
            Dimension::Period => t.msg(&format!("report-period-{key}")),
            Dimension::Priority => t.msg(&format!("priority-{key}")),
            Dimension::Channel => t.msg(&format!("channel-{key}")),
            Dimension::Category => self
                .catalog
                .category(key)
                .map_or_else(|| key.to_owned(), |c| c.label.get(&self.lang).to_owned()),
            Dimension::Subcategory => {
                let (category, sub) = key.split_once(" / ").unwrap_or((key, ""));
                match self.catalog.category(category) {
                    Some(c) => format!(
                        "{} / {}",
                        c.label.get(&self.lang),
                        c.subcategory(sub).map_or(sub, |s| s.label.get(&self.lang))
                    ),
                    None => key.to_owned(),
                }
            }
            _ => key.to_owned(),
        }
    }

    fn column(&self, measure: Measure, column: &str) -> String {
        if column == "value" {
            self.t.msg(&format!("report-value-{measure}"))
        } else {
            self.t.msg(&format!("report-col-{column}"))
        }
    }

    /// A cell: hours for durations, percentages for shares, whole numbers for counts.
    fn value(&self, measure: Measure, column: &str, v: Option<f64>) -> String {
        let Some(v) = v else {
            return "—".to_owned();
        };
        let duration = measure.is_duration() && column != "cases";
        let share = (measure.is_share() && matches!(column, "value" | "resolution")) || column == "share";
        match column {
            "vs_weekday_ratio" => format!("×{v:.2}"),
            "vs_weekday" if duration => format!("{:+.1} h", v / 3600.0),
            "vs_weekday" if share => format!("{:+.1} pt", v * 100.0),
            "vs_weekday" => format!("{v:+.2}"),
            "per_day" => format!("{v:.2}"),
            _ if duration => format!("{:.1} h", v / 3600.0),
            _ if share => format!("{:.1} %", v * 100.0),
            _ => format!("{v}"),
        }
    }
}

fn max_value(rows: &[ReportRow]) -> f64 {
    rows.iter().filter_map(ReportRow::value).fold(0.0, f64::max)
}

/// Horizontal bars of each group's value, scaled to the largest.
fn bars(table: &Table, labels: &Labels<'_>) -> (Vec<Bar>, u32) {
    let top = max_value(&table.rows);
    let bars: Vec<Bar> = table
        .rows
        .iter()
        .enumerate()
        .map(|(i, row)| Bar {
            label: labels.key(table.measure, table.dimension, &row.key),
            value: labels.value(table.measure, "value", row.value()),
            y: i as u32 * BAR,
            width: match row.value() {
                Some(v) if top > 0.0 => (v / top * 100.0).max(0.5),
                _ => 0.0,
            },
        })
        .collect();
    let height = bars.len() as u32 * BAR;
    (bars, height)
}

/// The week as 7 rows of 24 hours, each as dark as its share of the busiest hour.
fn heat(table: &Table, labels: &Labels<'_>) -> Vec<Cell> {
    let top = max_value(&table.rows);
    table
        .rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let v = row.value().unwrap_or(0.0);
            Cell {
                x: (i % 24) as u32,
                y: (i / 24) as u32,
                opacity: if top > 0.0 { 0.08 + 0.92 * v / top } else { 0.08 },
                title: format!(
                    "{}: {}",
                    labels.key(table.measure, table.dimension, &row.key),
                    labels.value(table.measure, "value", Some(v))
                ),
            }
        })
        .collect()
}

/// A column per day, on a 100 × 40 canvas.
fn backlog(table: &Table) -> Vec<Column> {
    let top = max_value(&table.rows);
    let n = table.rows.len().max(1) as f64;
    let width = 100.0 / n;
    table
        .rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let v = row.value().unwrap_or(0.0);
            let height = if top > 0.0 { v / top * 40.0 } else { 0.0 };
            Column {
                x: i as f64 * width,
                y: 40.0 - height,
                width: (width * 0.8).max(0.05),
                height,
                title: format!("{}: {v}", row.key),
            }
        })
        .collect()
}
