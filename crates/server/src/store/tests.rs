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

fn ticket(email: &str, phone: &str, category: &str, created_at: i64) -> Ticket {
    Ticket {
        status: "new".into(),
        priority: "normal".into(),
        category: category.into(),
        subcategory: "refund".into(),
        email: email.into(),
        phone: Some(phone.into()),
        name: Some("Maria".into()),
        country: Some("IT".into()),
        language: "it".into(),
        device: Some("iPhone 14, iOS 17.1".into()),
        description: "Il rimborso non arriva.".into(),
        fields: r#"{"amount":"12.00 EUR"}"#.into(),
        urgent_requested: true,
        penalised: false,
        warnings: "[]".into(),
        channel: "api".into(),
        created_at,
        first_response_due: created_at + 86_400_000,
        resolution_due: created_at + 3 * 86_400_000,
        related_to: None,
    }
}

fn request(t: &Ticket, evidence: Vec<EvidenceRow>) -> IntakeRequest {
    IntakeRequest {
        email: t.email.clone(),
        phone: t.phone.clone(),
        category: t.category.clone(),
        merge_since_ms: t.created_at - 86_400_000,
        strike_since_ms: t.created_at - 30 * 86_400_000,
        now_ms: t.created_at,
        token_hash: format!("token-{:x}", rand::random::<u64>()),
        merge_body: "more details".into(),
        evidence,
        raw_sha256: None,
    }
}

/// Creates (or joins) a case; the decision records the history it was given.
async fn intake(store: &Store, t: &Ticket, evidence: Vec<EvidenceRow>, strike: bool) -> IntakeOutcome<ContactHistory> {
    let plan_ticket = t.clone();
    let decide: Decide<ContactHistory> = Box::new(move |history| {
        let created_at = plan_ticket.created_at;
        let outbox = Box::new(move |id: TicketId| event(id, &format!("<{}.confirmation@x>", id.get()), created_at));
        Ok((
            CasePlan {
                ticket: plan_ticket.clone(),
                strike,
                outbox,
            },
            history,
        ))
    });
    store.intake(request(t, evidence), decide).await.unwrap()
}

async fn create(store: &Store, t: &Ticket) -> TicketId {
    match intake(store, t, vec![], false).await {
        IntakeOutcome::Created(id, _) => id,
        IntakeOutcome::Merged(id) => panic!("joined {id:?} instead of creating"),
    }
}

fn screenshot(sha: &str) -> EvidenceRow {
    EvidenceRow {
        sha256: sha.into(),
        kind: "png".into(),
        width: 1920,
        height: 1080,
        byte_len: 1000,
        filename: "s.png".into(),
        editor: None,
    }
}

fn event(ticket_id: TicketId, key: &str, created_at: i64) -> NewOutboxEvent {
    NewOutboxEvent {
        kind: "confirmation".into(),
        ticket_id,
        payload: "{}".into(),
        idempotency_key: key.into(),
        created_at,
    }
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
        let stored = s.store.ticket(first).await.unwrap().unwrap();
        assert_eq!(stored.id, first);
        assert_eq!(stored.ticket, t, "every field reads back as written");
        let back = stored.ticket;
        assert_eq!(
            (back.email.as_str(), back.phone.as_deref(), back.category.as_str()),
            ("a@gmail.com", Some("+393451234567"), "payments")
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
async fn a_request_joins_the_contacts_open_recent_case_of_its_category() {
    for s in stores().await {
        let now = 1_700_000_000_000;
        let t = ticket("a@gmail.com", "+393451234567", "payments", now);
        let id = create(&s.store, &t).await;
        // Same e-mail, another phone; same phone, another e-mail: the same contact.
        let by_email = ticket("a@gmail.com", "+390000000001", "payments", now + 1);
        assert_eq!(
            intake(&s.store, &by_email, vec![], false).await,
            IntakeOutcome::Merged(id),
            "{}",
            s.name
        );
        let by_phone = ticket("z@gmail.com", "+393451234567", "payments", now + 2);
        assert_eq!(
            intake(&s.store, &by_phone, vec![], false).await,
            IntakeOutcome::Merged(id)
        );
        assert_eq!(s.store.messages(id).await.unwrap().len(), 2);
        // Another category, another contact, or a day later: a new case.
        for other in [
            ticket("a@gmail.com", "+393451234567", "security", now + 3),
            ticket("q@gmail.com", "+390000000002", "payments", now + 4),
            ticket("a@gmail.com", "+393451234567", "payments", now + 86_400_001),
        ] {
            assert!(
                matches!(
                    intake(&s.store, &other, vec![], false).await,
                    IntakeOutcome::Created(..)
                ),
                "{}",
                s.name
            );
        }
    }
}

/// A request whose e-mail names one open case and whose phone names another joins the newer.
#[tokio::test]
async fn a_request_matching_two_cases_joins_the_newer() {
    for s in stores().await {
        let now = 1_700_000_000_000;
        let older = create(&s.store, &ticket("a@gmail.com", "+393450000001", "payments", now)).await;
        let newer = create(&s.store, &ticket("b@gmail.com", "+393450000002", "payments", now + 10)).await;
        for (email, phone) in [("a@gmail.com", "+393450000002"), ("b@gmail.com", "+393450000001")] {
            assert_eq!(
                intake(&s.store, &ticket(email, phone, "payments", now + 20), vec![], false).await,
                IntakeOutcome::Merged(newer),
                "{} {email} {phone}",
                s.name
            );
        }
        assert_eq!(s.store.messages(older).await.unwrap().len(), 0, "{}", s.name);
    }
}

#[tokio::test]
async fn contacts_without_a_phone_are_told_apart_by_their_email() {
    for s in stores().await {
        let now = 1_700_000_000_000;
        let mailed = |email: &str, at| Ticket {
            status: "needs_info".into(),
            phone: None,
            device: None,
            channel: "email".into(),
            ..ticket(email, "", "technical", at)
        };
        let first = create(&s.store, &mailed("one@gmail.com", now)).await;
        let back = s.store.ticket(first).await.unwrap().unwrap().ticket;
        assert_eq!((back.phone, back.device), (None, None), "{}", s.name);
        // Another sender without a phone: not the same contact.
        assert!(matches!(
            intake(&s.store, &mailed("two@gmail.com", now + 1), vec![], true).await,
            IntakeOutcome::Created(..)
        ));
        // The same sender again within a day: the case waiting for information absorbs it.
        assert_eq!(
            intake(&s.store, &mailed("one@gmail.com", now + 2), vec![], false).await,
            IntakeOutcome::Merged(first),
            "{}",
            s.name
        );
        // A strike without a phone lands on the e-mail alone, and reaches that contact only.
        let IntakeOutcome::Created(_, seen) =
            intake(&s.store, &mailed("two@gmail.com", now + 3 * 86_400_000), vec![], false).await
        else {
            panic!("created")
        };
        assert!(seen.recent_strike, "{}", s.name);
        let IntakeOutcome::Created(_, seen) =
            intake(&s.store, &mailed("three@gmail.com", now + 4), vec![], false).await
        else {
            panic!("created")
        };
        assert!(!seen.recent_strike, "{}", s.name);
    }
}

#[tokio::test]
async fn resolved_cases_are_not_joined() {
    for s in stores().await {
        let mut resolved = ticket("r@gmail.com", "+393451234500", "payments", 1_000);
        resolved.status = "resolved".into();
        create(&s.store, &resolved).await;
        let again = ticket("r@gmail.com", "+393451234500", "payments", 2_000);
        assert!(
            matches!(
                intake(&s.store, &again, vec![], false).await,
                IntakeOutcome::Created(..)
            ),
            "{}",
            s.name
        );
    }
}

#[tokio::test]
async fn strikes_and_repeated_screenshots_reach_the_decision() {
    for s in stores().await {
        let day = 86_400_000;
        let t0 = 1_700_000_000_000;
        let first = ticket("a@gmail.com", "+393451234567", "technical", t0);
        let IntakeOutcome::Created(_, seen) = intake(&s.store, &first, vec![screenshot("aa")], true).await else {
            panic!("created")
        };
        assert_eq!(seen, ContactHistory::default());
        // Another category (no merge); by phone only: the strike and the screenshot are the contact's.
        let second = ticket("other@gmail.com", "+393451234567", "payments", t0 + day);
        let IntakeOutcome::Created(_, seen) = intake(&s.store, &second, vec![screenshot("aa")], false).await else {
            panic!("created")
        };
        assert_eq!(
            seen,
            ContactHistory {
                recent_strike: true,
                most_repeats: 1
            },
            "{}",
            s.name
        );
        let third = ticket("a@gmail.com", "+393451234567", "security", t0 + 2 * day);
        let IntakeOutcome::Created(_, seen) =
            intake(&s.store, &third, vec![screenshot("aa"), screenshot("bb")], false).await
        else {
            panic!("created")
        };
        assert_eq!(seen.most_repeats, 2);
        // Strikes expire with their window.
        let later = ticket("a@gmail.com", "+393451234567", "groups", t0 + 31 * day);
        let IntakeOutcome::Created(_, seen) = intake(&s.store, &later, vec![], false).await else {
            panic!("created")
        };
        assert!(!seen.recent_strike, "{}", s.name);
    }
}

#[tokio::test]
async fn a_failed_decision_leaves_nothing_and_spares_its_neighbours() {
    for s in stores().await {
        let tasks: Vec<_> = (0..40)
            .map(|i| {
                let store = s.store.clone();
                tokio::spawn(async move {
                    let t = ticket(
                        &format!("c{i}@gmail.com"),
                        &format!("+3934500000{i:02}"),
                        "payments",
                        1_000,
                    );
                    let plan_ticket = t.clone();
                    let decide: Decide<()> = Box::new(move |_| {
                        if i % 2 == 1 {
                            return Err("refused".into());
                        }
                        let outbox = Box::new(move |id: TicketId| event(id, &format!("<{}@x>", id.get()), 1_000));
                        Ok((
                            CasePlan {
                                ticket: plan_ticket.clone(),
                                strike: false,
                                outbox,
                            },
                            (),
                        ))
                    });
                    store.intake(request(&t, vec![screenshot("ff")]), decide).await.is_ok()
                })
            })
            .collect();
        let mut accepted = 0;
        for t in tasks {
            accepted += i64::from(t.await.unwrap());
        }
        assert_eq!(accepted, 20);
        assert_eq!(s.store.count_tickets().await.unwrap(), 20, "{}", s.name);
        assert_eq!(
            s.store.claim_outbox(2_000, 1_000, 100).await.unwrap().len(),
            20,
            "no orphan events"
        );
    }
}

/// An intake that fails half-way (its case and token written, its event refused) leaves nothing,
/// and the intakes committed with it keep everything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_intake_failing_half_way_leaves_nothing_and_spares_its_neighbours() {
    for s in stores().await {
        let taken = ticket("first@gmail.com", "+393459999999", "payments", 1_000);
        let plan_ticket = taken.clone();
        let decide: Decide<()> = Box::new(move |_| {
            let outbox = Box::new(|id: TicketId| event(id, "<taken@x>", 1_000));
            Ok((
                CasePlan {
                    ticket: plan_ticket.clone(),
                    strike: false,
                    outbox,
                },
                (),
            ))
        });
        s.store.intake(request(&taken, vec![]), decide).await.unwrap();
        let tasks: Vec<_> = (0..40)
            .map(|i| {
                let store = s.store.clone();
                tokio::spawn(async move {
                    let t = ticket(
                        &format!("h{i}@gmail.com"),
                        &format!("+3934600000{i:02}"),
                        "payments",
                        1_000,
                    );
                    let plan_ticket = t.clone();
                    let decide: Decide<()> = Box::new(move |_| {
                        // Odd intakes reuse a Message-ID: refused by the outbox's unique key.
                        let key = if i % 2 == 1 {
                            "<taken@x>".to_owned()
                        } else {
                            format!("<h{i}@x>")
                        };
                        let outbox = Box::new(move |id: TicketId| event(id, &key, 1_000));
                        Ok((
                            CasePlan {
                                ticket: plan_ticket.clone(),
                                strike: false,
                                outbox,
                            },
                            (),
                        ))
                    });
                    (i, store.intake(request(&t, vec![]), decide).await)
                })
            })
            .collect();
        for t in tasks {
            let (i, outcome) = t.await.unwrap();
            assert_eq!(outcome.is_ok(), i % 2 == 0, "{} intake {i}: {outcome:?}", s.name);
        }
        assert_eq!(s.store.count_tickets().await.unwrap(), 21, "{}", s.name);
        assert_eq!(
            s.store.claim_outbox(2_000, 1_000, 100).await.unwrap().len(),
            21,
            "{}",
            s.name
        );
    }
}

#[tokio::test]
async fn tokens_open_only_their_case() {
    for s in stores().await {
        let t = ticket("a@gmail.com", "+391", "payments", 1);
        let r = request(&t, vec![]);
        let hash = r.token_hash.clone();
        let plan_ticket = t.clone();
        let decide: Decide<()> = Box::new(move |_| {
            let outbox = Box::new(move |id: TicketId| event(id, "<a@x>", 1));
            Ok((
                CasePlan {
                    ticket: plan_ticket.clone(),
                    strike: false,
                    outbox,
                },
                (),
            ))
        });
        let IntakeOutcome::Created(a, ()) = s.store.intake(r, decide).await.unwrap() else {
            panic!("created")
        };
        let b = create(&s.store, &ticket("b@gmail.com", "+392", "payments", 1)).await;
        assert!(s.store.token_matches(a, &hash).await.unwrap());
        assert!(!s.store.token_matches(b, &hash).await.unwrap());
        assert!(!s.store.token_matches(a, "another").await.unwrap());
    }
}

#[tokio::test]
async fn two_hundred_concurrent_intakes_of_one_contact_make_one_case() {
    for s in stores().await {
        let tasks: Vec<_> = (0..200)
            .map(|_| {
                let store = s.store.clone();
                tokio::spawn(async move {
                    intake(
                        &store,
                        &ticket("same@gmail.com", "+393451234567", "payments", 1_000),
                        vec![],
                        false,
                    )
                    .await
                })
            })
            .collect();
        let mut created = Vec::new();
        for t in tasks {
            if let IntakeOutcome::Created(id, _) = t.await.unwrap() {
                created.push(id);
            }
        }
        assert_eq!(created.len(), 1, "{}", s.name);
        assert_eq!(s.store.count_tickets().await.unwrap(), 1, "{}", s.name);
        assert_eq!(s.store.messages(created[0]).await.unwrap().len(), 199, "{}", s.name);
    }
}

/// Under writes that never pause, the WAL still starts over after each checkpoint: it stays
/// bounded instead of growing with every intake since the server started.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_wal_starts_over_under_unbroken_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wal.db");
    let store = Store::connect(&format!("sqlite://{}", path.display())).await.unwrap();
    store.migrate().await.unwrap();
    let wal = dir.path().join("wal.db-wal");
    // A restart writes a new header: salt-1 (bytes 16..20) goes up by one each time.
    let salt = || std::fs::read(&wal).ok().and_then(|h| h.get(16..20).map(<[u8]>::to_vec));
    let until = std::time::Instant::now() + std::time::Duration::from_millis(1500);
    let writers: Vec<_> = (0..32)
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut n = 0;
                while std::time::Instant::now() < until {
                    create(
                        &store,
                        &ticket(
                            &format!("w{w}n{n}@gmail.com"),
                            &format!("+39{w:02}{n:07}"),
                            "payments",
                            1,
                        ),
                    )
                    .await;
                    n += 1;
                }
            })
        })
        .collect();
    let mut salts = HashSet::new();
    while std::time::Instant::now() < until {
        salts.extend(salt());
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    for w in writers {
        w.await.unwrap();
    }
    assert!(
        salts.len() >= 3,
        "the WAL started over {} times",
        salts.len().saturating_sub(1)
    );
}

#[tokio::test]
async fn outbox_events_are_leased_sent_and_retried() {
    for s in stores().await {
        create(&s.store, &ticket("a@gmail.com", "+391", "payments", 1_000)).await;
        create(&s.store, &ticket("b@gmail.com", "+392", "payments", 1_000)).await;
        let claimed = s.store.claim_outbox(2_000, 60_000, 10).await.unwrap();
        assert_eq!(claimed.len(), 2, "{}", s.name);
        assert!(
            s.store.claim_outbox(3_000, 60_000, 10).await.unwrap().is_empty(),
            "leased events are not claimed twice"
        );
        s.store.mark_sent(claimed[0].id, 3_000, "{}").await.unwrap();
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
        assert_eq!(
            (retried[0].idempotency_key.as_str(), retried[0].attempts),
            (claimed[1].idempotency_key.as_str(), 1)
        );
        // A worker that died: its lease runs out and the event comes back.
        assert_eq!(
            s.store.claim_outbox(10_000 + 60_000, 60_000, 10).await.unwrap().len(),
            1
        );
    }
}

#[tokio::test]
async fn concurrent_claimers_never_share_an_event() {
    for s in stores().await {
        for i in 0..200 {
            create(
                &s.store,
                &ticket(&format!("c{i}@gmail.com"), &format!("+39345{i:07}"), "payments", 1_000),
            )
            .await;
        }
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
        for c in claimers {
            for key in c.await.unwrap() {
                assert!(seen.insert(key), "{}: an event was claimed twice", s.name);
            }
        }
        assert_eq!(seen.len(), 200);
    }
}

/// Migration 0005 rebuilds `status_tokens` on SQLite (SQLite cannot drop a UNIQUE constraint):
/// applied to a database holding tokens, it keeps every one, and the unique index is gone.
#[test]
fn the_status_token_rebuild_keeps_every_token() {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite");
    let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let (before, rebuild): (Vec<_>, Vec<_>) = files
        .iter()
        .partition(|f| f.file_name().unwrap().to_string_lossy().as_ref() < "0005");
    for file in before {
        conn.execute_batch(&std::fs::read_to_string(file).unwrap()).unwrap();
    }
    conn.execute_batch(
        "INSERT INTO tickets (status, priority, category, subcategory, email, phone, language, device, description, \
         fields, urgent_requested, penalised, warnings, channel, created_at, updated_at, first_response_due, \
         resolution_due) VALUES ('new', 'normal', 'payments', 'refund', 'a@gmail.com', '+391', 'it', 'x', 'y', '{}', \
         0, 0, '[]', 'api', 1, 1, 2, 3); \
         INSERT INTO status_tokens (ticket_id, token_hash, created_at) VALUES (1, 'h1', 1), (1, 'h2', 2);",
    )
    .unwrap();
    conn.execute_batch(&std::fs::read_to_string(rebuild[0]).unwrap())
        .unwrap();
    let tokens: Vec<(i64, String, i64)> = conn
        .prepare("SELECT ticket_id, token_hash, created_at FROM status_tokens ORDER BY token_hash")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(tokens, [(1, "h1".to_owned(), 1), (1, "h2".to_owned(), 2)]);
    let indexes: Vec<(String, bool)> = conn
        .prepare("SELECT name, \"unique\" FROM pragma_index_list('status_tokens')")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(indexes, [("status_tokens_ticket".to_owned(), false)]);
    // The foreign key still holds.
    assert!(conn
        .execute(
            "INSERT INTO status_tokens (ticket_id, token_hash, created_at) VALUES (99, 'x', 1)",
            []
        )
        .is_err());
}
