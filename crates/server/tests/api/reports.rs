//! Reports (SPEC §11) against the real server on both backends: a year of cases written through
//! the API at chosen instants (replies, resolutions, reopenings, requests for information,
//! merges), and every number of the reports checked against what this test computes itself from
//! the cases as stored: its own grouping, its own nearest-rank medians, business time walked on
//! the case's calendar. Access (admins all, leads their teams, agents none), CSV, bad parameters.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc};
use chrono_tz::Europe::Rome;
use serde_json::{json, Value};
use sportello::app::Clock;
use sportello::store::Case;
use sportello_domain::access::{Role, Scope};
use sportello_domain::case::Status;
use sportello_domain::catalog::Catalog;
use sportello_domain::sla::{ClockState, Timers};
use sportello_domain::triage;

use crate::desk::{agent, api_get, api_post, case, safety_team, token};
use crate::helpers::{backends_with, complete, Options, TestApp};

const CATEGORIES: [(&str, &str); 3] = [
    ("payments", "refund"),
    ("account", "banned"),
    ("security", "account_stolen"),
];

fn request(n: u32, category: &str, subcategory: &str) -> Value {
    let mut r = complete(n);
    r["category"] = json!(category);
    r["subcategory"] = json!(subcategory);
    if category != "payments" {
        r.as_object_mut().unwrap().remove("transaction_id");
        r.as_object_mut().unwrap().remove("amount");
    }
    r
}

/// A small deterministic generator: the data set is the same on every run and backend.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

/// What the test did to each case, in the order it did it.
pub(crate) struct Written {
    number: String,
    reopened: bool,
    asked: bool,
}

async fn post(app: &TestApp, t: &str, path: &str, body: Value) {
    let (status, answer) = api_post(app, t, path, body, None).await;
    assert!(status < 300, "{path}: {status} {answer}");
}

/// Forty cases over 2026, three on 24–26 December, several on weekends; most answered, many
/// resolved, some reopened, some asked for information; then one with two duplicates merged
/// into it.
pub(crate) async fn seed(app: &TestApp, clock: &Clock, t: &str) -> Vec<Written> {
    let mut rng = Lcg(7);
    let mut written = Vec::new();
    let start: DateTime<Utc> = "2026-01-05T07:00:00Z".parse().unwrap();
    for i in 0..40u32 {
        let created = match i {
            0 => "2026-12-24T09:15:00Z".parse().unwrap(),
            1 => "2026-12-25T17:40:00Z".parse().unwrap(),
            2 => "2026-12-26T08:05:00Z".parse().unwrap(),
            _ => start + Duration::minutes(rng.next(340 * 24 * 60) as i64),
        };
        let (category, subcategory) = CATEGORIES[i as usize % 3];
        clock.set(created);
        let mut body = request(i, category, subcategory);
        // Two payments cases come without their amount: the desk asks for it.
        let asked = category == "payments" && i % 4 == 0;
        if asked {
            body.as_object_mut().unwrap().remove("amount");
        }
        let number = case(app, &body).await;
        let path = |what: &str| format!("/api/v1/tickets/{number}/{what}");
        let mut reopened = false;
        if asked {
            clock.set(created + Duration::minutes(20));
            post(app, t, &path("request-info"), json!({})).await;
        }
        if rng.next(10) < 8 {
            clock.set(created + Duration::minutes(30 + rng.next(4000) as i64));
            post(app, t, &path("reply"), json!({"body": "Ecco cosa succede."})).await;
            if rng.next(10) < 7 {
                clock.advance(Duration::hours(1 + rng.next(90) as i64));
                post(app, t, &path("status"), json!({"status": "resolved"})).await;
                if rng.next(5) == 0 {
                    clock.advance(Duration::hours(5));
                    post(app, t, &path("status"), json!({"status": "open"})).await;
                    reopened = true;
                }
            }
        }
        written.push(Written {
            number,
            reopened,
            asked,
        });
    }
    // A case and two duplicates of it, folded into it.
    let mut kept = Vec::new();
    for (n, at) in [
        (40u32, "2026-11-10T10:00:00Z"),
        (41, "2026-11-10T10:05:00Z"),
        (42, "2026-11-10T11:00:00Z"),
    ] {
        clock.set(at.parse().unwrap());
        kept.push(case(app, &request(n, "account", "banned")).await);
    }
    for dup in &kept[1..] {
        post(
            app,
            t,
            &format!("/api/v1/tickets/{dup}/merge"),
            json!({"into": kept[0]}),
        )
        .await;
    }
    written.extend(kept.into_iter().map(|number| Written {
        number,
        reopened: false,
        asked: false,
    }));
    written
}

async fn report(app: &TestApp, t: &str, query: &str) -> Value {
    let (status, body) = api_get(app, t, &format!("/api/v1/reports/{query}")).await;
    assert_eq!(status, 200, "{query}: {body}");
    body
}

/// `key → row` of a report.
fn rows(body: &Value) -> BTreeMap<String, Value> {
    body["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|r| (r["key"].as_str().unwrap().to_owned(), r.clone()))
        .collect()
}

fn nearest_rank(mut v: Vec<i64>, p: f64) -> Option<i64> {
    v.sort_unstable();
    // The smallest value with at least p of the values at or below it, by counting.
    v.iter()
        .copied()
        .find(|x| v.iter().filter(|y| *y <= x).count() as f64 >= p * v.len() as f64)
}

fn timers(c: &Case) -> Timers {
    Timers {
        status: c.status,
        first_response_due: c.first_response_due,
        resolution_due: c.resolution_due,
        first_response_at: c.first_response_at,
        resolved_at: c.resolved_at,
        paused_since: c.paused_since,
    }
}

fn resolved(c: &Case) -> Option<DateTime<Utc>> {
    matches!(c.status, Status::Resolved | Status::Closed)
        .then_some(c.resolved_at)
        .flatten()
}

#[tokio::test]
async fn every_number_of_the_reports_is_what_the_cases_say() {
    let clock = Clock::fixed("2026-01-01T00:00:00Z".parse().unwrap());
    let options = Options {
        clock: Some(clock.clone()),
        ..Options::default()
    };
    for app in backends_with(options).await {
        agent(&app, "boss@desk.test", Role::Admin, &[]).await;
        let boss = token(&app, "boss@desk.test", Scope::Read).await;
        agent(&app, "ada@desk.test", Role::Agent, &["payments", "account", "security"]).await;
        let ada = token(&app, "ada@desk.test", Scope::Write).await;
        let written = seed(&app, &clock, &ada).await;
        let now: DateTime<Utc> = "2026-12-31T12:00:00Z".parse().unwrap();
        clock.set(now);
        let mut cases = Vec::new();
        for w in &written {
            cases.push((app.case(&w.number).await, w));
        }
        let live: Vec<&(Case, &Written)> = cases.iter().filter(|(c, _)| c.status != Status::Merged).collect();
        assert_eq!(live.len(), 41, "two merged");
        let year = "from=2026-01-01&to=2026-12-31&tz=Europe/Rome";

        // Volume by category and by period (Rome's days).
        let body = report(&app, &boss, &format!("volume?by=category&{year}")).await;
        assert_eq!(body["columns"][0], "value");
        let by_category = rows(&body);
        for (category, _) in CATEGORIES {
            let n = live.iter().filter(|(c, _)| c.category == category).count();
            assert_eq!(by_category[category]["value"], json!(n), "{}: {category}", app.backend);
        }
        let period_of = |at: DateTime<Utc>| {
            let local = at.with_timezone(&Rome);
            if local.month() == 12 && (24..=26).contains(&local.day()) {
                "christmas"
            } else if local.weekday().number_from_monday() > 5 {
                "weekend"
            } else {
                "weekday"
            }
        };
        let by_period = rows(&report(&app, &boss, &format!("volume?by=period&{year}")).await);
        let count = |p: &str| live.iter().filter(|(c, _)| period_of(c.created_at) == p).count() as f64;
        assert_eq!(by_period["christmas"]["value"], json!(3));
        for p in ["weekday", "weekend"] {
            assert_eq!(by_period[p]["value"], json!(count(p) as i64), "{p}");
        }
        // Compared per day: 2026 has 3 days of Christmas and these many weekdays.
        let weekdays = NaiveDate::from_ymd_opt(2026, 1, 1)
            .unwrap()
            .iter_days()
            .take_while(|d| d.year() == 2026)
            .filter(|d| d.weekday().number_from_monday() <= 5 && !(d.month() == 12 && (24..=26).contains(&d.day())))
            .count() as f64;
        let ratio = by_period["christmas"]["vs_weekday_ratio"].as_f64().unwrap();
        assert!(
            (ratio - (3.0 / 3.0) / (count("weekday") / weekdays)).abs() < 1e-9,
            "{ratio}"
        );

        // First response and resolution times: business time on each case's own calendar.
        let catalog = Catalog::builtin();
        let business = |c: &Case, end: DateTime<Utc>| {
            let category = catalog.category(&c.category).unwrap();
            triage::calendar(&catalog, category, c.priority)
                .working_between(c.created_at, end)
                .num_seconds()
        };
        for (measure, end) in [
            (
                "first_response_time",
                (|c: &Case| c.first_response_at) as fn(&Case) -> Option<DateTime<Utc>>,
            ),
            ("resolution_time", resolved),
        ] {
            let body = rows(&report(&app, &boss, &format!("{measure}?by=category&{year}")).await);
            for (category, _) in CATEGORIES {
                let mine: Vec<&Case> = live.iter().map(|(c, _)| c).filter(|c| c.category == category).collect();
                let b: Vec<i64> = mine.iter().filter_map(|c| end(c).map(|e| business(c, e))).collect();
                let w: Vec<i64> = mine
                    .iter()
                    .filter_map(|c| end(c).map(|e| (e - c.created_at).num_seconds()))
                    .collect();
                let row = &body[category];
                let what = format!("{} {measure} {category}", app.backend);
                assert_eq!(row["cases"], json!(b.len()), "{what}");
                assert_eq!(row["value"], json!(nearest_rank(b.clone(), 0.5)), "{what}");
                assert_eq!(row["p90"], json!(nearest_rank(b, 0.9)), "{what}");
                assert_eq!(row["wall_median"], json!(nearest_rank(w.clone(), 0.5)), "{what}");
                assert_eq!(row["wall_p90"], json!(nearest_rank(w, 0.9)), "{what}");
            }
        }

        // Within target and breaches, judged now; rates; merged; the audit log's reopenings and
        // requests for information.
        let all = |body: Value| rows(&body)["all"].clone();
        let judged: Vec<ClockState> = live.iter().map(|(c, _)| timers(c).first_response(now)).collect();
        let met = judged.iter().filter(|s| **s == ClockState::Met).count();
        let breached = judged.iter().filter(|s| **s == ClockState::Breached).count();
        let within = all(report(&app, &boss, &format!("within_target?{year}")).await);
        assert_eq!(within["met"], json!(met));
        assert_eq!(within["judged"], json!(met + breached));
        let breaches = all(report(&app, &boss, &format!("breaches?{year}")).await);
        assert_eq!(breaches["first_response"], json!(breached));
        let resolved_now = live.iter().filter(|(c, _)| resolved(c).is_some()).count();
        let rate = all(report(&app, &boss, &format!("resolution_rate?{year}")).await);
        assert_eq!(rate["resolved"], json!(resolved_now));
        assert_eq!(rate["cases"], json!(41));
        let reopened = live.iter().filter(|(_, w)| w.reopened).count();
        assert!(reopened > 0, "the data set reopens some cases");
        let reopen = all(report(&app, &boss, &format!("reopen_rate?{year}")).await);
        assert_eq!(reopen["reopened"], json!(reopened));
        assert_eq!(reopen["resolved"], json!(resolved_now + reopened));
        let asked = live.iter().filter(|(_, w)| w.asked).count();
        assert!(asked > 0);
        let needed = all(report(&app, &boss, &format!("needed_info?{year}")).await);
        assert_eq!(needed["needed_info"], json!(asked));
        let merged = all(report(&app, &boss, &format!("merged?{year}")).await);
        assert_eq!(merged["value"], json!(2));

        // The hour of the week in Rome, and the backlog at each day's end.
        let hours = rows(&report(&app, &boss, &format!("hour_of_week?{year}")).await);
        assert_eq!(hours.len(), 168);
        let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        for (c, _) in &live {
            let local = c.created_at.with_timezone(&Rome);
            let key = format!(
                "{} {:02}",
                days[local.weekday().num_days_from_monday() as usize],
                local.hour()
            );
            let expected = live
                .iter()
                .filter(|(o, _)| {
                    let l = o.created_at.with_timezone(&Rome);
                    l.weekday() == local.weekday() && l.hour() == local.hour()
                })
                .count();
            assert_eq!(hours[&key]["value"], json!(expected), "{key}");
        }
        let backlog = rows(&report(&app, &boss, "backlog?from=2026-06-01&to=2026-06-30&tz=Europe/Rome").await);
        assert_eq!(backlog.len(), 30);
        for (day, row) in &backlog {
            let day: NaiveDate = day.parse().unwrap();
            let end = day
                .succ_opt()
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
                .and_local_timezone(Rome)
                .unwrap();
            let open = live
                .iter()
                .filter(|(c, _)| c.created_at < end && resolved(c).is_none_or(|r| r >= end))
                .count();
            assert_eq!(row["value"], json!(open), "{day}");
        }

        // The same table as CSV.
        let csv = app
            .client
            .get(format!("{}/api/v1/reports/volume?by=category&{year}", app.address))
            .bearer_auth(&boss)
            .header("accept", "text/csv")
            .send()
            .await
            .unwrap();
        assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let text = csv.text().await.unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "key,value,masked,scam_reports");
        assert_eq!(
            lines[1],
            format!("account,{},0,0", by_category["account"]["value"]),
            "{text}"
        );
    }
}

#[tokio::test]
async fn leads_count_their_teams_agents_none_and_restricted_cases_stay_hidden() {
    let clock = Clock::fixed("2026-03-02T09:00:00Z".parse().unwrap());
    let options = Options {
        clock: Some(clock.clone()),
        ..Options::default()
    };
    for app in backends_with(options).await {
        safety_team(&app).await;
        agent(&app, "boss@desk.test", Role::Admin, &[]).await;
        agent(&app, "lead@desk.test", Role::Lead, &["payments"]).await;
        agent(&app, "ada@desk.test", Role::Agent, &["payments"]).await;
        let boss = token(&app, "boss@desk.test", Scope::Read).await;
        let lead = token(&app, "lead@desk.test", Scope::Read).await;
        let ada = token(&app, "ada@desk.test", Scope::Write).await;
        for (n, (category, sub)) in [
            ("payments", "refund"),
            ("payments", "refund"),
            ("account", "banned"),
            ("security", "support_scam"),
        ]
        .into_iter()
        .enumerate()
        {
            let mut r = request(n as u32, category, sub);
            if sub == "support_scam" {
                r["description"] = json!(
                    "Un finto operatore mi ha chiesto il codice a sei cifre e dei soldi per sbloccare l'account."
                );
            }
            let (status, body) = crate::helpers::read(app.post_json(&r).await).await;
            assert_eq!(status, 201, "{body}");
        }
        let day = "from=2026-03-02&to=2026-03-02";
        let total = |body: &Value| rows(body)["all"]["value"].clone();
        assert_eq!(total(&report(&app, &boss, &format!("volume?{day}")).await), json!(4));
        // The lead: their team's two; naming another team gives nothing, not that team's count.
        assert_eq!(total(&report(&app, &lead, &format!("volume?{day}")).await), json!(2));
        let by_team = rows(&report(&app, &lead, &format!("volume?by=team&{day}")).await);
        assert_eq!(by_team.keys().collect::<Vec<_>>(), ["payments"]);
        let (status, body) = api_get(&app, &boss, "/api/v1/teams").await;
        assert_eq!(status, 200, "{body}");
        let safety = body["teams"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"))
            .iter()
            .find(|t| t["name"] == "safety")
            .map(|t| t["id"].as_i64().unwrap())
            .unwrap();
        let body = report(&app, &lead, &format!("volume?team={safety}&{day}")).await;
        assert!(body["rows"].as_array().unwrap().is_empty(), "{body}");
        // The admin sees the restricted team's case among the rest.
        let by_team = rows(&report(&app, &boss, &format!("volume?by=team&{day}")).await);
        assert_eq!(by_team["safety"]["value"], json!(1), "{by_team:?}");
        // An agent reads no reports.
        let (status, _) = api_get(&app, &ada, &format!("/api/v1/reports/volume?{day}")).await;
        assert_eq!(status, 403);
        let (status, _) = api_get(&app, "", "/api/v1/reports/volume").await;
        assert_eq!(status, 401);
    }
}

#[tokio::test]
async fn bad_parameters_are_named_not_guessed() {
    for app in backends_with(Options::default()).await {
        agent(&app, "boss@desk.test", Role::Admin, &[]).await;
        let boss = token(&app, "boss@desk.test", Scope::Read).await;
        for (query, expected) in [
            ("nonsense", 404),
            ("volume?by=colour", 400),
            ("volume?from=2026-13-01", 400),
            ("volume?tz=Mars/Olympus", 400),
            ("volume?priority=extreme", 400),
            ("volume?from=2026-03-02&to=2026-03-01", 422),
            ("volume?from=2020-01-01&to=2026-01-01", 422),
        ] {
            let (status, body) = api_get(&app, &boss, &format!("/api/v1/reports/{query}")).await;
            assert_eq!(status, expected, "{query}: {body}");
        }
        // With no range, the 30 days to today; an empty desk has one row of zero.
        let body = report(&app, &boss, "volume").await;
        let from: NaiveDate = body["from"].as_str().unwrap().parse().unwrap();
        let to: NaiveDate = body["to"].as_str().unwrap().parse().unwrap();
        assert_eq!((to - from).num_days(), 29);
        assert_eq!(body["rows"], json!([]), "no cases, no rows");
    }
}

/// The desk's page, as a browser without JavaScript gets it: the lead's own numbers in a table
/// under an SVG chart with a text alternative, the CSV link, the nav entry; an agent gets neither.
#[tokio::test]
async fn the_reports_page_and_its_csv_for_a_lead_and_not_for_an_agent() {
    let clock = Clock::fixed("2026-03-02T09:00:00Z".parse().unwrap());
    let options = Options {
        clock: Some(clock.clone()),
        ..Options::default()
    };
    for app in backends_with(options).await {
        agent(&app, "lead@desk.test", Role::Lead, &["payments"]).await;
        agent(&app, "ada@desk.test", Role::Agent, &["payments"]).await;
        for n in 0..3 {
            case(&app, &request(n, "payments", "refund")).await;
        }
        case(&app, &request(9, "account", "banned")).await;
        let mut lead = crate::desk::signed_in(&app, "lead@desk.test").await;
        let queue = lead.get("/desk").await;
        assert!(queue.html.contains("href=\"/desk/reports\""), "the nav leads there");
        let page = lead
            .get("/desk/reports?measure=volume&by=category&from=2026-03-01&to=2026-03-31")
            .await;
        assert_eq!(page.status, 200, "{}", page.html);
        let doc = scraper::Html::parse_document(&page.html);
        let select = |css: &str| scraper::Selector::parse(css).unwrap();
        let svg = doc.select(&select("svg.bars")).next().expect("a chart");
        assert_eq!(svg.value().attr("role"), Some("img"));
        assert_eq!(svg.value().attr("aria-labelledby"), Some("chart-caption"));
        assert!(doc.select(&select("#chart-caption")).next().is_some());
        let rows: Vec<Vec<String>> = doc
            .select(&select("table.report tbody tr"))
            .map(|tr| {
                tr.text()
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(ToOwned::to_owned)
                    .collect()
            })
            .collect();
        // Only the lead's team's cases: payments, three of them.
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][1], "3", "{rows:?}");
        let href = doc
            .select(&select("table.report caption a"))
            .next()
            .and_then(|a| a.value().attr("href"))
            .unwrap()
            .to_owned();
        let csv = lead.fetch(&href).await;
        assert_eq!(csv.status(), 200);
        assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        assert_eq!(csv.text().await.unwrap().lines().nth(1), Some("payments,3,0,0"));

        let mut ada = crate::desk::signed_in(&app, "ada@desk.test").await;
        assert!(!ada.get("/desk").await.html.contains("href=\"/desk/reports\""));
        assert_eq!(ada.get("/desk/reports").await.status, 403);
        assert_eq!(ada.fetch("/desk/reports.csv").await.status(), 403);
    }
}
