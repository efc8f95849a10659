//! `mail ingest` (SPEC §5) on both backends: replies thread into their case, strangers do not, bounces
//! are remembered, and every message of the shared corpus is handled without an error.

use bytes::Bytes;
use sportello::app::ingest::{ingest, Ingested};
use sportello_domain::triage::Priority;

use crate::helpers::{backends, complete, read};

fn reply(from: &str, subject: &str, in_reply_to: Option<&str>, body: &str) -> Bytes {
    let threading = in_reply_to
        .map(|id| format!("In-Reply-To: <{id}>\r\nReferences: <{id}>\r\n"))
        .unwrap_or_default();
    Bytes::from(format!(
        "From: {from}\r\nTo: support@sportello.test\r\nSubject: {subject}\r\nMessage-ID: <{:x}@mail.test>\r\n{threading}\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
        rand::random::<u64>()
    ))
}

#[tokio::test]
async fn a_reply_to_our_mail_joins_its_case_raises_it_once_and_loses_the_quote() {
    for app in backends().await {
        let (_, created) = read(app.post_json(&complete(200)).await).await;
        let case = created["case_number"].as_str().unwrap().to_owned();
        let our_id = format!("{}.confirmation@sportello.test", case.to_lowercase());
        // A colleague in Cc answers: the reference is enough, whoever sends it.
        let text = "Aggiungo: il pagamento è del 20 novembre alle 14:30.\r\n\r\nIl giorno lun 30 nov 2026 alle 20:00 Support ha scritto:\r\n> Ciao";
        let first = ingest(
            &app.app,
            reply(
                "collega@azienda.it",
                &format!("Re: [{case}] Abbiamo ricevuto"),
                Some(&our_id),
                text,
            ),
        )
        .await
        .unwrap();
        assert_eq!(
            first,
            Ingested::Joined {
                case: case.parse_case(),
                raised_to: Some(Priority::High)
            },
            "{}",
            app.backend
        );
        let (_, shown) = read(app.get(created["status_url"].as_str().unwrap()).await).await;
        assert_eq!(shown["priority"], "high");
        assert!(
            shown["first_response_due"].as_str().unwrap() < created["first_response_due"].as_str().unwrap(),
            "{shown}"
        );
        let messages = shown["messages"].as_array().unwrap();
        assert_eq!(messages.len(), 1);
        assert_eq!(
            messages[0]["body"],
            "Aggiungo: il pagamento è del 20 novembre alle 14:30."
        );
        // At most once in 24 hours.
        let second = ingest(
            &app.app,
            reply("cliente200@gmail.com", "Re: ancora", Some(&our_id), "Ancora nulla."),
        )
        .await
        .unwrap();
        assert_eq!(
            second,
            Ingested::Joined {
                case: case.parse_case(),
                raised_to: None
            }
        );
    }
}

#[tokio::test]
async fn replies_arriving_together_raise_the_priority_once() {
    for app in backends().await {
        let (_, created) = read(app.post_json(&complete(202)).await).await;
        let case = created["case_number"].as_str().unwrap().to_owned();
        let our_id = format!("{}.confirmation@sportello.test", case.to_lowercase());
        let replies: Vec<_> = (0..8)
            .map(|i| {
                let app = app.app.clone();
                let raw = reply(
                    "cliente202@gmail.com",
                    "Re: sollecito",
                    Some(&our_id),
                    &format!("Sollecito {i}."),
                );
                tokio::spawn(async move { ingest(&app, raw).await.unwrap() })
            })
            .collect();
        let mut raised = 0;
        for r in replies {
            if let Ingested::Joined { raised_to: Some(_), .. } = r.await.unwrap() {
                raised += 1;
            }
        }
        assert_eq!(raised, 1, "{}", app.backend);
        let (_, shown) = read(app.get(created["status_url"].as_str().unwrap()).await).await;
        assert_eq!(
            (shown["priority"].as_str(), shown["messages"].as_array().unwrap().len()),
            (Some("high"), 8)
        );
    }
}

#[tokio::test]
async fn a_case_number_in_the_subject_counts_only_from_the_cases_contact() {
    for app in backends().await {
        let (_, created) = read(app.post_json(&complete(201)).await).await;
        let case = created["case_number"].as_str().unwrap().to_owned();
        let stranger = ingest(
            &app.app,
            reply(
                "stranger@example.org",
                &format!("{case} refund"),
                None,
                "Give me the refund.",
            ),
        )
        .await
        .unwrap();
        assert!(
            matches!(stranger, Ingested::KeptAside(_)),
            "{}: {stranger:?}",
            app.backend
        );
        let spaced = format!("Re: info sul caso {} {}", &case[..6], &case[6..]);
        let own = ingest(
            &app.app,
            reply("Cliente201@Gmail.com", &spaced.replace(' ', "-"), None, "Ecco le info."),
        )
        .await
        .unwrap();
        assert!(matches!(own, Ingested::Joined { .. }), "{}: {own:?}", app.backend);
        let mut wrong_digit = case.clone();
        let last = wrong_digit.pop().unwrap();
        wrong_digit.push(if last == '0' { '1' } else { '0' });
        let typo = ingest(&app.app, reply("cliente201@gmail.com", &wrong_digit, None, "x"))
            .await
            .unwrap();
        assert!(
            matches!(typo, Ingested::KeptAside(_)),
            "a wrong check digit names no case"
        );
        assert_eq!(app.app.store.mail_aside(10).await.unwrap().len(), 2);
    }
}

fn eml(name: &str) -> Bytes {
    Bytes::from(
        std::fs::read(format!(
            "{}/../../../shared/testdata/email/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
}

#[tokio::test]
async fn bounces_mark_the_address_and_automatic_mail_is_ignored() {
    for app in backends().await {
        let bounced = ingest(&app.app, eml("dsn-postfix.eml")).await.unwrap();
        assert_eq!(bounced, Ingested::Bounce(vec!["r@p351355.pool.example.ne.jp".into()]));
        assert!(
            app.app
                .store
                .is_undeliverable("r@p351355.pool.example.ne.jp")
                .await
                .unwrap(),
            "{}",
            app.backend
        );
        assert!(matches!(
            ingest(&app.app, eml("autoreply-rfc3834-exim.eml")).await.unwrap(),
            Ingested::Ignored(_)
        ));
    }
}

#[tokio::test]
async fn every_message_of_the_corpus_is_handled_without_an_error() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/testdata/email");
    for app in backends().await {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let outcome = ingest(&app.app, Bytes::from(std::fs::read(&path).unwrap())).await;
            assert!(outcome.is_ok(), "{}: {}: {outcome:?}", app.backend, path.display());
        }
    }
}

trait ParseCase {
    fn parse_case(&self) -> sportello_domain::case_number::CaseNumber;
}

impl ParseCase for String {
    fn parse_case(&self) -> sportello_domain::case_number::CaseNumber {
        sportello_domain::case_number::CasePrefix::default()
            .parse(self)
            .unwrap()
    }
}
