//! SPEC §4's rules of time, run at chosen instants through the clock the application holds: due
//! times on the calendar, the 24-hour bump window, the 7-day reopen window, the paused clock.

use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use sportello::app::ingest::{ingest, Ingested};
use sportello::app::Clock;
use sportello::store::Case;
use sportello_domain::calendar::Calendar;
use sportello_domain::case::Status;
use sportello_domain::triage::Priority;

use crate::helpers::{backends_with, case_number, complete, read, Options, TestApp};

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

/// Backends whose use cases read `clock`.
async fn at_time(clock: &Clock) -> Vec<TestApp> {
    backends_with(Options {
        clock: Some(clock.clone()),
        ..Options::default()
    })
    .await
}

fn reply(app: &TestApp, case: &str, from: &str, body: &str) -> Bytes {
    let id = app.our_message_id(case, "confirmation");
    Bytes::from(format!(
        "From: {from}\r\nTo: support@sportello.test\r\nSubject: Re: [{case}]\r\nMessage-ID: <{:x}@mail.test>\r\n\
         In-Reply-To: <{id}>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
        rand::random::<u64>()
    ))
}

/// Moves a case as the desk will, at the clock's time.
async fn move_to(app: &TestApp, case: &Case, to: Status) {
    let now = app.app.clock.now();
    let timers = case.timers().moved(to, now, &Calendar::always());
    let mut tx = app.app.store.begin_write().await.unwrap();
    assert!(tx.move_status(case.id, case.status, &timers, now).await.unwrap());
    tx.commit().await.unwrap();
}

/// SPEC §4's example at its own instant: a `messages` case created Friday 20:00 UTC is due for
/// its first answer on Monday at 20:00 UTC.
#[tokio::test]
async fn a_friday_evening_case_is_due_on_monday_evening() {
    let clock = Clock::fixed(at("2026-11-27T20:00:00Z"));
    for app in at_time(&clock).await {
        let mut request = complete(400);
        request["category"] = json!("messages");
        request["subcategory"] = json!("send_failed");
        request["contact_number"] = json!("+39 345 000 1111");
        request["occurred_at"] = json!("2026-11-27 19:00");
        let (status, body) = read(app.post_json(&request).await).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["first_response_due"], "2026-11-30T20:00:00Z", "{}", app.backend);
        assert_eq!(body["resolution_due"], "2026-12-01T20:00:00Z");
    }
}

/// A reply raises the priority once in 24 hours: not at 23:59:59 after the last bump, at 24:00.
#[tokio::test]
async fn the_reply_bump_waits_exactly_its_window() {
    let clock = Clock::fixed(at("2026-11-23T08:00:00Z"));
    for app in at_time(&clock).await {
        clock.set(at("2026-11-23T08:00:00Z"));
        let (_, created) = read(app.post_json(&complete(401)).await).await;
        let case = created["case_number"].as_str().unwrap().to_owned();
        let raised = |outcome: Ingested| match outcome {
            Ingested::Joined { raised_to, .. } => raised_to,
            other => panic!("{other:?}"),
        };
        let first = ingest(&app.app, reply(&app, &case, "cliente401@gmail.com", "Nessuna novità."))
            .await
            .unwrap();
        assert_eq!(raised(first), Some(Priority::High), "{}", app.backend);
        clock.advance(Duration::hours(24) - Duration::seconds(1));
        let early = ingest(&app.app, reply(&app, &case, "cliente401@gmail.com", "Ancora niente."))
            .await
            .unwrap();
        assert_eq!(raised(early), None, "{}: inside the window", app.backend);
        clock.advance(Duration::seconds(1));
        // Payments allows urgency: 24 hours after the last bump the next reply raises it again.
        let due = ingest(&app.app, reply(&app, &case, "cliente401@gmail.com", "Sollecito."))
            .await
            .unwrap();
        assert_eq!(raised(due), Some(Priority::Urgent), "{}", app.backend);
        assert_eq!(app.case(&case).await.priority, Priority::Urgent);
    }
}

/// A resolved case takes the customer's reply, and reopens, for 7 days; a second later the reply
/// opens a new case about it.
#[tokio::test]
async fn a_resolved_case_reopens_for_seven_days_and_not_a_second_more() {
    let clock = Clock::fixed(at("2026-11-23T08:00:00Z"));
    for app in at_time(&clock).await {
        clock.set(at("2026-11-23T08:00:00Z"));
        for (n, after, reopens) in [
            (403, Duration::days(7), true),
            (404, Duration::days(7) + Duration::seconds(1), false),
        ] {
            clock.set(at("2026-11-23T08:00:00Z"));
            let (_, created) = read(app.post_json(&complete(n)).await).await;
            let number = created["case_number"].as_str().unwrap().to_owned();
            let case = app.case(&number).await;
            move_to(&app, &case, Status::Resolved).await;
            clock.advance(after);
            let outcome = ingest(
                &app.app,
                reply(&app, &number, &format!("cliente{n}@gmail.com"), "Non è risolto."),
            )
            .await
            .unwrap();
            let case = app.case(&number).await;
            if reopens {
                assert!(
                    matches!(outcome, Ingested::Joined { .. }),
                    "{}: {outcome:?}",
                    app.backend
                );
                assert_eq!((case.status, case.resolved_at), (Status::Open, None));
            } else {
                assert_eq!(
                    outcome,
                    Ingested::Opened {
                        case: outcome_case(&outcome),
                        about: Some(case_number(&number))
                    },
                    "{}",
                    app.backend
                );
                assert_eq!(case.status, Status::Resolved);
            }
        }
    }
}

fn outcome_case(outcome: &Ingested) -> sportello_domain::case_number::CaseNumber {
    match outcome {
        Ingested::Opened { case, .. } => case.clone(),
        other => panic!("{other:?}"),
    }
}

/// While a case waits on the customer its resolution clock stands still; their answer moves it
/// on, and the target moves by the time waited (SPEC §4; FH#1675).
#[tokio::test]
async fn waiting_on_the_customer_pauses_the_resolution_clock() {
    let clock = Clock::fixed(at("2026-11-28T10:00:00Z"));
    for app in at_time(&clock).await {
        clock.set(at("2026-11-28T10:00:00Z"));
        let mut security = complete(405);
        security["category"] = json!("security");
        security["subcategory"] = json!("account_stolen");
        security["last_known_ip"] = json!("192.0.2.7");
        security["occurred_at"] = json!("2026-11-20 14:30");
        let (_, created) = read(app.post_json(&security).await).await;
        let number = created["case_number"].as_str().unwrap().to_owned();
        let before = app.case(&number).await;
        clock.advance(Duration::hours(1));
        move_to(&app, &before, Status::PendingCustomer).await;
        let waiting = app.case(&number).await;
        assert_eq!(
            waiting.paused_since,
            Some(at("2026-11-28T11:00:00Z")),
            "{}",
            app.backend
        );
        clock.advance(Duration::hours(5));
        let outcome = ingest(
            &app.app,
            reply(&app, &number, "cliente405@gmail.com", "Ecco l'IP che vedo."),
        )
        .await
        .unwrap();
        assert!(matches!(outcome, Ingested::Joined { .. }), "{outcome:?}");
        let after = app.case(&number).await;
        assert_eq!(
            (after.status, after.paused_since),
            (Status::Open, None),
            "{}",
            app.backend
        );
        // Security runs on the always clock: five hours waited, five hours later.
        assert_eq!(
            after.resolution_due,
            before.resolution_due + Duration::hours(5),
            "{}",
            app.backend
        );
    }
}
