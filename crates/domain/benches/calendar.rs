#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Business time of one case, as a report over a year reads it a million times: the calendar's
//! walk through the days against the odometer's binary search over the year.
//! `cargo bench -p sportello-domain --bench calendar`.

use std::hint::black_box;

use chrono::{DateTime, Duration, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use sportello_domain::calendar::{Calendar, CalendarSpec};

fn rome_office() -> Calendar {
    let hours = ["mon", "tue", "wed", "thu", "fri"]
        .iter()
        .map(|d| (d.to_string(), vec!["09:00-13:00".to_owned(), "14:00-18:00".to_owned()]))
        .collect();
    Calendar::from_spec(&CalendarSpec {
        timezone: Some("Europe/Rome".to_owned()),
        hours: Some(hours),
        holidays: vec!["12-25".to_owned(), "01-01".to_owned()],
    })
    .unwrap()
}

fn benches(c: &mut Criterion) {
    let year = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    // A case that came on a Friday evening and was answered two and a half days later.
    let created: DateTime<Utc> = Utc.with_ymd_and_hms(2026, 6, 12, 19, 30, 0).unwrap();
    let answered = created + Duration::minutes(60 * 62 + 17);
    for (name, calendar) in [
        ("support_days", Calendar::support_days()),
        ("office, Europe/Rome", rome_office()),
    ] {
        let meter = calendar.odometer(year, year + Duration::days(365));
        assert_eq!(
            meter.between(created, answered),
            calendar.working_between(created, answered)
        );
        c.bench_function(&format!("{name}: working_between, walking the days"), |b| {
            b.iter(|| calendar.working_between(black_box(created), black_box(answered)))
        });
        c.bench_function(&format!("{name}: odometer over a year, between"), |b| {
            b.iter(|| meter.between(black_box(created), black_box(answered)))
        });
        c.bench_function(&format!("{name}: making the year's odometer"), |b| {
            b.iter(|| calendar.odometer(black_box(year), year + Duration::days(365)))
        });
    }
}

criterion_group!(calendar, benches);
criterion_main!(calendar);
