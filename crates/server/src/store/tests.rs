//! Every store test runs on SQLite (a fresh file) and on PostgreSQL (a fresh database) when
//! `SPORTELLO_TEST_POSTGRES_URL` is set; in CI a missing PostgreSQL fails instead of skipping.

use std::collections::HashSet;
use std::sync::Once;

use sqlx::Connection;

use super::*;

pub(crate) struct TestStore {
    pub store: Store,
    pub name: &'static str,
    _dir: Option<tempfile::TempDir>,
}

pub(crate) async fn stores() -> Vec<TestStore> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let sqlite = Store::connect(&url).await.unwrap();
    sqlite.migrate().await.unwrap();
    let mut all = vec![TestStore {
        store: sqlite,
        name: "sqlite",
        _dir: Some(dir),
    }];
    match std::env::var("SPORTELLO_TEST_POSTGRES_URL") {
        Ok(admin) => {
            let name = format!("sportello_s_{:016x}", rand::random::<u64>());
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .expect("PostgreSQL is reachable");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .unwrap();
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
            let store = Store::connect(&format!("{base}/{name}")).await.unwrap();
            store.migrate().await.unwrap();
            all.push(TestStore {
                store,
                name: "postgres",
                _dir: None,
            });
        }
        Err(_) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true but SPORTELLO_TEST_POSTGRES_URL is unset: the PostgreSQL suite must run")
        }
        Err(_) => {
            static SAID: Once = Once::new();
            SAID.call_once(|| eprintln!("skipping PostgreSQL: SPORTELLO_TEST_POSTGRES_URL unset"));
        }
    }
    all
}

fn ticket(email: &str, phone: &str, category: &str, created_at: i64) -> NewTicket {
    NewTicket {
        status: "new".into(),
        priority: "normal".into(),
        category: category.into(),
        subcategory: "refund".into(),
        email: email.into(),
        phone: phone.into(),
        name: Some("Maria".into()),
        country: Some("IT".into()),
        language: "it".into(),
        device: "iPhone 14, iOS 17.1".into(),
        description: "Il rimborso non arriva.".into(),
        fields: r#"{"amount":"12.00 EUR"}"#.into(),
        urgent_requested: true,
        penalised: false,
        warnings: "[]".into(),
        channel: "api".into(),
        created_at,
        first_response_due: created_at + 86_400_000,
        resolution_due: created_at + 3 * 86_400_000,
    }
}

async fn create(store: &Store, t: &NewTicket) -> TicketId {
    let mut tx = store.begin_intake(&[&t.email, &t.phone]).await.unwrap();
    let id = tx.insert_ticket(t).await.unwrap();
    tx.commit().await.unwrap();
    id
}

#[tokio::test]
async fn migrations_run_twice() {
    for s in stores().await {
        s.store.migrate().await.unwrap();
        s.store.ping().await.unwrap();
    }
}

#[tokio::test]
async fn a_ticket_reads_back_field_for_field_and_ids_increase() {
    for s in stores().await {
        let t = ticket("a@gmail.com", "+393451234567", "payments", 1_700_000_000_000);
        let first = create(&s.store, &t).await;
        let second = create(
            &s.store,
            &ticket("b@gmail.com", "+393451234568", "payments", 1_700_000_000_001),
        )
        .await;
        assert!(second > first, "{}", s.name);
        let back = s.store.ticket(first).await.unwrap().unwrap();
        assert_eq!(back.id, first);
        assert_eq!(
            (back.email.as_str(), back.phone.as_str(), back.category.as_str()),
            ("a@gmail.com", "+393451234567", "payments")
        );
        assert_eq!((back.name, back.country), (t.name.clone(), t.country.clone()));
        assert_eq!(
            (back.fields, back.warnings, back.language),
            (t.fields.clone(), t.warnings.clone(), t.language.clone())
        );
        assert!(back.urgent_requested && !back.penalised);
        assert_eq!(
            (back.created_at, back.first_response_due, back.resolution_due),
            (t.created_at, t.first_response_due, t.resolution_due)
        );
        assert_eq!(s.store.ticket(TicketId(999_999)).await.unwrap(), None);
        assert_eq!(s.store.count_tickets().await.unwrap(), 2);
    }
}

#[tokio::test]
async fn mergeable_means_same_contact_same_category_open_and_recent() {
    for s in stores().await {
        let now = 1_700_000_000_000;
        let id = create(&s.store, &ticket("a@gmail.com", "+393451234567", "payments", now)).await;
        let mut tx = s.store.begin_intake(&["x"]).await.unwrap();
        let day = 86_400_000;
        assert_eq!(
            tx.find_mergeable("a@gmail.com", "+390000000000", "payments", now - day)
                .await
                .unwrap(),
            Some(id)
        );
        assert_eq!(
            tx.find_mergeable("z@gmail.com", "+393451234567", "payments", now - day)
                .await
                .unwrap(),
            Some(id)
        );
        assert_eq!(
            tx.find_mergeable("z@gmail.com", "+390000000000", "payments", now - day)
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            tx.find_mergeable("a@gmail.com", "+393451234567", "security", now - day)
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            tx.find_mergeable("a@gmail.com", "+393451234567", "payments", now + 1)
                .await
                .unwrap(),
            None
        );
        drop(tx);
        let mut resolved = ticket("r@gmail.com", "+393451234500", "payments", now);
        resolved.status = "resolved".into();
        create(&s.store, &resolved).await;
        let mut tx = s.store.begin_intake(&["x"]).await.unwrap();
        assert_eq!(
            tx.find_mergeable("r@gmail.com", "+393451234500", "payments", now - day)
                .await
                .unwrap(),
            None,
            "{}",
            s.name
        );
    }
}

#[tokio::test]
async fn strikes_and_repeated_evidence_are_counted_per_contact() {
    for s in stores().await {
        let now = 1_700_000_000_000;
        let id = create(&s.store, &ticket("a@gmail.com", "+393451234567", "payments", now)).await;
        let mut tx = s.store.begin_intake(&["a@gmail.com"]).await.unwrap();
        tx.insert_strike("a@gmail.com", id, now).await.unwrap();
        for _ in 0..2 {
            tx.insert_evidence(&NewEvidence {
                ticket_id: id,
                message_id: None,
                sha256: "ab".repeat(32),
                kind: "png".into(),
                width: 1920,
                height: 1080,
                byte_len: 1000,
                filename: "s.png".into(),
                editor: None,
                created_at: now,
            })
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        let mut tx = s.store.begin_intake(&["a@gmail.com"]).await.unwrap();
        assert!(tx.has_strike_since("a@gmail.com", "+390", now - 1).await.unwrap());
        assert!(!tx.has_strike_since("a@gmail.com", "+390", now + 1).await.unwrap());
        assert!(!tx.has_strike_since("b@gmail.com", "+390", now - 1).await.unwrap());
        assert_eq!(tx.times_sent("a@gmail.com", "+390", &"ab".repeat(32)).await.unwrap(), 2);
        assert_eq!(
            tx.times_sent("q@gmail.com", "+393451234567", &"ab".repeat(32))
                .await
                .unwrap(),
            2
        );
        assert_eq!(tx.times_sent("q@gmail.com", "+390", &"ab".repeat(32)).await.unwrap(), 0);
    }
}

#[tokio::test]
async fn a_dropped_intake_leaves_nothing_behind() {
    for s in stores().await {
        {
            let mut tx = s.store.begin_intake(&["a@gmail.com"]).await.unwrap();
            let id = tx
                .insert_ticket(&ticket("a@gmail.com", "+39", "payments", 1))
                .await
                .unwrap();
            tx.insert_token(id, "hash", 1).await.unwrap();
        }
        assert_eq!(s.store.count_tickets().await.unwrap(), 0, "{}", s.name);
    }
}

#[tokio::test]
async fn tokens_open_only_their_case() {
    for s in stores().await {
        let a = create(&s.store, &ticket("a@gmail.com", "+391", "payments", 1)).await;
        let b = create(&s.store, &ticket("b@gmail.com", "+392", "payments", 1)).await;
        let mut tx = s.store.begin_intake(&["a"]).await.unwrap();
        tx.insert_token(a, "hash-a", 1).await.unwrap();
        tx.commit().await.unwrap();
        assert!(s.store.token_matches(a, "hash-a").await.unwrap());
        assert!(!s.store.token_matches(b, "hash-a").await.unwrap());
        assert!(!s.store.token_matches(a, "hash-b").await.unwrap());
    }
}

#[tokio::test]
async fn two_hundred_concurrent_intakes_of_one_contact_make_one_case() {
    for s in stores().await {
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                let store = s.store.clone();
                tokio::spawn(async move {
                    let (email, phone) = ("same@gmail.com", "+393451234567");
                    let mut tx = store.begin_intake(&[email, phone]).await.unwrap();
                    let found = tx.find_mergeable(email, phone, "payments", 0).await.unwrap();
                    match found {
                        Some(id) => {
                            let body = format!("attempt {i}");
                            let m = NewMessage {
                                ticket_id: id,
                                author: "customer".into(),
                                body,
                                public: true,
                                created_at: 2,
                            };
                            tx.insert_message(&m).await.unwrap();
                        }
                        None => {
                            tx.insert_ticket(&ticket(email, phone, "payments", 1)).await.unwrap();
                        }
                    }
                    tx.commit().await.unwrap();
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(s.store.count_tickets().await.unwrap(), 1, "{}", s.name);
        let id = TicketId(s.store.ticket(TicketId(1)).await.unwrap().map_or(0, |t| t.id.0));
        assert_eq!(s.store.messages(id).await.unwrap().len(), 199, "{}", s.name);
    }
}

fn event(ticket_id: TicketId, key: &str) -> NewOutboxEvent {
    NewOutboxEvent {
        kind: "confirmation".into(),
        ticket_id,
        payload: "{}".into(),
        idempotency_key: key.into(),
        created_at: 1_000,
    }
}

#[tokio::test]
async fn outbox_events_are_leased_sent_and_retried() {
    for s in stores().await {
        let id = create(&s.store, &ticket("a@gmail.com", "+391", "payments", 1)).await;
        let mut tx = s.store.begin_intake(&["a"]).await.unwrap();
        tx.enqueue(&event(id, "<1@x>")).await.unwrap();
        tx.enqueue(&event(id, "<2@x>")).await.unwrap();
        assert!(
            matches!(tx.enqueue(&event(id, "<2@x>")).await, Err(StoreError::Conflict(_))),
            "{}",
            s.name
        );
        drop(tx);
        let mut tx = s.store.begin_intake(&["a"]).await.unwrap();
        tx.enqueue(&event(id, "<1@x>")).await.unwrap();
        tx.enqueue(&event(id, "<2@x>")).await.unwrap();
        tx.commit().await.unwrap();

        let claimed = s.store.claim_outbox(2_000, 60_000, 10).await.unwrap();
        assert_eq!(claimed.len(), 2);
        assert!(
            s.store.claim_outbox(3_000, 60_000, 10).await.unwrap().is_empty(),
            "leased events are not claimed twice"
        );
        s.store.mark_sent(claimed[0].id, 3_000).await.unwrap();
        s.store
            .mark_failed(claimed[1].id, "connection refused", 10_000)
            .await
            .unwrap();
        assert!(
            s.store.claim_outbox(9_000, 60_000, 10).await.unwrap().is_empty(),
            "not before its next attempt"
        );
        let retried = s.store.claim_outbox(10_000, 60_000, 10).await.unwrap();
        assert_eq!(retried.len(), 1);
        assert_eq!((retried[0].idempotency_key.as_str(), retried[0].attempts), ("<2@x>", 1));
        // A worker that died: its lease runs out and the event comes back.
        let again = s.store.claim_outbox(10_000 + 60_000, 60_000, 10).await.unwrap();
        assert_eq!(again.len(), 1);
    }
}

#[tokio::test]
async fn concurrent_claimers_never_share_an_event() {
    for s in stores().await {
        let id = create(&s.store, &ticket("a@gmail.com", "+391", "payments", 1)).await;
        let mut tx = s.store.begin_intake(&["a"]).await.unwrap();
        for i in 0..200 {
            tx.enqueue(&event(id, &format!("<{i}@x>"))).await.unwrap();
        }
        tx.commit().await.unwrap();
        let claimers: Vec<_> = (0..8)
            .map(|_| {
                let store = s.store.clone();
                tokio::spawn(async move {
                    let mut mine = Vec::new();
                    loop {
                        let batch = store.claim_outbox(5_000, 60_000, 7).await.unwrap();
                        if batch.is_empty() {
                            break mine;
                        }
                        mine.extend(batch.into_iter().map(|r| r.idempotency_key));
                    }
                })
            })
            .collect();
        let mut seen = HashSet::new();
        let mut total = 0;
        for c in claimers {
            for key in c.await.unwrap() {
                total += 1;
                assert!(seen.insert(key), "{}: an event was claimed twice", s.name);
            }
        }
        assert_eq!(total, 200);
    }
}
