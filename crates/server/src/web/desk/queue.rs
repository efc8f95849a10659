//! `/desk`: the queue, its views and filters as query parameters (every view a URL).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use sportello_domain::case::Channel;
use sportello_domain::sla::ClockState;
use sportello_domain::triage::Priority;

use super::DeskFrame;
use crate::app::queue::{queue, QueueItem, QueueRequest, View};
use crate::web::error::AppError;
use crate::web::extract::DeskAgent;
use crate::web::pages::{html, moment, percent_encode, Tr};
use crate::web::WebState;

/// The queue's query string; unknown values are refused, not ignored.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueParams {
    /// `all` (open cases), `mine`, `my_teams`, `unassigned`, `breached`, `needs_info`, `waiting`,
    /// `resolved`.
    pub view: Option<String>,
    pub status: Option<String>,
    pub category: Option<String>,
    pub priority: Option<String>,
    pub channel: Option<String>,
    pub breached: Option<String>,
    /// The `next_cursor` of the page before.
    pub cursor: Option<String>,
    /// 1–100, 50 by default.
    pub limit: Option<i64>,
}

fn bad(field: &str) -> AppError {
    AppError::BadRequest(format!("`{field}` has a value it cannot have"))
}

fn some(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl QueueParams {
    /// The query string of another page of the same filters: `first` (the view, the search),
    /// the filters given, and `cursor`.
    pub fn query(&self, first: (&str, &str), cursor: Option<&str>) -> String {
        let mut pairs = vec![first];
        for (k, v) in [
            ("category", &self.category),
            ("priority", &self.priority),
            ("channel", &self.channel),
            ("status", &self.status),
        ] {
            if let Some(v) = some(v) {
                pairs.push((k, v));
            }
        }
        pairs.extend(cursor.map(|c| ("cursor", c)));
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", percent_encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The request the parameters describe (shared by the page and the API).
    pub fn request(&self) -> Result<QueueRequest, AppError> {
        Ok(QueueRequest {
            view: match some(&self.view) {
                Some(v) => View::parse(v).ok_or_else(|| bad("view"))?,
                None => View::All,
            },
            status: some(&self.status)
                .map(|s| s.parse())
                .transpose()
                .map_err(|_| bad("status"))?,
            category: some(&self.category).map(ToOwned::to_owned),
            priority: some(&self.priority)
                .map(|s| s.parse())
                .transpose()
                .map_err(|_| bad("priority"))?,
            channel: some(&self.channel)
                .map(|s| s.parse())
                .transpose()
                .map_err(|_| bad("channel"))?,
            assignee: None,
            team: None,
            breached: matches!(some(&self.breached), Some("1" | "true")),
            cursor: some(&self.cursor).map(ToOwned::to_owned),
            limit: self.limit,
        })
    }
}

pub struct ViewLink {
    pub href: String,
    pub label: String,
    pub current: bool,
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct Row {
    pub number: String,
    pub href: String,
    pub summary: String,
    pub category: String,
    pub flags: Vec<String>,
    pub due_iso: String,
    pub due_exact: String,
    pub due_left: String,
    pub priority: String,
    pub priority_code: &'static str,
    pub status: String,
    pub channel: String,
    pub assignee: String,
    /// `running`, `paused`, `breached`: the row's colour.
    pub clock: &'static str,
}

/// The choices of the queue's filters, the current ones selected (shared with search).
pub struct Filters {
    pub categories: Vec<Choice>,
    pub priorities: Vec<Choice>,
    pub channels: Vec<Choice>,
}

impl Filters {
    pub fn of(
        params: &QueueParams,
        prefs: &crate::web::pages::Prefs,
        catalog: &sportello_domain::catalog::Catalog,
    ) -> Filters {
        let t = &prefs.t;
        let lang = prefs.code();
        let selected = |param: &Option<String>, value: &str| some(param) == Some(value);
        Filters {
            categories: catalog
                .categories()
                .iter()
                .map(|c| Choice {
                    value: c.id.clone(),
                    label: c.label.get(&lang).to_owned(),
                    selected: selected(&params.category, &c.id),
                })
                .collect(),
            priorities: Priority::ALL
                .iter()
                .map(|p| Choice {
                    value: p.as_str().to_owned(),
                    label: t.msg(&format!("priority-{p}")),
                    selected: selected(&params.priority, p.as_str()),
                })
                .collect(),
            channels: Channel::ALL
                .iter()
                .map(|c| Choice {
                    value: c.as_str().to_owned(),
                    label: t.msg(&format!("channel-{c}")),
                    selected: selected(&params.channel, c.as_str()),
                })
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "desk/queue.html")]
struct QueuePage {
    frame: DeskFrame,
    views: Vec<ViewLink>,
    view: &'static str,
    categories: Vec<Choice>,
    priorities: Vec<Choice>,
    channels: Vec<Choice>,
    rows: Vec<Row>,
    next_href: Option<String>,
    /// Device spikes of the last week (SPEC §11), each in a sentence.
    alerts: Vec<String>,
}

impl Row {
    /// A queue item as the desk shows it, in the reader's language and time zone.
    pub fn of(
        item: &QueueItem,
        prefs: &crate::web::pages::Prefs,
        catalog: &sportello_domain::catalog::Catalog,
        now: DateTime<Utc>,
    ) -> Row {
        let t = &prefs.t;
        let lang = prefs.code();
        let r = &item.row;
        let category = catalog.category(&r.category);
        let label = category.map_or(r.category.clone(), |c| {
            let sub = c
                .subcategory(&r.subcategory)
                .map_or(r.subcategory.clone(), |s| s.label.get(&lang).to_owned());
            format!("{} / {sub}", c.label.get(&lang))
        });
        let clock = match item.current {
            Some((_, ClockState::Breached)) => "breached",
            Some((_, ClockState::Paused)) => "paused",
            Some(_) => "running",
            None => "ended",
        };
        let due = item.next_due;
        Row {
            number: item.number.to_string(),
            href: format!("/desk/cases/{}", item.number),
            summary: item.summary.clone(),
            category: label,
            flags: item.flags.iter().map(|f| t.msg(&format!("flag-{f}"))).collect(),
            due_iso: due.map(|d| d.to_rfc3339()).unwrap_or_default(),
            due_exact: due.map(|d| moment(t, d, now, prefs.tz)).unwrap_or_default(),
            due_left: due.map(|d| time_left(t, d, now)).unwrap_or_else(|| "—".to_owned()),
            priority: t.msg(&format!("priority-{}", r.priority)),
            priority_code: r.priority.as_str(),
            status: t.msg(&format!("desk-status-{}", r.status)),
            channel: t.msg(&format!("channel-{}", r.channel)),
            assignee: r
                .assignee
                .as_ref()
                .map_or_else(|| t.msg("desk-unassigned"), |(_, name)| name.clone()),
            clock,
        }
    }
}

/// "in 3 h", "2 d overdue": time left to a due time, short.
pub fn time_left(t: &Tr, due: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let minutes = (due - now).num_minutes();
    let (amount, unit) = match minutes.abs() {
        m if m < 60 => (m, "min"),
        m if m < 48 * 60 => (m / 60, "h"),
        m => (m / (24 * 60), "d"),
    };
    let amount = format!("{amount} {unit}");
    if minutes < 0 {
        t.with("desk-overdue", "time", amount)
    } else {
        t.with("desk-left", "time", amount)
    }
}

pub async fn show(State(state): State<WebState>, me: DeskAgent, Query(params): Query<QueueParams>) -> Response {
    let request = match params.request() {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let page = match queue(&state.app, &me.principal, &request).await {
        Ok(page) => page,
        Err(e) => return AppError::from_app(e, me.prefs.t.lang()).into_response(),
    };
    let t = &me.prefs.t;
    let now = state.app.clock.now();
    let catalog = &state.app.catalog;
    let query_without = |cursor: Option<&str>| params.query(("view", request.view.as_str()), cursor);
    let rows = page
        .items
        .iter()
        .map(|item| Row::of(item, &me.prefs, catalog, now))
        .collect();
    let views = View::ALL
        .iter()
        .map(|v| ViewLink {
            href: format!("/desk?view={}", v.as_str()),
            label: t.msg(&format!("view-{}", v.as_str())),
            current: *v == request.view,
        })
        .collect();
    let Filters {
        categories,
        priorities,
        channels,
    } = Filters::of(&params, &me.prefs, catalog);
    let alerts = match crate::app::alerts::recent(&state.app, &me.principal).await {
        Ok(alerts) => alerts
            .iter()
            .map(|a| {
                let device = sportello_domain::device::label(&sportello_domain::device::Device {
                    model: a.model.clone(),
                    os: a.os.clone(),
                });
                t.args(
                    "desk-alert-device-spike-text",
                    &[
                        ("device", device),
                        ("share", format!("{:.1}", a.share * 100.0)),
                        ("cases", a.cases.to_string()),
                        ("at", a.at.format("%Y-%m-%d %H:%M UTC").to_string()),
                    ],
                )
            })
            .collect(),
        Err(e) => return AppError::from_app(e, t.lang()).into_response(),
    };
    let view_page = QueuePage {
        frame: DeskFrame::new(
            &me.prefs,
            t.msg(&format!("view-{}", request.view.as_str())),
            Some(&me.agent),
        ),
        views,
        view: request.view.as_str(),
        categories,
        priorities,
        channels,
        rows,
        next_href: page
            .next_cursor
            .as_deref()
            .map(|c| format!("/desk?{}", query_without(Some(c)))),
        alerts,
    };
    html(StatusCode::OK, &view_page, &me.prefs)
}
