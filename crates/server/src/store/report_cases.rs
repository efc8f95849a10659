//! Reports' copy of the cases (SPEC §11): every case, as much of it as a report reads, kept in
//! memory and brought up to date before each report from the cases that changed since the last
//! one (their id is new or their revision moved; see migration 0019). A year of a million cases
//! is then a scan of memory, not a million rows sent by the database for every report: reading
//! them took 0.6–1.5 s on SQLite and 1.3–3 s on PostgreSQL, against a target of 1 s for the whole
//! report. The price is about 150 bytes of memory per case, paid from the first report on.

use std::collections::{HashMap, HashSet};
use std::num::NonZeroI64;

use chrono::{DateTime, Utc};
use sportello_domain::access::TeamId;
use sportello_domain::case::{Channel, Status};
use sportello_domain::csat::Rating;
use sportello_domain::report::{Dimension, Fact};
use sportello_domain::sla::Timers;
use sportello_domain::triage::Priority;

/// Which cases a report counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FactQuery {
    pub filter: ReportFilter,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Every case open at some point of the range, whenever it was created (the backlog), rather
    /// than the cases created in it.
    pub open_during: bool,
    pub dimension: Dimension,
}

/// The queue's filters a report takes, and the teams its reader may not see.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportFilter {
    pub category: Option<String>,
    pub priority: Option<Priority>,
    pub channel: Option<Channel>,
    /// Only cases of these teams.
    pub teams: Option<Vec<TeamId>>,
    /// Restricted teams the reader may not see (SPEC §6): their cases are not counted at all.
    pub hidden_teams: Vec<TeamId>,
}

/// What a report reads of one case. Names are numbers in [`Names`], which each copy keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct CaseRow {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    pub timers: Timers,
    pub category: u32,
    /// "category / subcategory", the subcategory dimension's key.
    pub subcategory: u32,
    pub channel: Channel,
    pub priority: Priority,
    pub team: Option<NonZeroI64>,
    pub agent: Option<NonZeroI64>,
    pub organisation: Option<NonZeroI64>,
    pub urgent_requested: bool,
    pub penalised: bool,
    pub masked: bool,
    pub scam_report: bool,
    /// Came back after a resolution (the audit log).
    pub reopened: bool,
    /// Waited for information: the audit log shows it, or its status does now.
    pub needed_info: bool,
    pub csat: Option<Rating>,
    pub expected_first_response: Option<DateTime<Utc>>,
}

/// Texts by number, each kept once.
#[derive(Debug, Clone, Default)]
pub(super) struct Names {
    texts: Vec<String>,
    numbers: HashMap<String, u32>,
}

impl Names {
    pub fn number(&mut self, text: &str) -> u32 {
        if let Some(n) = self.numbers.get(text) {
            return *n;
        }
        let n = u32::try_from(self.texts.len()).unwrap_or(u32::MAX);
        self.texts.push(text.to_owned());
        self.numbers.insert(text.to_owned(), n);
        n
    }

    fn text(&self, number: u32) -> &str {
        self.texts.get(number as usize).map_or("", String::as_str)
    }

    fn find(&self, text: &str) -> Option<u32> {
        self.numbers.get(text).copied()
    }
}

/// Rows whose names are numbered by `from`, numbered by `into` instead.
fn renumber(rows: &mut [CaseRow], from: &Names, into: &mut Names) {
    let numbers: Vec<u32> = from.texts.iter().map(|t| into.number(t)).collect();
    let at = |n: u32| numbers.get(n as usize).copied().unwrap_or(u32::MAX);
    for row in rows {
        row.category = at(row.category);
        row.subcategory = at(row.subcategory);
    }
}

/// How far a copy has read: the next read asks for what changed after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mark {
    /// Writes are serialised: the highest id and revision the read saw.
    Sqlite { id: i64, revision: i64 },
    /// The oldest transaction still running when the read began: anything it or a later one
    /// wrote may have been invisible to the read.
    Postgres { xmin: i64 },
}

/// What one read brought: every case (a first load) or those changed since a mark, with the
/// names their numbers stand for.
#[derive(Debug, Default)]
pub(super) struct Batch {
    pub everything: bool,
    pub names: Names,
    pub rows: Vec<CaseRow>,
    pub mark: Option<Mark>,
}

impl Batch {
    /// Adds rows a part of the read numbered by names of its own.
    pub fn extend(&mut self, names: &Names, mut rows: Vec<CaseRow>) {
        renumber(&mut rows, names, &mut self.names);
        self.rows.extend(rows);
    }
}

/// The copy: cases in order of id.
#[derive(Debug, Default)]
pub(super) struct Cases {
    rows: Vec<CaseRow>,
    names: Names,
    mark: Option<Mark>,
}

/// A reopened or information-asking history, per case id, as the audit log tells it.
#[derive(Debug, Default)]
pub(super) struct Histories {
    pub reopened: HashSet<i64>,
    pub needed_info: HashSet<i64>,
}

impl Histories {
    pub fn mark(&self, row: &mut CaseRow) {
        row.reopened = self.reopened.contains(&row.id);
        row.needed_info = row.timers.status == Status::NeedsInfo || self.needed_info.contains(&row.id);
    }
}

/// A case's team, agent or organisation name, by id, for the dimension that groups by it.
pub(super) type KeyNames = HashMap<i64, String>;

impl Cases {
    /// Where the next read starts; None before the first.
    pub fn mark(&self) -> Option<Mark> {
        self.mark
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Takes in a read: its names renumbered into this copy's, each case replacing the one with
    /// its id (or added in its place).
    pub fn absorb(&mut self, batch: Batch) {
        if batch.everything {
            self.rows.clear();
        }
        let mut rows = batch.rows;
        renumber(&mut rows, &batch.names, &mut self.names);
        if self.rows.is_empty() {
            rows.sort_unstable_by_key(|r| r.id);
            rows.dedup_by_key(|r| r.id);
            self.rows = rows;
        } else {
            for row in rows {
                match self.rows.binary_search_by_key(&row.id, |r| r.id) {
                    Ok(i) => self.rows[i] = row,
                    Err(i) => self.rows.insert(i, row),
                }
            }
        }
        self.mark = batch.mark;
    }

    /// The facts of the cases `q` counts, their keys for its dimension (`names` holds the team,
    /// agent or organisation names it groups by).
    pub fn facts<'a>(&'a self, q: &FactQuery, names: &'a KeyNames) -> Vec<Fact<'a>> {
        let f = &q.filter;
        // A category this copy never saw has no cases.
        let category = match &f.category {
            Some(c) => match self.names.find(c) {
                Some(n) => Some(n),
                None => return Vec::new(),
            },
            None => None,
        };
        let team_in =
            |team: Option<NonZeroI64>, teams: &[TeamId]| team.is_some_and(|t| teams.iter().any(|x| x.0 == t.get()));
        let counted = |r: &&CaseRow| {
            let in_range = if q.open_during {
                r.timers.resolved_at.is_none_or(|at| at >= q.from) && r.timers.status != Status::Merged
            } else {
                r.created_at >= q.from
            };
            r.created_at < q.to
                && in_range
                && category.is_none_or(|c| r.category == c)
                && f.priority.is_none_or(|p| r.priority == p)
                && f.channel.is_none_or(|c| r.channel == c)
                && f.teams.as_deref().is_none_or(|teams| team_in(r.team, teams))
                && !team_in(r.team, &f.hidden_teams)
        };
        let named = |id: Option<NonZeroI64>| id.and_then(|id| names.get(&id.get())).map(String::as_str);
        self.rows
            .iter()
            .filter(counted)
            .map(|r| Fact {
                key: match q.dimension {
                    Dimension::All | Dimension::Period => None,
                    Dimension::Category => Some(self.names.text(r.category)),
                    Dimension::Subcategory => Some(self.names.text(r.subcategory)),
                    Dimension::Channel => Some(r.channel.as_str()),
                    Dimension::Priority => Some(r.priority.as_str()),
                    Dimension::Team => named(r.team),
                    Dimension::Agent => named(r.agent),
                    Dimension::Organisation => named(r.organisation),
                },
                created_at: r.created_at,
                category: self.names.text(r.category),
                priority: r.priority,
                timers: r.timers,
                urgent_requested: r.urgent_requested,
                penalised: r.penalised,
                reopened: r.reopened,
                needed_info: r.needed_info,
                masked: r.masked,
                scam_report: r.scam_report,
                csat: r.csat,
                expected_first_response: r.expected_first_response,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::TimeZone;

    fn row(id: i64, names: &mut Names, category: &str) -> CaseRow {
        let at = Utc.timestamp_millis_opt(1_700_000_000_000 + id).unwrap();
        CaseRow {
            id,
            created_at: at,
            timers: Timers {
                status: Status::Open,
                first_response_due: at,
                resolution_due: at,
                first_response_at: None,
                resolved_at: None,
                paused_since: None,
            },
            category: names.number(category),
            subcategory: names.number(&format!("{category} / other")),
            channel: Channel::Web,
            priority: Priority::Normal,
            team: NonZeroI64::new(id % 3),
            agent: None,
            organisation: None,
            urgent_requested: false,
            penalised: false,
            masked: false,
            scam_report: false,
            reopened: false,
            needed_info: false,
            csat: None,
            expected_first_response: None,
        }
    }

    fn batch(everything: bool, rows: &[(i64, &str)]) -> Batch {
        let mut names = Names::default();
        let rows = rows.iter().map(|(id, c)| row(*id, &mut names, c)).collect();
        Batch {
            everything,
            names,
            rows,
            mark: Some(Mark::Sqlite { id: 0, revision: 0 }),
        }
    }

    fn categories(cases: &Cases, q: &FactQuery) -> Vec<String> {
        let names = KeyNames::new();
        cases.facts(q, &names).iter().map(|f| f.category.to_owned()).collect()
    }

    fn all() -> FactQuery {
        FactQuery {
            from: Utc.timestamp_millis_opt(0).unwrap(),
            to: Utc.timestamp_millis_opt(i64::from(i32::MAX) * 1000).unwrap(),
            ..FactQuery::default()
        }
    }

    /// A later read replaces a case by its id, adds a new one in id order, and its own numbering
    /// of names becomes the copy's.
    #[test]
    fn a_read_replaces_cases_by_id_and_renumbers_their_names() {
        let mut cases = Cases::default();
        cases.absorb(batch(true, &[(3, "payments"), (1, "account"), (5, "account")]));
        assert_eq!(categories(&cases, &all()), ["account", "payments", "account"]);
        cases.absorb(batch(false, &[(5, "security"), (4, "payments"), (9, "account")]));
        assert_eq!(
            categories(&cases, &all()),
            ["account", "payments", "payments", "security", "account"]
        );
        let ids: Vec<i64> = cases.rows.iter().map(|r| r.id).collect();
        assert_eq!(ids, [1, 3, 4, 5, 9]);
        cases.absorb(batch(true, &[(2, "security")]));
        assert_eq!(categories(&cases, &all()), ["security"]);
    }

    /// The filters as the queue reads them: a named category, teams, hidden teams (a case without
    /// a team is never a hidden team's, and never one of the named teams').
    #[test]
    fn filters_count_what_the_queue_would() {
        let mut cases = Cases::default();
        cases.absorb(batch(
            true,
            &[(1, "account"), (2, "payments"), (3, "account"), (4, "payments")],
        ));
        let with = |filter: ReportFilter| {
            let q = FactQuery { filter, ..all() };
            let names = KeyNames::new();
            cases
                .facts(&q, &names)
                .iter()
                .map(|f| f.created_at.timestamp_millis() - 1_700_000_000_000)
                .collect::<Vec<_>>()
        };
        assert_eq!(with(ReportFilter::default()), [1, 2, 3, 4]);
        let account = ReportFilter {
            category: Some("account".into()),
            ..ReportFilter::default()
        };
        assert_eq!(with(account), [1, 3]);
        let unknown = ReportFilter {
            category: Some("nothing".into()),
            ..ReportFilter::default()
        };
        assert!(with(unknown).is_empty());
        // Teams are id % 3: 1 → 1, 2 → 2, 3 → none, 4 → 1.
        let team_one = ReportFilter {
            teams: Some(vec![TeamId(1)]),
            ..ReportFilter::default()
        };
        assert_eq!(with(team_one), [1, 4]);
        let no_team = ReportFilter {
            teams: Some(vec![]),
            ..ReportFilter::default()
        };
        assert!(with(no_team).is_empty());
        let hidden = ReportFilter {
            hidden_teams: vec![TeamId(1)],
            ..ReportFilter::default()
        };
        assert_eq!(with(hidden), [2, 3]);
    }
}
