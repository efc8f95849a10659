//! Business calendars (SPEC §4 "Clocks"): the time that counts towards a due time.
//!
//! A calendar is weekly opening hours in a time zone, minus holidays; `always` counts every hour.
//! Local times are converted with the zone's rules, so a day with a DST jump is as long as it
//! really is: an interval counts every real instant whose local time falls inside it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

/// How a catalog declares a calendar:
///
/// ```toml
/// [calendars.office]
/// timezone = "Europe/Rome"
/// hours = { mon = ["09:00-13:00", "14:00-18:00"], fri = ["09:00-13:00"] }
/// holidays = ["12-25", "01-01", "2026-04-06"]   # MM-DD every year, or one date
/// ```
/// No `hours` means every hour of every day that is not a holiday.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSpec {
    pub timezone: Option<String>,
    pub hours: Option<BTreeMap<String, Vec<String>>>,
    #[serde(default)]
    pub holidays: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("unknown time zone `{0}` (use an IANA name such as Europe/Rome)")]
    UnknownZone(String),
    #[error("unknown weekday `{0}` (use mon, tue, wed, thu, fri, sat, sun)")]
    UnknownWeekday(String),
    #[error("`{0}` is not an interval HH:MM-HH:MM with start before end, within 00:00-24:00")]
    BadInterval(String),
    #[error("intervals overlap on {0}")]
    Overlap(String),
    #[error("`{0}` is not a holiday (MM-DD or YYYY-MM-DD)")]
    BadHoliday(String),
    #[error("the calendar has no working time")]
    NoWorkingTime,
}

/// A working week in a zone, minus holidays. Built once, used for every due time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    zone: Tz,
    /// Seconds since local midnight, `[start, end)`, sorted, per weekday from Monday.
    week: [Vec<(u32, u32)>; 7],
    yearly: BTreeSet<(u32, u32)>,
    dates: BTreeSet<NaiveDate>,
    /// Every instant counts: no hours and no holidays.
    always: bool,
}

const DAY: u32 = 86_400;
const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
/// No due time in this product is years away; a walk this long means the calendar is almost closed.
const MAX_DAYS_WALKED: u32 = 20_000;

impl Calendar {
    /// 24/7.
    pub fn always() -> Calendar {
        Calendar {
            zone: Tz::UTC,
            week: std::array::from_fn(|_| vec![(0, DAY)]),
            yearly: BTreeSet::new(),
            dates: BTreeSet::new(),
            always: true,
        }
    }

    /// SPEC §4's default: Monday–Friday, 00:00–24:00 UTC; 24, 25, 26 December and 1 January off.
    pub fn support_days() -> Calendar {
        Calendar {
            zone: Tz::UTC,
            week: std::array::from_fn(|d| if d < 5 { vec![(0, DAY)] } else { Vec::new() }),
            yearly: [(12, 24), (12, 25), (12, 26), (1, 1)].into_iter().collect(),
            dates: BTreeSet::new(),
            always: false,
        }
    }

    pub fn from_spec(spec: &CalendarSpec) -> Result<Calendar, CalendarError> {
        let zone = match &spec.timezone {
            None => Tz::UTC,
            Some(name) => name
                .parse::<Tz>()
                .map_err(|_| CalendarError::UnknownZone(name.clone()))?,
        };
        let week = match &spec.hours {
            None => std::array::from_fn(|_| vec![(0, DAY)]),
            Some(hours) => {
                let mut week: [Vec<(u32, u32)>; 7] = Default::default();
                for (day, intervals) in hours {
                    let index = WEEKDAYS
                        .iter()
                        .position(|d| d.eq_ignore_ascii_case(day))
                        .ok_or_else(|| CalendarError::UnknownWeekday(day.clone()))?;
                    let mut parsed: Vec<(u32, u32)> =
                        intervals.iter().map(|i| interval(i)).collect::<Result<_, _>>()?;
                    parsed.sort_unstable();
                    if parsed.windows(2).any(|w| w[0].1 > w[1].0) {
                        return Err(CalendarError::Overlap(day.clone()));
                    }
                    week[index] = parsed;
                }
                week
            }
        };
        if week.iter().all(Vec::is_empty) {
            return Err(CalendarError::NoWorkingTime);
        }
        let (mut yearly, mut dates) = (BTreeSet::new(), BTreeSet::new());
        for text in &spec.holidays {
            let bad = || CalendarError::BadHoliday(text.clone());
            if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                dates.insert(date);
            } else {
                let (m, d) = text.split_once('-').ok_or_else(bad)?;
                let (m, d): (u32, u32) = (m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
                // 2024 is a leap year: 02-29 is a valid yearly holiday.
                NaiveDate::from_ymd_opt(2024, m, d).ok_or_else(bad)?;
                yearly.insert((m, d));
            }
        }
        if yearly.len() >= 366 {
            return Err(CalendarError::NoWorkingTime);
        }
        let always = spec.hours.is_none() && yearly.is_empty() && dates.is_empty();
        Ok(Calendar {
            zone,
            week,
            yearly,
            dates,
            always,
        })
    }

    /// The instant at which `working` time has elapsed on this calendar, counting from `start`.
    /// Zero (or negative) working time is `start` itself, even outside working hours.
    pub fn add(&self, start: DateTime<Utc>, working: Duration) -> DateTime<Utc> {
        if working <= Duration::zero() {
            return start;
        }
        if self.always {
            return start.checked_add_signed(working).unwrap_or(DateTime::<Utc>::MAX_UTC);
        }
        let mut left = working;
        for (from, to) in self.intervals_from(start) {
            let available = to - from;
            if left <= available {
                return from + left;
            }
            left -= available;
        }
        DateTime::<Utc>::MAX_UTC
    }

    /// Working time between two instants; zero when `b` is not after `a`.
    pub fn working_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> Duration {
        if b <= a {
            return Duration::zero();
        }
        if self.always {
            return b - a;
        }
        let mut total = Duration::zero();
        for (from, to) in self.intervals_from(a) {
            if from >= b {
                break;
            }
            total += to.min(b) - from;
        }
        total
    }

    /// Working time read off like a meter over `[from, to]`: [`Odometer::between`] equals
    /// [`Calendar::working_between`] but costs a binary search, not a walk through the days, so a
    /// report can measure a million intervals on one calendar.
    pub fn odometer(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Odometer<'_> {
        let mut intervals = Vec::new();
        if !self.always && from < to {
            let mut counted = 0;
            for (a, b) in self.intervals_from(from) {
                if a >= to {
                    break;
                }
                let (a, b) = (a.timestamp_millis(), b.min(to).timestamp_millis());
                intervals.push(Reading {
                    start: a,
                    end: b,
                    before: counted,
                });
                counted += b - a;
            }
        }
        Odometer {
            calendar: self,
            from: from.timestamp_millis(),
            to: to.timestamp_millis(),
            intervals,
        }
    }

    /// The zone its hours are in.
    pub fn zone(&self) -> Tz {
        self.zone
    }

    pub fn is_working(&self, at: DateTime<Utc>) -> bool {
        self.always || self.intervals_from(at).next().is_some_and(|(from, _)| from <= at)
    }

    /// Working intervals in UTC, in order, the first clipped to start at `start`.
    fn intervals_from(&self, start: DateTime<Utc>) -> impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>)> + '_ {
        // The previous local day too: its last interval may still be running at `start` in UTC.
        let first_day = start
            .with_timezone(&self.zone)
            .date_naive()
            .pred_opt()
            .unwrap_or(NaiveDate::MIN);
        first_day
            .iter_days()
            .take(MAX_DAYS_WALKED as usize)
            .filter(|day| !self.is_holiday(*day))
            .flat_map(move |day| {
                let weekday = day.weekday().num_days_from_monday() as usize;
                self.week[weekday].iter().filter_map(move |&(s, e)| {
                    let from = self.instant(day, s, Boundary::Start)?;
                    let to = self.instant(day, e, Boundary::End)?;
                    let from = from.max(start);
                    (to > from).then_some((from, to))
                })
            })
    }

    fn is_holiday(&self, day: NaiveDate) -> bool {
        self.dates.contains(&day) || self.yearly.contains(&(day.month(), day.day()))
    }

    /// The UTC instant of a local time of day; `seconds` may be 86 400 (the next midnight).
    fn instant(&self, day: NaiveDate, seconds: u32, boundary: Boundary) -> Option<DateTime<Utc>> {
        let local: NaiveDateTime = day.and_hms_opt(0, 0, 0)? + Duration::seconds(i64::from(seconds));
        match self.zone.from_local_datetime(&local) {
            LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
            // A repeated hour: an interval takes in both of its occurrences.
            LocalResult::Ambiguous(early, late) => {
                Some(if boundary == Boundary::Start { early } else { late }.with_timezone(&Utc))
            }
            // A skipped hour: the clock resumes at the end of the gap; a minute walk finds it.
            LocalResult::None => (1..=24 * 60).find_map(|m| {
                self.zone
                    .from_local_datetime(&(local + Duration::minutes(m)))
                    .earliest()
                    .map(|t| t.with_timezone(&Utc))
            }),
        }
    }
}

/// See [`Calendar::odometer`].
#[derive(Debug, Clone)]
pub struct Odometer<'a> {
    calendar: &'a Calendar,
    /// The range read off the meter, in milliseconds; instants outside it walk the calendar.
    from: i64,
    to: i64,
    intervals: Vec<Reading>,
}

/// One working interval in milliseconds, and the working time counted before it.
#[derive(Debug, Clone, Copy)]
struct Reading {
    start: i64,
    end: i64,
    before: i64,
}

impl Odometer<'_> {
    /// Working time between two instants; zero when `b` is not after `a`.
    pub fn between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> Duration {
        if b <= a {
            return Duration::zero();
        }
        if self.calendar.always {
            return b - a;
        }
        let (ma, mb) = (a.timestamp_millis(), b.timestamp_millis());
        // Sub-millisecond instants or ones outside the range: the calendar's own walk.
        let exact = |t: DateTime<Utc>| t.timestamp_subsec_nanos() % 1_000_000 == 0;
        if ma < self.from || mb > self.to || !exact(a) || !exact(b) {
            return self.calendar.working_between(a, b);
        }
        Duration::milliseconds(self.reading(mb) - self.reading(ma))
    }

    /// Working milliseconds from the range's start to `t`.
    fn reading(&self, t: i64) -> i64 {
        match self.intervals.partition_point(|r| r.start <= t) {
            0 => 0,
            i => {
                let r = self.intervals[i - 1];
                r.before + t.min(r.end) - r.start
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Boundary {
    Start,
    End,
}

/// `HH:MM-HH:MM` → seconds since midnight, `24:00` allowed as an end.
fn interval(text: &str) -> Result<(u32, u32), CalendarError> {
    let bad = || CalendarError::BadInterval(text.to_owned());
    let (a, b) = text.split_once('-').ok_or_else(bad)?;
    let time = |t: &str| -> Option<u32> {
        let (h, m) = t.trim().split_once(':')?;
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 3600 + m * 60)
    };
    let (start, end) = (time(a).ok_or_else(bad)?, time(b).ok_or_else(bad)?);
    if start < end {
        Ok((start, end))
    } else {
        Err(bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn office(zone: &str, holidays: &[&str]) -> Calendar {
        let hours: BTreeMap<String, Vec<String>> = ["mon", "tue", "wed", "thu", "fri"]
            .iter()
            .map(|d| (d.to_string(), vec!["09:00-18:00".to_owned()]))
            .collect();
        Calendar::from_spec(&CalendarSpec {
            timezone: Some(zone.to_owned()),
            hours: Some(hours),
            holidays: holidays.iter().map(|h| h.to_string()).collect(),
        })
        .unwrap()
    }

    #[test]
    fn spec_example_friday_evening_plus_24_hours_is_monday_evening() {
        let due = Calendar::support_days().add(utc(2026, 11, 27, 20, 0), Duration::hours(24));
        assert_eq!(due, utc(2026, 11, 30, 20, 0));
    }

    #[test]
    fn christmas_and_new_year_do_not_count() {
        let c = Calendar::support_days();
        // 2029: 24–26 December are Monday–Wednesday. Friday 21 Dec 20:00 + 24 h:
        // Friday 4 h, then Thursday 27 Dec 00:00 + 20 h.
        assert_eq!(
            c.add(utc(2029, 12, 21, 20, 0), Duration::hours(24)),
            utc(2029, 12, 27, 20, 0)
        );
        // Monday 31 Dec 2029 12:00 + 24 h: 12 h on the 31st, 1 January off, 12 h on the 2nd.
        assert_eq!(
            c.add(utc(2029, 12, 31, 12, 0), Duration::hours(24)),
            utc(2030, 1, 2, 12, 0)
        );
    }

    #[test]
    fn always_counts_weekends() {
        let c = Calendar::always();
        assert_eq!(
            c.add(utc(2026, 11, 28, 22, 0), Duration::hours(6)),
            utc(2026, 11, 29, 4, 0)
        );
        assert_eq!(
            c.working_between(utc(2026, 11, 28, 0, 0), utc(2026, 11, 30, 0, 0)),
            Duration::hours(48)
        );
    }

    #[test]
    fn zero_duration_is_the_start_even_outside_hours() {
        let saturday = utc(2026, 11, 28, 10, 0);
        assert_eq!(Calendar::support_days().add(saturday, Duration::zero()), saturday);
        assert!(!Calendar::support_days().is_working(saturday));
        assert!(Calendar::support_days().is_working(utc(2026, 11, 27, 23, 59)));
    }

    #[test]
    fn rome_office_hours_across_dst() {
        let rome = office("Europe/Rome", &[]);
        // Friday 27 March 2026, 17:00 CET (16:00 UTC) + 2 h: 1 h Friday, 1 h Monday 30 March from 09:00
        // CEST (07:00 UTC); the clocks moved on Sunday.
        assert_eq!(
            rome.add(utc(2026, 3, 27, 16, 0), Duration::hours(2)),
            utc(2026, 3, 30, 8, 0)
        );
        // Friday 23 October 17:00 CEST (15:00 UTC) + 2 h → Monday 26 October 10:00 CET (09:00 UTC).
        assert_eq!(
            rome.add(utc(2026, 10, 23, 15, 0), Duration::hours(2)),
            utc(2026, 10, 26, 9, 0)
        );
        // A full week is 45 h in either season.
        for monday in [utc(2026, 3, 23, 0, 0), utc(2026, 10, 19, 0, 0)] {
            assert_eq!(
                rome.working_between(monday, monday + Duration::days(7)),
                Duration::hours(45)
            );
        }
    }

    #[test]
    fn new_york_office_hours_across_dst() {
        let ny = office("America/New_York", &[]);
        // Friday 6 March 2026 17:00 EST (22:00 UTC) + 2 h → Monday 9 March 10:00 EDT (14:00 UTC).
        assert_eq!(
            ny.add(utc(2026, 3, 6, 22, 0), Duration::hours(2)),
            utc(2026, 3, 9, 14, 0)
        );
        // Friday 30 October 17:00 EDT (21:00 UTC) + 2 h → Monday 2 November 10:00 EST (15:00 UTC).
        assert_eq!(
            ny.add(utc(2026, 10, 30, 21, 0), Duration::hours(2)),
            utc(2026, 11, 2, 15, 0)
        );
    }

    #[test]
    fn hours_over_the_skipped_and_repeated_hour_count_real_time() {
        let night = |zone: &str| {
            Calendar::from_spec(&CalendarSpec {
                timezone: Some(zone.into()),
                hours: Some(
                    WEEKDAYS
                        .iter()
                        .map(|d| (d.to_string(), vec!["01:00-04:00".to_owned()]))
                        .collect(),
                ),
                holidays: vec![],
            })
            .unwrap()
        };
        let rome = night("Europe/Rome");
        // 29 March 2026: 02:00–03:00 does not exist, so 01:00–04:00 lasts 2 h.
        let day = |d: u32, m: u32| {
            (
                utc(2026, m, d, 0, 0) - Duration::hours(3),
                utc(2026, m, d, 0, 0) + Duration::hours(6),
            )
        };
        let (a, b) = day(29, 3);
        assert_eq!(rome.working_between(a, b), Duration::hours(2));
        // 25 October 2026: 02:00–03:00 happens twice, so 01:00–04:00 lasts 4 h.
        let (a, b) = day(25, 10);
        assert_eq!(rome.working_between(a, b), Duration::hours(4));
        let (a, b) = day(1, 11);
        assert_eq!(
            night("America/New_York").working_between(a - Duration::hours(6), b + Duration::hours(6)),
            Duration::hours(4)
        );
    }

    #[test]
    fn holidays_are_local_dates() {
        let rome = office("Europe/Rome", &["2026-12-08", "12-25"]);
        // Monday 7 December 17:00 CET + 2 h: Tuesday 8 is a holiday → Wednesday 9 at 10:00 CET.
        assert_eq!(
            rome.add(utc(2026, 12, 7, 16, 0), Duration::hours(2)),
            utc(2026, 12, 9, 9, 0)
        );
    }

    #[test]
    fn bad_specs_are_refused_with_a_reason() {
        let spec = |zone: Option<&str>, hours: &[(&str, &[&str])], holidays: &[&str]| CalendarSpec {
            timezone: zone.map(Into::into),
            hours: Some(
                hours
                    .iter()
                    .map(|(d, i)| (d.to_string(), i.iter().map(|s| s.to_string()).collect()))
                    .collect(),
            ),
            holidays: holidays.iter().map(|h| h.to_string()).collect(),
        };
        let err = |s: CalendarSpec| Calendar::from_spec(&s).unwrap_err();
        assert_eq!(
            err(spec(Some("Mars/Olympus"), &[("mon", &["09:00-17:00"])], &[])),
            CalendarError::UnknownZone("Mars/Olympus".into())
        );
        assert_eq!(
            err(spec(None, &[("monday", &["09:00-17:00"])], &[])),
            CalendarError::UnknownWeekday("monday".into())
        );
        assert!(matches!(
            err(spec(None, &[("mon", &["17:00-09:00"])], &[])),
            CalendarError::BadInterval(_)
        ));
        assert!(matches!(
            err(spec(None, &[("mon", &["09:00-24:30"])], &[])),
            CalendarError::BadInterval(_)
        ));
        assert!(matches!(
            err(spec(None, &[("mon", &["9-17"])], &[])),
            CalendarError::BadInterval(_)
        ));
        assert_eq!(
            err(spec(None, &[("mon", &["09:00-13:00", "12:00-18:00"])], &[])),
            CalendarError::Overlap("mon".into())
        );
        assert_eq!(err(spec(None, &[("mon", &[])], &[])), CalendarError::NoWorkingTime);
        assert!(matches!(
            err(spec(None, &[("mon", &["09:00-17:00"])], &["02-30"])),
            CalendarError::BadHoliday(_)
        ));
        assert!(matches!(
            err(spec(None, &[("mon", &["09:00-17:00"])], &["Christmas"])),
            CalendarError::BadHoliday(_)
        ));
        let every_day: Vec<String> = NaiveDate::from_ymd_opt(2024, 1, 1)
            .unwrap()
            .iter_days()
            .take(366)
            .map(|d| d.format("%m-%d").to_string())
            .collect();
        let all: Vec<&str> = every_day.iter().map(String::as_str).collect();
        assert_eq!(
            err(spec(None, &[("mon", &["09:00-17:00"])], &all)),
            CalendarError::NoWorkingTime
        );
    }

    #[test]
    fn a_nearly_closed_calendar_still_terminates() {
        // Open one day a year, Monday only: February 29 on a Monday happens every 28 years.
        let every_day_but_leap: Vec<String> = NaiveDate::from_ymd_opt(2024, 1, 1)
            .unwrap()
            .iter_days()
            .take(366)
            .map(|d| d.format("%m-%d").to_string())
            .filter(|d| d != "02-29")
            .collect();
        let c = Calendar::from_spec(&CalendarSpec {
            timezone: None,
            hours: Some([("mon".to_owned(), vec!["09:00-10:00".to_owned()])].into()),
            holidays: every_day_but_leap,
        })
        .unwrap();
        let due = c.add(utc(2026, 1, 1, 0, 0), Duration::hours(1000));
        assert_eq!(due, DateTime::<Utc>::MAX_UTC);
    }

    fn calendars() -> Vec<Calendar> {
        vec![
            Calendar::support_days(),
            Calendar::always(),
            office("Europe/Rome", &["12-25", "2031-06-02"]),
            office("America/New_York", &["07-04"]),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn the_odometer_reads_what_the_calendar_counts(
            which in 0usize..4,
            start in 946_684_800_000i64..4_102_444_800_000, // 2000–2100, in milliseconds
            span in 0i64..(40 * 86_400_000),
            a in 0i64..(45 * 86_400_000),
            b in 0i64..(45 * 86_400_000),
        ) {
            let cal = &calendars()[which];
            let ms = |t: i64| DateTime::from_timestamp_millis(t).unwrap();
            let meter = cal.odometer(ms(start), ms(start + span));
            // a and b fall inside the range or past it (then the calendar's walk answers).
            let (a, b) = (ms(start + a.min(b)), ms(start + a.max(b)));
            prop_assert_eq!(meter.between(a, b), cal.working_between(a, b));
            prop_assert_eq!(meter.between(b, a), Duration::zero());
        }

        #[test]
        fn due_times_obey_the_calendar_laws(
            which in 0usize..4,
            c1 in 946_684_800i64..4_102_444_800, // 2000–2100
            gap in 0i64..(30 * 86_400),
            a in 0i64..(15 * 86_400),
            b in 0i64..(15 * 86_400),
        ) {
            let cal = &calendars()[which];
            let c1 = DateTime::from_timestamp(c1, 0).unwrap();
            let c2 = c1 + Duration::seconds(gap);
            let (a, b) = (Duration::seconds(a), Duration::seconds(b));
            let due = cal.add(c1, a);
            prop_assert!(due >= c1);
            prop_assert!(cal.add(c2, a) >= due, "monotonic in created");
            prop_assert!(cal.add(c1, a + b) >= due, "monotonic in duration");
            prop_assert_eq!(cal.working_between(c1, due), a, "only calendar time is counted");
            prop_assert_eq!(cal.add(due, b), cal.add(c1, a + b), "a then b is a + b");
            if a >= Duration::seconds(1) {
                prop_assert!(cal.is_working(due - Duration::seconds(1)), "the last counted second is working time");
            }
        }
    }
}
