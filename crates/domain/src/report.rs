//! Reports (SPEC §11): the seed's tables, computed from one desk's own cases.
//!
//! The store reads one [`Fact`] per case created in the range (for the backlog, every case still
//! open at some point of it); everything else happens here, so both databases give the same
//! numbers and every rule is tested without one. Times are business time where the target is: a
//! first response or resolution is measured on the calendar its target ran on (the category's, or
//! the urgent clock), read off an [`Odometer`] so a year of cases costs one binary search each.
//! Medians and 90th percentiles are nearest-rank: always a value some case really had.
//!
//! Merged duplicates are counted by the `merged` measure and left out of every other one: they
//! are the same request sent again, and counting them would make volume and rates count it twice.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

use crate::calendar::{Calendar, Odometer};
use crate::case::Status;
use crate::catalog::Catalog;
use crate::csat::Rating;
use crate::sla::{ClockState, Timers};
use crate::triage::{self, Priority};

/// What a report counts (SPEC §11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Measure {
    Volume,
    FirstResponseTime,
    ResolutionTime,
    WithinTarget,
    Breaches,
    ResolutionRate,
    ReopenRate,
    NeededInfo,
    Merged,
    Urgent,
    Csat,
    EstimateError,
    HourOfWeek,
    Backlog,
}

text_enum!(Measure, "report measure", {
    Volume => "volume",
    FirstResponseTime => "first_response_time",
    ResolutionTime => "resolution_time",
    WithinTarget => "within_target",
    Breaches => "breaches",
    ResolutionRate => "resolution_rate",
    ReopenRate => "reopen_rate",
    NeededInfo => "needed_info",
    Merged => "merged",
    Urgent => "urgent",
    Csat => "csat",
    EstimateError => "estimate_error",
    HourOfWeek => "hour_of_week",
    Backlog => "backlog",
});

impl Measure {
    /// The columns of its rows after the key, `value` first.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Measure::Volume => &["value", "masked", "scam_reports"],
            Measure::FirstResponseTime | Measure::ResolutionTime => {
                &["value", "p90", "wall_median", "wall_p90", "cases"]
            }
            Measure::WithinTarget => &[
                "value",
                "met",
                "judged",
                "resolution",
                "resolution_met",
                "resolution_judged",
            ],
            Measure::Breaches => &["value", "first_response", "resolution"],
            Measure::ResolutionRate => &["value", "resolved", "cases"],
            Measure::ReopenRate => &["value", "reopened", "resolved"],
            Measure::NeededInfo => &["value", "needed_info", "cases"],
            Measure::Merged => &["value", "share"],
            Measure::Urgent => &["value", "honoured", "refused"],
            Measure::Csat => &["value", "good", "bad", "answered"],
            Measure::EstimateError => &["value", "p90", "later", "cases"],
            Measure::HourOfWeek | Measure::Backlog => &["value"],
        }
    }

    /// Over time rather than over cases: one row per hour of the week or per day, never by a
    /// dimension.
    pub fn is_timeline(self) -> bool {
        matches!(self, Measure::HourOfWeek | Measure::Backlog)
    }

    /// Its value is a duration in seconds.
    pub fn is_duration(self) -> bool {
        matches!(
            self,
            Measure::FirstResponseTime | Measure::ResolutionTime | Measure::EstimateError
        )
    }

    /// Its value is a share between 0 and 1.
    pub fn is_share(self) -> bool {
        matches!(
            self,
            Measure::WithinTarget | Measure::ResolutionRate | Measure::ReopenRate | Measure::NeededInfo | Measure::Csat
        )
    }
}

/// What a report's rows are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Dimension {
    /// One row for everything.
    #[default]
    All,
    Category,
    Subcategory,
    Channel,
    Priority,
    Team,
    Agent,
    Organisation,
    /// Weekdays, weekends and 24–26 December (the seed's slowdown), with each compared with
    /// weekdays.
    Period,
}

text_enum!(Dimension, "report dimension", {
    All => "all",
    Category => "category",
    Subcategory => "subcategory",
    Channel => "channel",
    Priority => "priority",
    Team => "team",
    Agent => "agent",
    Organisation => "organisation",
    Period => "period",
});

/// When a case came, as the seed compares them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Period {
    Weekday,
    Weekend,
    /// 24–26 December, whatever the weekday.
    Christmas,
}

text_enum!(Period, "period", {
    Weekday => "weekday",
    Weekend => "weekend",
    Christmas => "christmas",
});

fn key_period(key: &str) -> Option<Period> {
    key.parse().ok()
}

impl Period {
    pub fn of(at: DateTime<Utc>, zone: Tz) -> Period {
        let local = at.with_timezone(&zone);
        if local.month() == 12 && (24..=26).contains(&local.day()) {
            Period::Christmas
        } else if local.weekday().number_from_monday() >= 6 {
            Period::Weekend
        } else {
            Period::Weekday
        }
    }
}

/// What a report knows of one case. Its texts are borrowed: a year of a million facts is made
/// from the store's copy of the cases without copying a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact<'a> {
    /// The case's value of the report's dimension (its team's name, its category…); None where it
    /// has none (no team, no agent, no organisation). Unused by `all` and `period`.
    pub key: Option<&'a str>,
    pub created_at: DateTime<Utc>,
    /// Its category and priority now: they choose the calendar its targets run on.
    pub category: &'a str,
    pub priority: Priority,
    pub timers: Timers,
    pub urgent_requested: bool,
    /// Asked for urgency it was not entitled to (SPEC §4).
    pub penalised: bool,
    /// Came back after a resolution.
    pub reopened: bool,
    /// Waited for information from the customer: the desk asked, or it came without a phone or
    /// device.
    pub needed_info: bool,
    pub masked: bool,
    pub scam_report: bool,
    /// The customer's answer to the resolution mail, if they gave one.
    pub csat: Option<Rating>,
    /// The first answer the customer was told to expect (the live estimate).
    pub expected_first_response: Option<DateTime<Utc>>,
}

/// The days a report covers, in a time zone: `[from, to)` as instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub zone: Tz,
}

/// Why a range was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    #[error("the range ends before it starts")]
    Reversed,
    #[error("a report covers at most {MAX_DAYS} days")]
    TooLong,
}

/// Three years, the longest comparison anyone makes of a desk's seasons, and a bound on the work
/// one request may ask for.
pub const MAX_DAYS: i64 = 3 * 366;

impl Range {
    /// From the start of `first_day` to the end of `last_day`, both in `zone`.
    pub fn days(first_day: NaiveDate, last_day: NaiveDate, zone: Tz) -> Result<Range, RangeError> {
        if last_day < first_day {
            return Err(RangeError::Reversed);
        }
        if (last_day - first_day).num_days() >= MAX_DAYS {
            return Err(RangeError::TooLong);
        }
        Ok(Range {
            first_day,
            last_day,
            zone,
        })
    }

    pub fn from(&self) -> DateTime<Utc> {
        start_of(self.first_day, self.zone)
    }

    pub fn to(&self) -> DateTime<Utc> {
        start_of(self.last_day.succ_opt().unwrap_or(self.last_day), self.zone)
    }

    /// How many of the range's days fall in `period`.
    pub fn days_in(&self, period: Period) -> usize {
        self.days_iter()
            .filter(|day| Period::of(start_of(*day, self.zone) + Duration::hours(12), self.zone) == period)
            .count()
    }

    fn days_iter(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.first_day.iter_days().take_while(|d| *d <= self.last_day)
    }
}

/// A local day's first instant (after a gap at midnight, the first that exists).
fn start_of(day: NaiveDate, zone: Tz) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    (0..=24 * 60)
        .find_map(|m| zone.from_local_datetime(&(midnight + Duration::minutes(m))).earliest())
        .map_or_else(|| midnight.and_utc(), |t| t.with_timezone(&Utc))
}

/// A report: its columns and one row per key.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub measure: Measure,
    pub dimension: Dimension,
    pub columns: Vec<&'static str>,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub key: String,
    /// One per column; None where there is nothing to measure (a median of no cases).
    pub values: Vec<Option<f64>>,
}

impl Row {
    pub fn value(&self) -> Option<f64> {
        self.values.first().copied().flatten()
    }

    pub fn get(&self, table: &Table, column: &str) -> Option<f64> {
        let i = table.columns.iter().position(|c| *c == column)?;
        self.values.get(i).copied().flatten()
    }
}

/// The columns the period dimension adds: each row against the weekdays' (a difference, in the
/// measure's unit, and a ratio).
pub const VERSUS_WEEKDAY: [&str; 2] = ["vs_weekday", "vs_weekday_ratio"];

/// The column volume by period adds: cases per day of that period in the range, which is what
/// the periods are compared by.
pub const PER_DAY: &str = "per_day";

/// The key of a fact without a team, an agent or an organisation.
pub const NONE_KEY: &str = "none";

/// The report of `measure` by `dimension` over `facts` (cases created in `range`, or for the
/// backlog every case open at some point of it), judged at `now`.
pub fn report(
    measure: Measure,
    dimension: Dimension,
    facts: &[Fact],
    range: &Range,
    catalog: &Catalog,
    now: DateTime<Utc>,
) -> Table {
    let (dimension, rows) = match measure {
        Measure::HourOfWeek => (Dimension::All, hour_of_week(facts, range)),
        Measure::Backlog => (Dimension::All, backlog(facts, range)),
        _ => (dimension, grouped(measure, dimension, facts, range, catalog, now)),
    };
    let mut columns = measure.columns().to_vec();
    if dimension == Dimension::Period {
        if measure == Measure::Volume {
            columns.push(PER_DAY);
        }
        columns.extend(VERSUS_WEEKDAY);
    }
    Table {
        measure,
        dimension,
        columns,
        rows,
    }
}

fn grouped(
    measure: Measure,
    dimension: Dimension,
    facts: &[Fact],
    range: &Range,
    catalog: &Catalog,
    now: DateTime<Utc>,
) -> Vec<Row> {
    // Borrowed keys: a year of a million facts is grouped without copying a name.
    let mut groups: BTreeMap<GroupKey<'_>, Vec<&Fact>> = BTreeMap::new();
    for fact in facts {
        if fact.timers.status == Status::Merged && measure != Measure::Merged {
            continue;
        }
        groups
            .entry(group_key(dimension, fact, range.zone))
            .or_default()
            .push(fact);
    }
    let mut durations = Durations::new(facts, catalog, now);
    let mut rows: Vec<Row> = groups
        .into_iter()
        .map(|(key, facts)| Row {
            key: key.text(),
            values: measured(measure, &facts, &mut durations, now),
        })
        .collect();
    if dimension == Dimension::Period {
        // Volume is compared per day (a year has five weekdays for every two weekend days and
        // three days of Christmas); everything else as it is.
        let per_day = measure == Measure::Volume;
        for row in rows.iter_mut().filter(|_| per_day) {
            let days = key_period(&row.key).map_or(0, |p| range.days_in(p));
            let value = row.value().filter(|_| days > 0).map(|v| v / days as f64);
            row.values.push(value);
        }
        let compared = |row: &Row| {
            if per_day {
                row.values.last().copied().flatten()
            } else {
                row.value()
            }
        };
        let weekday = rows
            .iter()
            .find(|r| r.key == Period::Weekday.as_str())
            .and_then(compared);
        for row in &mut rows {
            let value = compared(row);
            row.values.push(value.zip(weekday).map(|(v, w)| v - w));
            row.values
                .push(value.zip(weekday).filter(|(_, w)| *w != 0.0).map(|(v, w)| v / w));
        }
    }
    rows
}

/// A group's key, ordered as the rows are shown: periods in their own order, the rest by name
/// with "none" last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum GroupKey<'a> {
    Period(Period),
    Named(&'a str),
    None,
}

impl GroupKey<'_> {
    fn text(&self) -> String {
        match self {
            GroupKey::Period(p) => p.as_str().to_owned(),
            GroupKey::Named(name) => (*name).to_owned(),
            GroupKey::None => NONE_KEY.to_owned(),
        }
    }
}

fn group_key<'a>(dimension: Dimension, fact: &Fact<'a>, zone: Tz) -> GroupKey<'a> {
    match dimension {
        Dimension::All => GroupKey::Named("all"),
        Dimension::Period => GroupKey::Period(Period::of(fact.created_at, zone)),
        _ => fact.key.map_or(GroupKey::None, GroupKey::Named),
    }
}

/// Every case's first response and resolution time, business and wall, on its own calendar.
struct Durations<'a> {
    catalog: &'a Catalog,
    /// One odometer per calendar, by the calendar's address in the catalog: a catalog has a
    /// handful, so a list is searched faster than a map is hashed, a million times over.
    odometers: Vec<(*const Calendar, Odometer<'a>)>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
}

static WALL_CLOCK: std::sync::LazyLock<Calendar> = std::sync::LazyLock::new(Calendar::always);

impl<'a> Durations<'a> {
    fn new(facts: &[Fact], catalog: &'a Catalog, now: DateTime<Utc>) -> Durations<'a> {
        let from = facts.iter().map(|f| f.created_at).min().unwrap_or(now);
        let to = facts
            .iter()
            .flat_map(|f| [f.timers.first_response_at, f.timers.resolved_at])
            .flatten()
            .max()
            .unwrap_or(now)
            .max(from);
        Durations {
            catalog,
            odometers: Vec::new(),
            from,
            to,
        }
    }

    /// The calendar a case's targets ran on; wall time for a category the catalog no longer has.
    fn calendar(&self, fact: &Fact) -> &'a Calendar {
        match self.catalog.category(fact.category) {
            Some(category) => triage::calendar(self.catalog, category, fact.priority),
            None => &WALL_CLOCK,
        }
    }

    /// (business, wall) from the case's creation to `at`.
    fn since_created(&mut self, fact: &Fact, at: DateTime<Utc>) -> (i64, i64) {
        let calendar = self.calendar(fact);
        let address = std::ptr::from_ref(calendar);
        let index = match self.odometers.iter().position(|(a, _)| *a == address) {
            Some(i) => i,
            None => {
                self.odometers.push((address, calendar.odometer(self.from, self.to)));
                self.odometers.len() - 1
            }
        };
        let odometer = &self.odometers[index].1;
        (
            odometer.between(fact.created_at, at).num_seconds(),
            (at - fact.created_at).num_seconds().max(0),
        )
    }
}

fn measured(measure: Measure, facts: &[&Fact], durations: &mut Durations<'_>, now: DateTime<Utc>) -> Vec<Option<f64>> {
    let n = facts.len() as f64;
    let count = |pred: &dyn Fn(&Fact) -> bool| facts.iter().filter(|f| pred(f)).count() as f64;
    let share = |part: f64, whole: f64| (whole > 0.0).then(|| part / whole);
    match measure {
        Measure::Volume => vec![Some(n), Some(count(&|f| f.masked)), Some(count(&|f| f.scam_report))],
        Measure::FirstResponseTime => times(facts, durations, |f| f.timers.first_response_at),
        Measure::ResolutionTime => times(facts, durations, ended_at),
        Measure::WithinTarget => {
            let judged = |state: ClockState| matches!(state, ClockState::Met | ClockState::Breached);
            let first = facts.iter().map(|f| f.timers.first_response(now));
            let resolution = facts.iter().map(|f| f.timers.resolution(now));
            let (met, judged_first) = tally(first, judged);
            let (res_met, judged_res) = tally(resolution, judged);
            vec![
                share(met, judged_first),
                Some(met),
                Some(judged_first),
                share(res_met, judged_res),
                Some(res_met),
                Some(judged_res),
            ]
        }
        Measure::Breaches => {
            let first = count(&|f| f.timers.first_response(now) == ClockState::Breached);
            let resolution = count(&|f| f.timers.resolution(now) == ClockState::Breached);
            let either = count(&|f| {
                f.timers.first_response(now) == ClockState::Breached || f.timers.resolution(now) == ClockState::Breached
            });
            vec![Some(either), Some(first), Some(resolution)]
        }
        Measure::ResolutionRate => {
            let resolved = count(&|f| ended_at(f).is_some());
            vec![share(resolved, n), Some(resolved), Some(n)]
        }
        Measure::ReopenRate => {
            // Of the cases ever resolved: those resolved now, and those that came back.
            let ever = count(&|f| ended_at(f).is_some() || f.reopened);
            let reopened = count(&|f| f.reopened);
            vec![share(reopened, ever), Some(reopened), Some(ever)]
        }
        Measure::NeededInfo => {
            let needed = count(&|f| f.needed_info);
            vec![share(needed, n), Some(needed), Some(n)]
        }
        Measure::Merged => {
            let merged = count(&|f| f.timers.status == Status::Merged);
            vec![Some(merged), share(merged, n)]
        }
        Measure::Urgent => {
            let requested = count(&|f| f.urgent_requested);
            let honoured = count(&|f| f.urgent_requested && f.priority == Priority::Urgent && !f.penalised);
            vec![Some(requested), Some(honoured), Some(requested - honoured)]
        }
        Measure::Csat => {
            // Of the cases answered: the share that said good.
            let good = count(&|f| f.csat == Some(Rating::Good));
            let bad = count(&|f| f.csat == Some(Rating::Bad));
            vec![share(good, good + bad), Some(good), Some(bad), Some(good + bad)]
        }
        Measure::EstimateError => {
            // How far the live estimate was from the first answer, in wall time either way, for
            // the cases that had both; and how many were answered later than told.
            let mut errors: Vec<i64> = facts
                .iter()
                .filter_map(|f| Some((f.expected_first_response?, f.timers.first_response_at?)))
                .map(|(expected, answered)| (answered - expected).num_seconds().abs())
                .collect();
            errors.sort_unstable();
            let later = count(&|f| {
                f.expected_first_response
                    .zip(f.timers.first_response_at)
                    .is_some_and(|(expected, answered)| answered > expected)
            });
            let at = |p: f64| nearest_rank(&errors, p).map(|s| s as f64);
            vec![at(0.5), at(0.9), Some(later), Some(errors.len() as f64)]
        }
        Measure::HourOfWeek | Measure::Backlog => vec![Some(n)],
    }
}

/// (how many are met, how many are judged) of some clock states.
fn tally(states: impl Iterator<Item = ClockState>, judged: impl Fn(ClockState) -> bool) -> (f64, f64) {
    states.fold((0.0, 0.0), |(met, all), s| {
        (
            met + f64::from(u8::from(s == ClockState::Met)),
            all + f64::from(u8::from(judged(s))),
        )
    })
}

/// When the case was resolved, if it stands resolved (or closed) now.
fn ended_at(f: &Fact) -> Option<DateTime<Utc>> {
    matches!(f.timers.status, Status::Resolved | Status::Closed)
        .then_some(f.timers.resolved_at)
        .flatten()
}

/// Median and p90 of the business and wall durations to `end`, and how many cases had one.
fn times(
    facts: &[&Fact],
    durations: &mut Durations<'_>,
    end: impl Fn(&Fact) -> Option<DateTime<Utc>>,
) -> Vec<Option<f64>> {
    let (mut business, mut wall) = (Vec::with_capacity(facts.len()), Vec::with_capacity(facts.len()));
    for fact in facts {
        if let Some(at) = end(fact) {
            let (b, w) = durations.since_created(fact, at);
            business.push(b);
            wall.push(w);
        }
    }
    business.sort_unstable();
    wall.sort_unstable();
    let at = |v: &[i64], p: f64| nearest_rank(v, p).map(|s| s as f64);
    vec![
        at(&business, 0.5),
        at(&business, 0.9),
        at(&wall, 0.5),
        at(&wall, 0.9),
        Some(business.len() as f64),
    ]
}

/// The nearest-rank percentile of sorted values: the smallest value with at least `p` of them at
/// or below it.
pub fn nearest_rank(sorted: &[i64], p: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Cases by the hour of the week they came in, in the range's zone: 168 rows, Monday 00 first.
fn hour_of_week(facts: &[Fact], range: &Range) -> Vec<Row> {
    let mut counts = [0u64; 168];
    for fact in facts.iter().filter(|f| f.timers.status != Status::Merged) {
        let local = fact.created_at.with_timezone(&range.zone);
        let hour = local.weekday().num_days_from_monday() as usize * 24 + local.hour() as usize;
        counts[hour] += 1;
    }
    counts
        .iter()
        .enumerate()
        .map(|(i, n)| Row {
            key: format!("{} {:02}", WEEKDAYS[i / 24], i % 24),
            values: vec![Some(*n as f64)],
        })
        .collect()
}

/// Cases open at the end of each day of the range: created by then and not resolved by then.
fn backlog(facts: &[Fact], range: &Range) -> Vec<Row> {
    // A sweep: +1 at each creation, −1 at each resolution, read at each day's end.
    let mut changes: Vec<(DateTime<Utc>, i64)> = Vec::with_capacity(facts.len() * 2);
    for fact in facts.iter().filter(|f| f.timers.status != Status::Merged) {
        changes.push((fact.created_at, 1));
        if let Some(at) = ended_at(fact) {
            changes.push((at, -1));
        }
    }
    changes.sort_unstable();
    let mut open = 0i64;
    let mut next = changes.iter().peekable();
    range
        .days_iter()
        .map(|day| {
            let end = start_of(day.succ_opt().unwrap_or(day), range.zone);
            while let Some((_, change)) = next.next_if(|(at, _)| *at < end) {
                open += change;
            }
            Row {
                key: day.to_string(),
                values: vec![Some(open as f64)],
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn fact(created: &str) -> Fact<'static> {
        let created_at = at(created);
        Fact {
            key: None,
            created_at,
            category: "payments",
            priority: Priority::Normal,
            timers: Timers {
                status: Status::Open,
                first_response_due: created_at + Duration::hours(24),
                resolution_due: created_at + Duration::hours(72),
                first_response_at: None,
                resolved_at: None,
                paused_since: None,
            },
            urgent_requested: false,
            penalised: false,
            reopened: false,
            needed_info: false,
            masked: false,
            scam_report: false,
            csat: None,
            expected_first_response: None,
        }
    }

    fn year_2026() -> Range {
        Range::days(
            NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            chrono_tz::Europe::Rome,
        )
        .unwrap()
    }

    #[test]
    fn periods_follow_the_local_calendar() {
        let rome = chrono_tz::Europe::Rome;
        // Friday 23:30 UTC is Saturday in Rome.
        assert_eq!(Period::of(at("2026-03-06T23:30:00Z"), rome), Period::Weekend);
        assert_eq!(Period::of(at("2026-03-06T22:30:00Z"), chrono_tz::UTC), Period::Weekday);
        // 24–26 December whatever the weekday (2026-12-24 is a Thursday), not the 27th.
        assert_eq!(Period::of(at("2026-12-24T08:00:00Z"), rome), Period::Christmas);
        assert_eq!(Period::of(at("2026-12-26T22:59:00Z"), rome), Period::Christmas);
        assert_eq!(Period::of(at("2026-12-26T23:00:00Z"), rome), Period::Weekend);
    }

    #[test]
    fn a_range_is_whole_local_days_and_has_bounds() {
        let r = year_2026();
        assert_eq!(r.from(), at("2025-12-31T23:00:00Z"));
        assert_eq!(r.to(), at("2026-12-31T23:00:00Z"));
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(
            Range::days(d("2026-02-02"), d("2026-02-01"), chrono_tz::UTC),
            Err(RangeError::Reversed)
        );
        assert_eq!(
            Range::days(d("2020-01-01"), d("2026-01-01"), chrono_tz::UTC),
            Err(RangeError::TooLong)
        );
    }

    #[test]
    fn first_response_time_is_business_time_on_the_case_calendar() {
        let catalog = Catalog::builtin();
        // Friday 17:00 in Rome, answered Monday 10:00: business time on the category's calendar
        // is far less than the 65 wall hours.
        let mut f = fact("2026-03-06T16:00:00Z");
        f.timers.first_response_at = Some(at("2026-03-09T09:00:00Z"));
        let category = catalog.category("payments").unwrap();
        let calendar = triage::calendar(&catalog, category, Priority::Normal);
        let expected = calendar
            .working_between(f.created_at, at("2026-03-09T09:00:00Z"))
            .num_seconds();
        let t = report(
            Measure::FirstResponseTime,
            Dimension::All,
            &[f],
            &year_2026(),
            &catalog,
            at("2026-04-01T00:00:00Z"),
        );
        let row = &t.rows[0];
        assert_eq!(row.value(), Some(expected as f64));
        assert_eq!(row.get(&t, "wall_median"), Some(65.0 * 3600.0));
        assert_eq!(row.get(&t, "cases"), Some(1.0));
    }

    #[test]
    fn merged_duplicates_count_only_as_merged() {
        let catalog = Catalog::builtin();
        let now = at("2026-04-01T00:00:00Z");
        let mut dup = fact("2026-03-02T10:00:00Z");
        dup.timers.status = Status::Merged;
        let facts = vec![fact("2026-03-02T09:00:00Z"), fact("2026-03-03T09:00:00Z"), dup];
        let volume = report(Measure::Volume, Dimension::All, &facts, &year_2026(), &catalog, now);
        assert_eq!(volume.rows[0].value(), Some(2.0));
        let merged = report(Measure::Merged, Dimension::All, &facts, &year_2026(), &catalog, now);
        assert_eq!(merged.rows[0].value(), Some(1.0));
        assert_eq!(merged.rows[0].get(&merged, "share"), Some(1.0 / 3.0));
    }

    #[test]
    fn period_rows_are_compared_with_weekdays() {
        let catalog = Catalog::builtin();
        let now = at("2026-12-31T00:00:00Z");
        let facts = vec![
            fact("2026-03-02T09:00:00Z"), // Monday
            fact("2026-03-03T09:00:00Z"), // Tuesday
            fact("2026-03-07T09:00:00Z"), // Saturday
            fact("2026-12-24T09:00:00Z"),
            fact("2026-12-25T09:00:00Z"),
            fact("2026-12-26T09:00:00Z"),
        ];
        let year = year_2026();
        // 2026: 259 weekdays, 103 weekend days and 3 of Christmas (Thursday to Saturday).
        assert_eq!(year.days_in(Period::Christmas), 3);
        assert_eq!(year.days_in(Period::Weekend), 103);
        assert_eq!(year.days_in(Period::Weekday), 259);
        let t = report(Measure::Volume, Dimension::Period, &facts, &year, &catalog, now);
        let keys: Vec<&str> = t.rows.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["weekday", "weekend", "christmas"]);
        assert_eq!(t.rows[0].get(&t, "per_day"), Some(2.0 / 259.0));
        // Three cases in three days against two in 259: per day, 129.5 times as many.
        assert_eq!(t.rows[2].get(&t, "per_day"), Some(1.0));
        let ratio = t.rows[2].get(&t, "vs_weekday_ratio").unwrap();
        assert!((ratio - 129.5).abs() < 1e-9, "{ratio}");
        assert_eq!(t.rows[1].get(&t, "vs_weekday"), Some(1.0 / 103.0 - 2.0 / 259.0));

        // Other measures are compared as they are: the median against the weekdays'.
        let mut late = fact("2026-12-24T09:00:00Z");
        late.timers.first_response_at = Some(late.created_at + Duration::hours(30));
        let mut soon = fact("2026-03-02T09:00:00Z");
        soon.timers.first_response_at = Some(soon.created_at + Duration::hours(2));
        let t = report(
            Measure::FirstResponseTime,
            Dimension::Period,
            &[late, soon],
            &year,
            &catalog,
            now,
        );
        assert!(!t.columns.contains(&PER_DAY));
        let (weekday, christmas) = (t.rows[0].value().unwrap(), t.rows[1].value().unwrap());
        assert_eq!(t.rows[1].get(&t, "vs_weekday"), Some(christmas - weekday));
    }

    #[test]
    fn cases_without_a_team_are_grouped_last_as_none() {
        let catalog = Catalog::builtin();
        let now = at("2026-12-31T00:00:00Z");
        let mut a = fact("2026-03-02T09:00:00Z");
        a.key = Some("Payments");
        let mut b = fact("2026-03-02T09:00:00Z");
        b.key = Some("Abuse");
        let facts = vec![fact("2026-03-02T09:00:00Z"), a, b];
        let t = report(Measure::Volume, Dimension::Team, &facts, &year_2026(), &catalog, now);
        let keys: Vec<&str> = t.rows.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["Abuse", "Payments", NONE_KEY]);
    }

    #[test]
    fn urgent_flags_are_honoured_or_refused() {
        let catalog = Catalog::builtin();
        let now = at("2026-12-31T00:00:00Z");
        let mut honoured = fact("2026-03-02T09:00:00Z");
        honoured.urgent_requested = true;
        honoured.priority = Priority::Urgent;
        let mut refused = fact("2026-03-02T09:00:00Z");
        refused.urgent_requested = true;
        refused.penalised = true;
        refused.priority = Priority::Low;
        let t = report(
            Measure::Urgent,
            Dimension::All,
            &[honoured, refused, fact("2026-03-02T09:00:00Z")],
            &year_2026(),
            &catalog,
            now,
        );
        assert_eq!(t.rows[0].values, vec![Some(2.0), Some(1.0), Some(1.0)]);
    }

    #[test]
    fn the_hour_of_week_is_local() {
        let catalog = Catalog::builtin();
        let now = at("2026-12-31T00:00:00Z");
        // Sunday 23:30 UTC in March is Monday 00:30 in Rome.
        let t = report(
            Measure::HourOfWeek,
            Dimension::Category,
            &[fact("2026-03-01T23:30:00Z")],
            &year_2026(),
            &catalog,
            now,
        );
        assert_eq!(t.dimension, Dimension::All);
        assert_eq!(t.rows.len(), 168);
        assert_eq!(t.rows[0].key, "mon 00");
        assert_eq!(t.rows[0].value(), Some(1.0));
        assert_eq!(t.rows.iter().filter_map(Row::value).sum::<f64>(), 1.0);
    }

    #[test]
    fn no_cases_no_median() {
        let catalog = Catalog::builtin();
        let now = at("2026-12-31T00:00:00Z");
        let t = report(
            Measure::ResolutionTime,
            Dimension::All,
            &[fact("2026-03-02T09:00:00Z")],
            &year_2026(),
            &catalog,
            now,
        );
        assert_eq!(t.rows[0].value(), None);
        assert_eq!(t.rows[0].get(&t, "cases"), Some(0.0));
    }

    proptest! {
        /// The nearest-rank percentile is a value of the set with at least p of the values at or
        /// below it and fewer than p strictly below it.
        #[test]
        fn nearest_rank_is_a_true_percentile(mut v in prop::collection::vec(-1000i64..1000, 1..200), p in 0.01f64..=1.0) {
            v.sort_unstable();
            let x = nearest_rank(&v, p).unwrap();
            prop_assert!(v.contains(&x));
            let n = v.len() as f64;
            let at_or_below = v.iter().filter(|y| **y <= x).count() as f64;
            let below = v.iter().filter(|y| **y < x).count() as f64;
            prop_assert!(at_or_below >= p * n - 1e-9);
            prop_assert!(below < p * n);
        }

        /// The backlog's sweep counts what a case-by-case check of each day's end counts.
        #[test]
        fn the_backlog_counts_what_each_day_end_sees(
            cases in prop::collection::vec((0i64..60 * 24, prop::option::of(0i64..60 * 24), any::<bool>()), 0..60)
        ) {
            let range = Range::days(
                NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
                NaiveDate::from_ymd_opt(2026, 4, 15).unwrap(),
                chrono_tz::Europe::Rome,
            ).unwrap();
            let base = at("2026-02-20T00:00:00Z");
            let facts: Vec<Fact> = cases.iter().map(|(created, resolved, merged)| {
                let mut f = fact("2026-02-20T00:00:00Z");
                f.created_at = base + Duration::hours(*created);
                if let Some(r) = resolved {
                    f.timers.status = Status::Resolved;
                    f.timers.resolved_at = Some(f.created_at + Duration::hours(*r));
                }
                if *merged {
                    f.timers.status = Status::Merged;
                }
                f
            }).collect();
            let t = report(Measure::Backlog, Dimension::All, &facts, &range, &Catalog::builtin(), base);
            prop_assert_eq!(t.rows.len(), 46);
            for row in &t.rows {
                let day: NaiveDate = row.key.parse().unwrap();
                let end = start_of(day.succ_opt().unwrap(), range.zone);
                let open = facts.iter().filter(|f| {
                    f.timers.status != Status::Merged
                        && f.created_at < end
                        && !matches!(f.timers.resolved_at, Some(r) if f.timers.status == Status::Resolved && r < end)
                }).count();
                prop_assert_eq!(row.value(), Some(open as f64));
            }
        }
    }
}
