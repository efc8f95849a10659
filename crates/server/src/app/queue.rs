//! The queue (SPEC §7): a view and filters, read a page at a time in the domain's order, without
//! a single case the reader may not see (SPEC §6: not in the rows, not in the counts).

use chrono::{DateTime, Utc};
use sportello_domain::access::{AgentId, Principal, TeamId};
use sportello_domain::case::{Channel, Flag, Status};
use sportello_domain::case_number::CaseNumber;
use sportello_domain::problem::{Problem, ProblemCode};
use sportello_domain::sla::{ClockState, Target};
use sportello_domain::triage::Priority;

use super::{App, Error};
use crate::store::{Assigned, QueueQuery, QueueRow};

/// SPEC §7's views.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum View {
    Mine,
    MyTeams,
    Unassigned,
    #[default]
    All,
    Breached,
    NeedsInfo,
    Waiting,
    Resolved,
}

impl View {
    pub const ALL: [View; 8] = [
        View::All,
        View::Mine,
        View::MyTeams,
        View::Unassigned,
        View::Breached,
        View::NeedsInfo,
        View::Waiting,
        View::Resolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            View::Mine => "mine",
            View::MyTeams => "my_teams",
            View::Unassigned => "unassigned",
            View::All => "all",
            View::Breached => "breached",
            View::NeedsInfo => "needs_info",
            View::Waiting => "waiting",
            View::Resolved => "resolved",
        }
    }

    pub fn parse(text: &str) -> Option<View> {
        View::ALL.into_iter().find(|v| v.as_str() == text)
    }
}

/// Who the assignee filter names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeFilter {
    Agent(AgentId),
    Nobody,
}

/// A queue request as a URL gives it: every field optional (SPEC §7: every view a URL).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueRequest {
    pub view: View,
    pub status: Option<Status>,
    pub category: Option<String>,
    pub priority: Option<Priority>,
    pub channel: Option<Channel>,
    pub assignee: Option<AssigneeFilter>,
    pub team: Option<TeamId>,
    pub breached: bool,
    pub cursor: Option<String>,
    /// 1–100; 50 by default (SPEC §7).
    pub limit: Option<i64>,
}

pub const PAGE: i64 = 50;
pub const MAX_PAGE: i64 = 100;

/// A row as the desk shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueItem {
    pub number: CaseNumber,
    pub row: QueueRow,
    pub summary: String,
    pub flags: Vec<Flag>,
    /// The target being worked towards and its state now; None once the case is over.
    pub current: Option<(Target, ClockState)>,
    pub next_due: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuePage {
    pub items: Vec<QueueItem>,
    pub next_cursor: Option<String>,
}

fn bad_cursor() -> Error {
    Error::Invalid(vec![Problem::new("cursor", ProblemCode::FieldFormat)])
}

/// `POSITION.ID`, both numbers: the last row of the page before.
fn parse_cursor(text: &str) -> Result<(i64, i64), Error> {
    let (position, id) = text.split_once('.').ok_or_else(bad_cursor)?;
    Ok((
        position.parse().map_err(|_| bad_cursor())?,
        id.parse().map_err(|_| bad_cursor())?,
    ))
}

pub async fn queue(app: &App, who: &Principal, r: &QueueRequest) -> Result<QueuePage, Error> {
    let now = app.clock.now();
    let limit = page_limit(r.limit)?;
    let Some(mut q) = filters(app, who, r, now).await? else {
        return Ok(QueuePage {
            items: Vec::new(),
            next_cursor: None,
        });
    };
    q.after = r.cursor.as_deref().map(parse_cursor).transpose()?;
    // One more than the page: whether there is a next page, without counting.
    q.limit = limit + 1;
    let mut rows = app.store.queue(&q).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(50));
    let next_cursor = more
        .then(|| rows.last().map(|r| format!("{}.{}", r.position, r.id.get())))
        .flatten();
    let prefix = app.catalog.case_prefix();
    let items = rows
        .into_iter()
        .map(|row| QueueItem::of(prefix, row, now))
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(QueuePage { items, next_cursor })
}

impl QueueItem {
    pub fn of(
        prefix: &sportello_domain::case_number::CasePrefix,
        row: QueueRow,
        now: DateTime<Utc>,
    ) -> Result<QueueItem, Error> {
        let number = row.id.number(prefix).map_err(|e| Error::Internal(e.to_string()))?;
        Ok(QueueItem {
            number,
            summary: first_line(&row.summary),
            flags: Flag::of(
                row.status,
                row.penalised,
                &row.warnings,
                row.undeliverable,
                row.over_quota,
            ),
            current: row.timers.current(now),
            next_due: row.timers.next_due(),
            row,
        })
    }
}

/// A page's size: 1–100, 50 unless asked.
pub fn page_limit(limit: Option<i64>) -> Result<i64, Error> {
    let limit = limit.unwrap_or(PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(Error::Invalid(vec![Problem::new("limit", ProblemCode::FieldFormat)]));
    }
    Ok(limit)
}

/// The view and filters of `r` as the store's query, with the reader's hidden teams (SPEC §6);
/// None when they contradict each other and leave nothing. The view `all` is the open cases in
/// the queue and every case in search (`ended_too`).
pub async fn filters(
    app: &App,
    who: &Principal,
    r: &QueueRequest,
    now: DateTime<Utc>,
) -> Result<Option<QueueQuery>, Error> {
    let restricted = app.store.restricted_teams().await?;
    let mut q = QueueQuery {
        hidden_teams: who.hidden_teams(&restricted),
        category: r.category.clone(),
        priority: r.priority,
        channel: r.channel,
        ..QueueQuery::default()
    };
    match r.view {
        View::Mine => q.assigned = Some(Assigned::To(who.agent().ok_or(Error::Forbidden)?)),
        View::MyTeams => q.teams = Some(my_teams(who)),
        View::Unassigned => q.assigned = Some(Assigned::Nobody),
        View::All => {}
        View::Breached => q.overdue_at = Some(now),
        View::NeedsInfo => q.statuses = vec![Status::NeedsInfo],
        View::Waiting => q.statuses = vec![Status::PendingCustomer],
        View::Resolved => q.statuses = vec![Status::Resolved],
    }
    // A filter narrows its view: one that contradicts it (the status `open` in the view of the
    // resolved, another assignee in "mine") leaves nothing.
    if let Some(status) = r.status {
        if !q.statuses.is_empty() && !q.statuses.contains(&status) {
            return Ok(None);
        }
        q.statuses = vec![status];
    }
    if let Some(wanted) = r.assignee.map(to_assigned) {
        if q.assigned.is_some_and(|view| view != wanted) {
            return Ok(None);
        }
        q.assigned = Some(wanted);
    }
    if let Some(team) = r.team {
        q.teams = Some(match q.teams {
            Some(teams) => teams.into_iter().filter(|t| *t == team).collect(),
            None => vec![team],
        });
    }
    if r.breached {
        q.overdue_at = Some(now);
    }
    Ok(Some(q))
}

fn to_assigned(a: AssigneeFilter) -> Assigned {
    match a {
        AssigneeFilter::Agent(id) => Assigned::To(id),
        AssigneeFilter::Nobody => Assigned::Nobody,
    }
}

fn my_teams(who: &Principal) -> Vec<TeamId> {
    match who {
        Principal::Agent(staff) => staff.teams.clone(),
        Principal::System => Vec::new(),
    }
}

/// The description's first line, at most 100 characters.
fn first_line(text: &str) -> String {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    let mut out: String = line.chars().take(100).collect();
    if line.chars().count() > 100 {
        out.push('…');
    }
    out
}
