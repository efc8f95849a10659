//! Undo send (SPEC §7, `reply_undo_delay`): a reply waits before it goes; undone within the
//! window it is never mailed (checked at a real SMTP server), never shown to the customer, and
//! its text comes back as a draft. Once it has gone, it cannot be undone.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use reqwest::multipart::Form;
use serde_json::json;
use sportello::app::answer::send_held;
use sportello::app::Clock;
use sportello_domain::access::{Role, Scope};
use sportello_domain::case::Status;

use crate::desk::{agent, api_get, api_post, case, signed_in, token};
use crate::helpers::{backends_with, complete, Options, Visitor};
use crate::mail::SmtpSink;

fn held_options(sink: &SmtpSink, clock: &Clock) -> Options {
    Options {
        smtp_url: Some(sink.url()),
        clock: Some(clock.clone()),
        reply_undo_delay: StdDuration::from_secs(10),
        ..Options::default()
    }
}

#[tokio::test]
async fn an_undone_reply_is_never_sent_and_a_let_go_one_is_sent_once() {
    let Some(sink) = SmtpSink::start() else { return };
    let clock = Clock::fixed("2026-12-01T09:00:00Z".parse::<DateTime<Utc>>().unwrap());
    for app in backends_with(held_options(&sink, &clock)).await {
        agent(&app, "ada@desk.test", Role::Agent, &[]).await;
        agent(&app, "bo@desk.test", Role::Agent, &[]).await;
        let ada = token(&app, "ada@desk.test", Scope::Write).await;
        let bo = token(&app, "bo@desk.test", Scope::Write).await;
        let mails_before = sink.messages().len();
        let number = case(&app, &complete(50)).await;
        sink.wait_for(mails_before + 1, StdDuration::from_secs(10)).await;
        let reply = format!("/api/v1/tickets/{number}/reply");

        // Written and held: nothing has happened to the case yet.
        let (status, held) = api_post(
            &app,
            &ada,
            &reply,
            json!({"body": "A first draft, sent too soon"}),
            None,
        )
        .await;
        assert_eq!(status, 201, "{held}");
        let until: DateTime<Utc> = held["held_until"].as_str().unwrap().parse().unwrap();
        assert_eq!(until, clock.now() + Duration::seconds(10));
        let c = app.case(&number).await;
        assert_eq!((c.status, c.first_response_at), (Status::New, None), "{}", app.backend);
        let (_, detail) = api_get(&app, &ada, &format!("/api/v1/tickets/{number}")).await;
        assert_eq!(detail["timeline"][1]["held_until"], held["held_until"]);
        assert_eq!(send_held(&app.app).await.unwrap(), 0, "not yet");

        // Another agent cannot undo it; its writer can, once.
        let undo = format!("/api/v1/tickets/{number}/replies/{}/undo", held["message_id"]);
        let (status, refused) = api_post(&app, &bo, &undo, json!({}), None).await;
        assert_eq!((status, refused["reason"].as_str()), (409, Some("not_held")));
        let (status, undone) = api_post(&app, &ada, &undo, json!({}), None).await;
        assert_eq!(
            (status, undone["draft"].as_str()),
            (200, Some("A first draft, sent too soon"))
        );
        assert_eq!(api_post(&app, &ada, &undo, json!({}), None).await.0, 409);
        clock.advance(Duration::seconds(11));
        assert_eq!(send_held(&app.app).await.unwrap(), 0, "an undone reply never goes");

        // The next one is let go: sent once, however many passes race for it.
        let body = json!({"body": "We refunded the 12 euro today", "wait_for_customer": true});
        let (_, held) = api_post(&app, &ada, &reply, body, None).await;
        clock.advance(Duration::seconds(11));
        let (a, b) = tokio::join!(send_held(&app.app), send_held(&app.app));
        assert_eq!(a.unwrap() + b.unwrap(), 1, "{}", app.backend);
        let undo = format!("/api/v1/tickets/{number}/replies/{}/undo", held["message_id"]);
        let (status, late) = api_post(&app, &ada, &undo, json!({}), None).await;
        assert_eq!((status, late["reason"].as_str()), (409, Some("not_held")));
        let c = app.case(&number).await;
        assert_eq!(c.status, Status::PendingCustomer, "reply and wait, as it went");
        assert!(c.first_response_at.is_some());

        // At the SMTP server: the confirmation and the second reply, never the first.
        let mails = sink.wait_for(mails_before + 2, StdDuration::from_secs(10)).await;
        let ours: Vec<String> = mails[mails_before..]
            .iter()
            .map(|m| String::from_utf8_lossy(m).into_owned())
            .collect();
        tokio::time::sleep(StdDuration::from_millis(300)).await;
        assert_eq!(
            sink.messages().len(),
            mails_before + 2,
            "{}: one reply mail",
            app.backend
        );
        assert!(ours.iter().any(|m| m.contains("We refunded the 12 euro today")));
        assert!(!ours.iter().any(|m| m.contains("sent too soon")));
        let audit: Vec<String> = app
            .app
            .store
            .audit_log(sportello::store::AuditQuery {
                ticket: Some(c.id),
                limit: 50,
                ..Default::default()
            })
            .await
            .unwrap()
            .iter()
            .map(|r| r.entry.action.to_string())
            .filter(|a| a.starts_with("case_reply"))
            .collect();
        assert_eq!(audit, ["case_reply", "case_reply_undone", "case_reply"]);
    }
}

#[tokio::test]
async fn on_the_desk_undo_puts_the_reply_back_in_the_box_and_the_customer_never_sees_it() {
    let Some(sink) = SmtpSink::start() else { return };
    let clock = Clock::fixed("2026-12-01T10:00:00Z".parse::<DateTime<Utc>>().unwrap());
    for app in backends_with(held_options(&sink, &clock)).await {
        agent(&app, "cy@desk.test", Role::Agent, &[]).await;
        let (_, created) = crate::helpers::read(app.post_json(&complete(51)).await).await;
        let number = created["case_number"].as_str().unwrap().to_owned();
        let status_url = created["status_url"].as_str().unwrap().to_owned();
        let mut desk = signed_in(&app, "cy@desk.test").await;
        desk.get(&format!("/desk/cases/{number}")).await;
        let sent = desk
            .post(
                &format!("/desk/cases/{number}/reply"),
                Form::new()
                    .text("kind", "reply")
                    .text("body", "Please send us the receipt"),
            )
            .await;
        assert_eq!(sent.status, 303);
        assert!(sent.location().contains("done=held"), "{}", sent.location());
        let page = desk.get(&sent.location()).await;
        let undo_form = page
            .attr_of("form.undo", "action")
            .expect("an undo button on the held reply");
        // The customer's page does not show a reply that may yet be undone.
        let customer = Visitor::new(&app).get(&status_url).await;
        assert!(!customer.html.contains("send us the receipt"), "{}", app.backend);

        let undone = desk.post(&undo_form, Form::new()).await;
        assert_eq!(undone.status, 303, "{}", undone.html);
        let page = desk.get(&undone.location()).await;
        assert_eq!(page.value("body"), "Please send us the receipt", "the draft is back");
        assert!(page.attr_of("form.undo", "action").is_none());
        clock.advance(Duration::seconds(30));
        assert_eq!(send_held(&app.app).await.unwrap(), 0);
        let customer = Visitor::new(&app).get(&status_url).await;
        assert!(!customer.html.contains("send us the receipt"));
    }
}
