//! Reports (SPEC §11): a measure by a dimension over whole days, of the cases the reader may
//! count (admins every case, leads their teams', never a restricted team's they are not in), with
//! the queue's filters.

use chrono::{Duration, NaiveDate};
use chrono_tz::Tz;
use sportello_domain::access::{Principal, TeamId};
use sportello_domain::case::Channel;
use sportello_domain::problem::{Problem, ProblemCode};
use sportello_domain::report::{self, Dimension, Measure, Range, RangeError, Table};
use sportello_domain::triage::Priority;

use super::{App, Error};
use crate::store::{FactQuery, ReportFilter};

/// A report as a URL asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRequest {
    pub measure: Measure,
    pub by: Dimension,
    /// The first and last day, both counted; by default the 30 days to today.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// The zone days and hours are counted in; by default the first category's calendar's.
    pub zone: Option<Tz>,
    pub category: Option<String>,
    pub priority: Option<Priority>,
    pub channel: Option<Channel>,
    pub team: Option<TeamId>,
}

impl ReportRequest {
    pub fn new(measure: Measure) -> ReportRequest {
        ReportRequest {
            measure,
            by: Dimension::All,
            from: None,
            to: None,
            zone: None,
            category: None,
            priority: None,
            channel: None,
            team: None,
        }
    }
}

/// The days of the 30 that end today, in `zone`, unless the request names them.
fn range_of(app: &App, r: &ReportRequest) -> Result<Range, Error> {
    let zone = r.zone.unwrap_or_else(|| default_zone(app));
    let today = app.clock.now().with_timezone(&zone).date_naive();
    let to = r.to.unwrap_or(today);
    let from = r.from.unwrap_or(to - Duration::days(29));
    Range::days(from, to, zone).map_err(|e| {
        let field = match e {
            RangeError::Reversed => "to",
            RangeError::TooLong => "from",
        };
        Error::Invalid(vec![Problem::new(field, ProblemCode::FieldFormat)])
    })
}

pub fn default_zone(app: &App) -> Tz {
    app.catalog.categories().first().map_or(Tz::UTC, |c| c.calendar.zone())
}

/// A report and the days it covers.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub table: Table,
    pub range: Range,
}

pub async fn report(app: &App, who: &Principal, r: &ReportRequest) -> Result<Report, Error> {
    let mut teams = who.report_teams().map_err(|_| Error::Forbidden)?;
    let range = range_of(app, r)?;
    let restricted = app.store.restricted_teams().await?;
    if let Some(team) = r.team {
        teams = Some(match teams {
            Some(mine) => mine.into_iter().filter(|t| *t == team).collect(),
            None => vec![team],
        });
    }
    let query = FactQuery {
        filter: ReportFilter {
            hidden_teams: who.hidden_teams(&restricted),
            category: r.category.clone(),
            priority: r.priority,
            channel: r.channel,
            teams,
        },
        from: range.from(),
        to: range.to(),
        open_during: r.measure == Measure::Backlog,
        dimension: if r.measure.is_timeline() { Dimension::All } else { r.by },
    };
    let (measure, by, catalog, now) = (r.measure, r.by, app.catalog.clone(), app.clock.now());
    let table = app
        .store
        .report(query, move |facts| {
            report::report(measure, by, facts, &range, &catalog, now)
        })
        .await?;
    Ok(Report { table, range })
}
