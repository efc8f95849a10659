#![allow(clippy::unwrap_used, clippy::expect_used)]
//! A report over a year of a million cases, as the domain computes it once the store has read
//! the facts: what is left of the 1 s target after the read.
//! `cargo bench -p sportello-domain --bench report`.

use std::hint::black_box;

use chrono::{Duration, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use sportello_domain::case::Status;
use sportello_domain::catalog::Catalog;
use sportello_domain::report::{report, Dimension, Fact, Measure, Range};
use sportello_domain::sla::Timers;
use sportello_domain::triage::Priority;

/// A million cases spread over 2026, answered and resolved after a spread of delays.
fn facts(catalog: &Catalog) -> Vec<Fact<'_>> {
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let categories: Vec<&str> = catalog.categories().iter().map(|c| c.id.as_str()).collect();
    (0..1_000_000i64)
        .map(|i| {
            let created_at = start + Duration::seconds(i * 31);
            let answered = created_at + Duration::minutes((i * 7919) % 4000);
            let resolved = answered + Duration::minutes((i * 104_729) % 9000);
            let done = i % 10 != 0;
            Fact {
                key: None,
                created_at,
                category: categories[(i as usize) % categories.len()],
                priority: if i % 17 == 0 {
                    Priority::Urgent
                } else {
                    Priority::Normal
                },
                timers: Timers {
                    status: if done { Status::Resolved } else { Status::Open },
                    first_response_due: created_at + Duration::hours(24),
                    resolution_due: created_at + Duration::hours(72),
                    first_response_at: Some(answered),
                    resolved_at: done.then_some(resolved),
                    paused_since: None,
                },
                urgent_requested: i % 13 == 0,
                penalised: false,
                reopened: false,
                needed_info: false,
                masked: false,
                scam_report: false,
                csat: None,
                expected_first_response: None,
            }
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let catalog = Catalog::builtin();
    let facts = facts(&catalog);
    let range = Range::days(
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap().date_naive(),
        Utc.with_ymd_and_hms(2026, 12, 31, 0, 0, 0).unwrap().date_naive(),
        chrono_tz::Tz::UTC,
    )
    .unwrap();
    let now = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
    let mut group = c.benchmark_group("a year of a million cases");
    group.sample_size(10);
    for measure in [
        Measure::Volume,
        Measure::FirstResponseTime,
        Measure::WithinTarget,
        Measure::HourOfWeek,
    ] {
        group.bench_function(measure.as_str(), |b| {
            b.iter(|| report(measure, Dimension::All, black_box(&facts), &range, &catalog, now))
        });
    }
    group.finish();
}

criterion_group!(report_benches, benches);
criterion_main!(report_benches);
