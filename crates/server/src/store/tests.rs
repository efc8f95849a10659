//! Every store test runs on SQLite (a fresh file) and on PostgreSQL (a fresh database, dropped
//! afterwards) when `SPORTELLO_TEST_POSTGRES_URL` is set; in CI a missing PostgreSQL fails
//! instead of skipping.

use std::collections::{BTreeMap, HashSet};
use std::io::Write as _;
use std::sync::Once;

use chrono::{DateTime, Duration, Utc};
use sportello_domain::case::{Channel, Status};
use sportello_domain::contact::email::Email;
use sportello_domain::contact::phone::Phone;
use sportello_domain::evidence::{content_hash, ImageKind};
use sportello_domain::triage::{Due, Priority};
use sqlx::Connection;

use super::*;
use crate::events::{MergedNotice, OutboxEvent};

pub(crate) struct TestStore {
    pub store: Store,
    pub name: &'static str,
    _dir: Option<tempfile::TempDir>,
    /// PostgreSQL: the database to drop afterwards, and the server to drop it on.
    dropped: Option<(String, String)>,
}

impl Drop for TestStore {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.dropped.take() {
            drop_postgres_database(admin, name);
        }
    }
}

/// Drops a test database on its own thread and runtime (Drop cannot await); `FORCE` ends the
/// pool's connections first.
pub(crate) fn drop_postgres_database(admin: String, name: String) {
    let dropped = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()?;
        runtime.block_on(async {
            let mut conn = sqlx::PgConnection::connect(&admin).await.ok()?;
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await
                .ok()
        })
    });
    let _ = dropped.join();
}

/// Says once, on standard output (which a plain `cargo test` shows), that PostgreSQL was skipped.
pub(crate) fn say_postgres_skipped() {
    static SAID: Once = Once::new();
    SAID.call_once(|| {
        // Straight to the file descriptor: the test harness captures `println!`.
        let _ = writeln!(
            std::io::stdout(),
            "note: the PostgreSQL store suite was skipped (SPORTELLO_TEST_POSTGRES_URL is unset)"
        );
    });
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
        dropped: None,
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
                dropped: Some((admin.clone(), name)),
            });
        }
        Err(_) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true but SPORTELLO_TEST_POSTGRES_URL is unset: the PostgreSQL suite must run")
        }
        Err(_) => say_postgres_skipped(),
    }
    all
}

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap()
}

fn ticket(email: &str, phone: &str, category: &str, created_at: i64) -> NewCase {
    NewCase {
        status: Status::New,
        priority: Priority::Normal,
        category: category.into(),
        subcategory: "refund".into(),
        email: Email::parse(email).unwrap(),
        phone: Some(Phone::from_e164(phone).unwrap()),
        name: Some("Maria".into()),
        country: Some("IT".into()),
        language: "it".into(),
        device: Some("iPhone 14, iOS 17.1".into()),
        description: "Il rimborso non arriva.".into(),
        fields: BTreeMap::from([("amount".to_owned(), "12.00 EUR".to_owned())]),
        urgent_requested: true,
        penalised: false,
        warnings: Vec::new(),
        channel: Channel::Api,
        created_at: at(created_at),
        due: Due {
            first_response_due: at(created_at + 86_400_000),
            resolution_due: at(created_at + 3 * 86_400_000),
        },
        related_to: None,
        business: None,
        expected_first_response: None,
    }
}

fn request(t: &NewCase, evidence: Vec<EvidenceRow>) -> IntakeRequest {
    let to = t.email.clone();
    IntakeRequest {
        email: t.email.clone(),
        phone: t.phone.clone(),
        device: t.device.clone(),
        category: t.category.clone(),
        merge_since: t.created_at - Duration::days(1),
        strike_since: t.created_at - Duration::days(30),
        now: t.created_at,
        token_hash: format!("token-{:x}", rand::random::<u64>()),
        merge_body: "more details".into(),
        words: sportello_domain::search::indexed(&format!("{} {}", t.email.as_str(), t.description)),
        evidence,
        raw_sha256: None,
        merged: Box::new(move |id| merged_event(id, &to)),
    }
}

fn merged_event(id: TicketId, to: &Email) -> NewOutboxEvent {
    NewOutboxEvent {
        ticket_id: id,
        event: OutboxEvent::Merged(MergedNotice {
            case_number: format!("#{}", id.get()),
            to: to.clone(),
            language: "it".into(),
            status_url: Some("https://x.test/status".into()),
        }),
        idempotency_key: format!("<merged-{:x}@x>", rand::random::<u64>()),
        created_at: at(0),
    }
}

/// Creates (or joins) a case; the decision records the history it was given.
async fn intake(store: &Store, t: &NewCase, evidence: Vec<EvidenceRow>, strike: bool) -> IntakeOutcome<ContactHistory> {
    let plan_case = t.clone();
    let decide: Decide<ContactHistory> = Box::new(move |history| {
        let created_at = plan_case.created_at;
        let to = plan_case.email.clone();
        let outbox =
            Box::new(move |id: TicketId| event(id, &format!("<{}.confirmation@x>", id.get()), created_at, &to));
        Ok((
            CasePlan {
                case: plan_case.clone(),
                strike,
                outbox,
            },
            history,
        ))
    });
    store.intake(request(t, evidence), decide).await.unwrap()
}

async fn create(store: &Store, t: &NewCase) -> TicketId {
    match intake(store, t, vec![], false).await {
        IntakeOutcome::Created(id, _) => id,
        IntakeOutcome::Merged(id) => panic!("joined {id:?} instead of creating"),
    }
}

fn screenshot(sha: &str) -> EvidenceRow {
    EvidenceRow {
        sha256: content_hash(sha.as_bytes()),
        kind: ImageKind::Png,
        width: 1920,
        height: 1080,
        byte_len: 1000,
        filename: "s.png".into(),
        editor: None,
    }
}

fn event(ticket_id: TicketId, key: &str, created_at: DateTime<Utc>, to: &Email) -> NewOutboxEvent {
    NewOutboxEvent {
        ticket_id,
        event: OutboxEvent::Merged(MergedNotice {
            case_number: format!("#{}", ticket_id.get()),
            to: to.clone(),
            language: "it".into(),
            status_url: Some("https://x.test/status".into()),
        }),
        idempotency_key: key.into(),
        created_at,
    }
}

/// Reads a case back, with what intake wrote of it.
async fn read_back(store: &Store, id: TicketId) -> Case {
    store.case(id).await.unwrap().unwrap()
}

fn written(c: &Case) -> NewCase {
    NewCase {
        status: c.status,
        priority: c.priority,
        category: c.category.clone(),
        subcategory: c.subcategory.clone(),
        email: c.email.clone(),
        phone: c.phone.clone(),
        name: c.name.clone(),
        country: c.country.clone(),
        language: c.language.clone(),
        device: c.device.clone(),
        description: c.description.clone(),
        fields: c.fields.clone(),
        urgent_requested: c.urgent_requested,
        penalised: c.penalised,
        warnings: c.warnings.clone(),
        channel: c.channel,
        created_at: c.created_at,
        due: Due {
            first_response_due: c.first_response_due,
            resolution_due: c.resolution_due,
        },
        related_to: c.related_to,
        business: c
            .organisation
            .zip(c.business)
            .map(|(organisation, standing)| super::BusinessCase {
                organisation,
                standing,
                over_quota: c.over_quota,
            }),
        expected_first_response: c.expected_first_response,
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
async fn a_case_reads_back_field_for_field_as_domain_types_and_ids_increase() {
    for s in stores().await {
        let mut t = ticket("a@gmail.com", "+393451234567", "payments", 1_700_000_000_000);
        t.warnings = vec![sportello_domain::problem::Warning::on(
            sportello_domain::problem::WarningCode::MissingRecommended,
            "amount",
        )];
        t.priority = Priority::Low;
        let first = create(&s.store, &t).await;
        let second = create(
            &s.store,
            &ticket("b@gmail.com", "+393451234568", "payments", 1_700_000_000_001),
        )
        .await;
        assert!(second > first, "{}", s.name);
        let stored = read_back(&s.store, first).await;
        assert_eq!(stored.id, first);
        assert_eq!(written(&stored), t, "{}: every field reads back as written", s.name);
        assert_eq!(
            (
                stored.first_response_at,
                stored.resolved_at,
                stored.last_bump_at,
                stored.paused_since
            ),
            (None, None, None, None)
        );
        assert_eq!(s.store.case(TicketId(999_999)).await.unwrap(), None);
        assert_eq!(s.store.count_tickets().await.unwrap(), 2);
    }
}

/// A row another program damaged reads as an error naming its column, never as a default.
#[tokio::test]
async fn a_value_that_does_not_read_back_is_an_error() {
    for s in stores().await {
        let id = create(&s.store, &ticket("a@gmail.com", "+393451234567", "payments", 1_000)).await;
        for (column, value) in [
            ("status", "'pending'"),
            ("priority", "'URGENT'"),
            ("fields", "'not json'"),
            ("warnings", "'[{\"code\":\"nonsense\"}]'"),
            ("email", "'not an address'"),
            ("phone", "'12345'"),
            ("channel", "'fax'"),
        ] {
            let mut tx = s.store.begin_write().await.unwrap();
            sqlx::query(&format!(
                "UPDATE tickets SET {column} = {value} WHERE id = {}",
                id.get()
            ))
            .execute(tx.conn())
            .await
            .unwrap();
            tx.commit().await.unwrap();
            let read = s.store.case(id).await;
            assert!(
                matches!(&read, Err(StoreError::Corrupt(why)) if why.starts_with(column)),
                "{} {column}: {read:?}",
                s.name
            );
            // Put the good value back for the next column.
            let good = ticket("a@gmail.com", "+393451234567", "payments", 1_000);
            let (fields, warnings) = good.json().unwrap();
            let mut tx = s.store.begin_write().await.unwrap();
            sqlx::query(
                "UPDATE tickets SET status = $1, priority = $2, fields = $3, warnings = $4, email = $5, phone = $6, \
                 channel = $7 WHERE id = $8",
            )
            .bind(Status::New.as_str())
            .bind(Priority::Normal.as_str())
            .bind(fields)
            .bind(warnings)
            .bind("a@gmail.com")
            .bind("+393451234567")
            .bind(Channel::Api.as_str())
            .bind(id.get())
            .execute(tx.conn())
            .await
            .unwrap();
            tx.commit().await.unwrap();
            assert!(s.store.case(id).await.is_ok());
        }
    }
}

#[tokio::test]
async fn a_request_joins_only_the_same_addresss_open_recent_case_of_its_category() {
    for s in stores().await {
        let now = 1_700_000_000_000;
        let t = ticket("a@gmail.com", "+393451234567", "payments", now);
        let id = create(&s.store, &t).await;
        // Same e-mail, another phone: the same contact, the same case.
        let by_email = ticket("a@gmail.com", "+390000000001", "payments", now + 1);
        assert_eq!(
            intake(&s.store, &by_email, vec![], false).await,
            IntakeOutcome::Merged(id),
            "{}",
            s.name
        );
        assert_eq!(s.store.messages(id).await.unwrap().len(), 1);
        // Same phone, another e-mail: a new case, linked to the other as a possible duplicate.
        // Typing someone's phone number must not add to their case (SPEC §3.3).
        let by_phone = ticket("z@gmail.com", "+393451234567", "payments", now + 2);
        let IntakeOutcome::Created(other, seen) = intake(&s.store, &by_phone, vec![], false).await else {
            panic!("{}: the same phone under another address created nothing", s.name)
        };
        assert_eq!(seen.same_phone, Some(id), "{}", s.name);
        assert_ne!(other, id);
        assert_eq!(s.store.messages(id).await.unwrap().len(), 1, "nothing joined by phone");
        // Another category, or another contact: a new case, linked to nothing.
        for other in [
            ticket("a@gmail.com", "+393451234567", "security", now + 3),
            ticket("q@gmail.com", "+390000000002", "payments", now + 4),
        ] {
            let IntakeOutcome::Created(_, seen) = intake(&s.store, &other, vec![], false).await else {
                panic!("{}: merged", s.name)
            };
            assert_eq!(seen.same_phone, None, "{}", s.name);
        }
        // A day later the first case is out of the window; the one with the same phone under
        // another address is not.
        let later = ticket("a@gmail.com", "+393451234567", "payments", now + 86_400_001);
        let IntakeOutcome::Created(_, seen) = intake(&s.store, &later, vec![], false).await else {
            panic!("{}: merged a day later", s.name)
        };
        assert_eq!(seen.same_phone, Some(other), "{}", s.name);
    }
}

/// The merge tells the case's own address, with a new link; the answer carries none.
#[tokio::test]
async fn a_merge_writes_its_notice_and_a_new_token_for_the_case() {
    for s in stores().await {
        let now = 1_700_000_000_000;
        let id = create(&s.store, &ticket("a@gmail.com", "+393451234567", "payments", now)).await;
        let again = ticket("a@gmail.com", "+393451234567", "payments", now + 1);
        let r = request(&again, vec![]);
        let token = r.token_hash.clone();
        let decide: Decide<()> = Box::new(|_| Err("no new case".into()));
        assert_eq!(s.store.intake(r, decide).await.unwrap(), IntakeOutcome::Merged(id));
        assert!(s.store.token_matches(id, &token).await.unwrap(), "{}", s.name);
        let kinds: Vec<_> = s
            .store
            .claim_outbox(at(now + 10), Duration::minutes(1), 10)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.event.unwrap())
            .collect();
        assert_eq!(kinds.len(), 2, "{}: the confirmation and the notice", s.name);
        assert!(matches!(&kinds[1], OutboxEvent::Merged(m) if m.to.as_str() == "a@gmail.com"));
    }
}

/// A request from the form merged into a case opened by mail fills in the phone and device that
/// case waits for, and the case leaves `needs_info`.
#[tokio::test]
async fn a_merge_completes_a_case_waiting_for_phone_and_device() {
    for s in stores().await {
        let now = 1_700_000_000_000;
        let mailed = NewCase {
            status: Status::NeedsInfo,
            phone: None,
            device: None,
            channel: Channel::Email,
            ..ticket("one@gmail.com", "+393451234567", "technical", now)
        };
        let id = create(&s.store, &mailed).await;
        let form = ticket("one@gmail.com", "+393451234567", "technical", now + 1);
        assert_eq!(intake(&s.store, &form, vec![], false).await, IntakeOutcome::Merged(id));
        let back = read_back(&s.store, id).await;
        assert_eq!(
            back.phone.as_ref().map(Phone::as_str),
            Some("+393451234567"),
            "{}",
            s.name
        );
        assert_eq!(back.device.as_deref(), Some("iPhone 14, iOS 17.1"));
        assert_eq!(back.status, Status::New, "{}", s.name);
        // A mailed request without them leaves a waiting case waiting.
        let waiting = create(
            &s.store,
            &NewCase {
                email: Email::parse("two@gmail.com").unwrap(),
                ..mailed.clone()
            },
        )
        .await;
        let again = NewCase {
            email: Email::parse("two@gmail.com").unwrap(),
            created_at: at(now + 2),
            ..mailed
        };
        assert_eq!(
            intake(&s.store, &again, vec![], false).await,
            IntakeOutcome::Merged(waiting)
        );
        assert_eq!(read_back(&s.store, waiting).await.status, Status::NeedsInfo);
    }
}

#[tokio::test]
async fn contacts_without_a_phone_are_told_apart_by_their_email() {
    for s in stores().await {
        let now = 1_700_000_000_000;
        let mailed = |email: &str, at_ms| NewCase {
            status: Status::NeedsInfo,
            phone: None,
            device: None,
            channel: Channel::Email,
            ..ticket(email, "+393450000000", "technical", at_ms)
        };
        let first = create(&s.store, &mailed("one@gmail.com", now)).await;
        let back = read_back(&s.store, first).await;
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
async fn ended_cases_are_not_joined() {
    for s in stores().await {
        for (i, status) in Status::ENDED.into_iter().enumerate() {
            let email = format!("r{i}@gmail.com");
            let mut ended = ticket(&email, "+393451234500", "payments", 1_000);
            ended.status = status;
            create(&s.store, &ended).await;
            let again = ticket(&email, "+393451234500", "payments", 2_000);
            assert!(
                matches!(
                    intake(&s.store, &again, vec![], false).await,
                    IntakeOutcome::Created(..)
                ),
                "{} {status}",
                s.name
            );
        }
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
                most_repeats: 1,
                same_phone: None,
                business: None,
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

fn plan(t: &NewCase, key: String) -> CasePlan {
    let (created_at, to) = (t.created_at, t.email.clone());
    CasePlan {
        case: t.clone(),
        strike: false,
        outbox: Box::new(move |id: TicketId| event(id, &key, created_at, &to)),
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
                    let plan_case = t.clone();
                    let decide: Decide<()> = Box::new(move |_| {
                        if i % 2 == 1 {
                            return Err("refused".into());
                        }
                        Ok((plan(&plan_case, format!("<{i}@x>")), ()))
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
            s.store
                .claim_outbox(at(2_000), Duration::seconds(1), 100)
                .await
                .unwrap()
                .len(),
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
        let plan_case = taken.clone();
        let decide: Decide<()> = Box::new(move |_| Ok((plan(&plan_case, "<taken@x>".to_owned()), ())));
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
                    let plan_case = t.clone();
                    let decide: Decide<()> = Box::new(move |_| {
                        // Odd intakes reuse a Message-ID: refused by the outbox's unique key.
                        let key = if i % 2 == 1 {
                            "<taken@x>".to_owned()
                        } else {
                            format!("<h{i}@x>")
                        };
                        Ok((plan(&plan_case, key), ()))
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
            s.store
                .claim_outbox(at(2_000), Duration::seconds(1), 100)
                .await
                .unwrap()
                .len(),
            21,
            "{}",
            s.name
        );
    }
}

#[tokio::test]
async fn tokens_open_only_their_case() {
    for s in stores().await {
        let t = ticket("a@gmail.com", "+393451111111", "payments", 1);
        let r = request(&t, vec![]);
        let hash = r.token_hash.clone();
        let plan_case = t.clone();
        let decide: Decide<()> = Box::new(move |_| Ok((plan(&plan_case, "<a@x>".to_owned()), ())));
        let IntakeOutcome::Created(a, ()) = s.store.intake(r, decide).await.unwrap() else {
            panic!("created")
        };
        let b = create(&s.store, &ticket("b@gmail.com", "+393452222222", "payments", 1)).await;
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

/// The status moves only from the status the use case read; with it, the clock the move leaves.
#[tokio::test]
async fn a_status_move_holds_only_from_the_status_it_was_decided_from() {
    for s in stores().await {
        let id = create(&s.store, &ticket("a@gmail.com", "+393451234567", "payments", 1_000)).await;
        let case = read_back(&s.store, id).await;
        let calendar = sportello_domain::calendar::Calendar::always();
        let waiting = case.timers().moved(Status::PendingCustomer, at(5_000), &calendar);
        let mut tx = s.store.begin_write().await.unwrap();
        assert!(tx.move_status(id, Status::New, &waiting, at(5_000)).await.unwrap());
        // A second writer that read `new` too: nothing happens.
        let resolved = case.timers().moved(Status::Resolved, at(6_000), &calendar);
        assert!(!tx.move_status(id, Status::New, &resolved, at(6_000)).await.unwrap());
        tx.commit().await.unwrap();
        let back = read_back(&s.store, id).await;
        assert_eq!(
            (back.status, back.paused_since),
            (Status::PendingCustomer, Some(at(5_000))),
            "{}",
            s.name
        );
        // Back to open an hour later: the resolution target moved by the hour waited.
        let open = back.timers().moved(Status::Open, at(5_000 + 3_600_000), &calendar);
        let mut tx = s.store.begin_write().await.unwrap();
        assert!(tx
            .move_status(id, Status::PendingCustomer, &open, at(5_000 + 3_600_000))
            .await
            .unwrap());
        tx.commit().await.unwrap();
        let back = read_back(&s.store, id).await;
        assert_eq!(
            back.resolution_due,
            case.resolution_due + Duration::hours(1),
            "{}",
            s.name
        );
        assert_eq!(back.paused_since, None);
    }
}

/// What a write transaction does is seen only once it commits, and not at all if it is dropped.
#[tokio::test]
async fn a_write_commits_all_its_rows_or_none() {
    for s in stores().await {
        let id = create(&s.store, &ticket("a@gmail.com", "+393451234567", "payments", 1_000)).await;
        let message = CustomerMessage {
            ticket: id,
            body: "ecco lo screenshot".into(),
            sender: None,
            raw_sha256: None,
            evidence: vec![screenshot("zz")],
            at: at(2_000),
        };
        let mut tx = s.store.begin_write().await.unwrap();
        tx.add_customer_message(&message).await.unwrap();
        drop(tx);
        assert!(
            s.store.messages(id).await.unwrap().is_empty(),
            "{}: rolled back",
            s.name
        );
        assert!(s.store.attachments(id, &[]).await.unwrap().is_empty());
        let mut tx = s.store.begin_write().await.unwrap();
        tx.add_customer_message(&message).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(s.store.messages(id).await.unwrap().len(), 1, "{}", s.name);
        assert!(s.store.blob_named(&content_hash(b"zz")).await.unwrap());
        assert!(!s.store.blob_named(&content_hash(b"nobody")).await.unwrap());
    }
}

/// Secrets are made once and then the same for every connection (every instance).
#[tokio::test]
async fn a_secret_is_made_once_and_shared() {
    for s in stores().await {
        let first = s.store.secret("message_ids", at(1)).await.unwrap();
        let again = s.store.secret("message_ids", at(2)).await.unwrap();
        assert_eq!(first, again, "{}", s.name);
        assert_ne!(first, s.store.secret("kept_files", at(3)).await.unwrap());
        assert_ne!(first, [0; 32]);
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
                            &format!("+393{w:02}{n:07}"),
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
        create(&s.store, &ticket("a@gmail.com", "+393451111111", "payments", 1_000)).await;
        create(&s.store, &ticket("b@gmail.com", "+393452222222", "payments", 1_000)).await;
        let minute = Duration::minutes(1);
        let claimed = s.store.claim_outbox(at(2_000), minute, 10).await.unwrap();
        assert_eq!(claimed.len(), 2, "{}", s.name);
        assert!(
            s.store.claim_outbox(at(3_000), minute, 10).await.unwrap().is_empty(),
            "leased events are not claimed twice"
        );
        let sent = claimed[0].event.clone().unwrap().without_secrets();
        s.store.mark_sent(claimed[0].id, at(3_000), &sent).await.unwrap();
        s.store
            .mark_failed(claimed[1].id, "connection refused", at(10_000))
            .await
            .unwrap();
        assert!(
            s.store.claim_outbox(at(9_000), minute, 10).await.unwrap().is_empty(),
            "not before its next attempt"
        );
        let retried = s.store.claim_outbox(at(10_000), minute, 10).await.unwrap();
        assert_eq!(retried.len(), 1);
        assert_eq!(
            (retried[0].idempotency_key.as_str(), retried[0].attempts),
            (claimed[1].idempotency_key.as_str(), 1)
        );
        // A worker that died: its lease runs out and the event comes back.
        assert_eq!(
            s.store
                .claim_outbox(at(10_000 + 60_000), minute, 10)
                .await
                .unwrap()
                .len(),
            1
        );
    }
}

/// A payload that does not read back comes out of the outbox as an error for the worker to give
/// up on, visibly; the other events are unharmed.
#[tokio::test]
async fn an_event_that_does_not_decode_is_claimed_as_an_error() {
    for s in stores().await {
        create(&s.store, &ticket("a@gmail.com", "+393451111111", "payments", 1_000)).await;
        create(&s.store, &ticket("b@gmail.com", "+393452222222", "payments", 1_000)).await;
        let mut tx = s.store.begin_write().await.unwrap();
        sqlx::query("UPDATE outbox SET payload = '{}' WHERE id = (SELECT MIN(id) FROM outbox)")
            .execute(tx.conn())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let claimed = s.store.claim_outbox(at(2_000), Duration::minutes(1), 10).await.unwrap();
        assert!(claimed[0].event.is_err(), "{}", s.name);
        assert!(claimed[1].event.is_ok(), "{}", s.name);
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
                        let batch = store.claim_outbox(at(5_000), Duration::minutes(1), 7).await.unwrap();
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

fn searching(text: &str) -> super::SearchQuery {
    super::SearchQuery {
        query: sportello_domain::search::Query::parse(text),
        filter: super::QueueQuery {
            ended_too: true,
            ..super::QueueQuery::default()
        },
        from: super::SearchFrom::Older { below: i64::MAX },
        limit: 50,
        window: super::SEARCH_WINDOW,
    }
}

/// Cases written before search existed (no document) are indexed as a write would have: the
/// request's words and every message's; a second pass has nothing to do, and a case indexed
/// meanwhile keeps its own document.
#[tokio::test]
async fn cases_written_before_search_are_indexed_once() {
    for s in stores().await {
        let first = create(
            &s.store,
            &ticket("a@gmail.com", "+393451234567", "payments", 1_700_000_000_000),
        )
        .await;
        let second = create(
            &s.store,
            &ticket("b@gmail.com", "+393451234568", "payments", 1_700_000_000_001),
        )
        .await;
        let mut tx = s.store.begin_write().await.unwrap();
        tx.add_customer_message(&super::CustomerMessage {
            ticket: second,
            body: "Ecco la ricevuta del bonifico.".into(),
            sender: None,
            raw_sha256: None,
            evidence: vec![],
            at: at(1_700_000_100_000),
        })
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let found = |hits: Vec<super::SearchHit>| hits.into_iter().map(|h| h.id).collect::<Vec<_>>();
        assert_eq!(
            found(s.store.search(&searching("bonifici")).await.unwrap()),
            [second],
            "{}",
            s.name
        );
        sqlx::query("DELETE FROM case_search")
            .execute(&s.store.writes)
            .await
            .unwrap();
        assert!(
            s.store.search(&searching("rimborso")).await.unwrap().is_empty(),
            "{}",
            s.name
        );
        assert_eq!(s.store.fill_search(1).await.unwrap(), 2, "{}", s.name);
        assert_eq!(
            found(s.store.search(&searching("rimborsi")).await.unwrap()),
            [second, first]
        );
        assert_eq!(found(s.store.search(&searching("bonifici")).await.unwrap()), [second]);
        assert_eq!(
            found(s.store.search(&searching("+39 345 123 4567")).await.unwrap()),
            [first]
        );
        assert_eq!(s.store.fill_search(1).await.unwrap(), 0);
    }
}

/// The facts of every case created in 2023 (the test tickets' year), as text, grouped by
/// `dimension`.
async fn report_facts_text(store: &Store, dimension: sportello_domain::report::Dimension) -> String {
    let q = FactQuery {
        from: at(1_672_531_200_000),
        to: at(1_704_067_200_000),
        dimension,
        ..FactQuery::default()
    };
    store.report(q, |facts| format!("{facts:?}")).await.unwrap()
}

/// What a copy kept up to date reads is what a first load reads: after a new case and after a
/// write of each column a report reads (the revision trigger's list), on both backends.
#[tokio::test]
async fn reports_copy_follows_every_write_a_report_reads() {
    use sportello_domain::report::Dimension;
    for s in stores().await {
        let first = create(
            &s.store,
            &ticket("a@gmail.com", "+393451234567", "payments", 1_700_000_000_000),
        )
        .await;
        create(
            &s.store,
            &ticket("b@gmail.com", "+393451234568", "account", 1_700_000_100_000),
        )
        .await;
        let mut tx = s.store.begin_write().await.unwrap();
        let team = tx.add_team("Billing", false, at(1_700_000_000_000)).await.unwrap();
        let agent = tx
            .add_agent(&agents::NewAgent {
                email: "ada@desk.test".parse().unwrap(),
                name: "Ada".into(),
                role: sportello_domain::access::Role::Agent,
                password_hash: None,
                language: "en".into(),
                time_zone: "UTC".into(),
                at: at(1_700_000_000_000),
            })
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO organisations (name, monthly_quota, time_zone, created_at, updated_at) \
             VALUES ('Acme', 10, 'UTC', 1, 1)",
        )
        .execute(tx.conn())
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let dimensions = [
            Dimension::Subcategory,
            Dimension::Team,
            Dimension::Agent,
            Dimension::Organisation,
        ];
        let fresh = || Store {
            report_cases: Default::default(),
            ..s.store.clone()
        };
        let compare = |what: String| {
            let (kept, fresh) = (s.store.clone(), fresh());
            async move {
                for dimension in dimensions {
                    assert_eq!(
                        report_facts_text(&kept, dimension).await,
                        report_facts_text(&fresh, dimension).await,
                        "{} after {what}, by {dimension}",
                        s.name
                    );
                }
            }
        };
        assert_eq!(s.store.report_cases_held().await.unwrap(), 2, "{}", s.name);
        create(
            &s.store,
            &ticket("c@gmail.com", "+393451234569", "security", 1_700_000_200_000),
        )
        .await;
        compare("a new case".into()).await;
        assert_eq!(s.store.report_cases_held().await.unwrap(), 3, "{}", s.name);
        let writes = [
            ("status", "'resolved'".to_owned()),
            ("category", "'account'".to_owned()),
            ("subcategory", "'other'".to_owned()),
            ("channel", "'email'".to_owned()),
            ("priority", "'urgent'".to_owned()),
            ("team_id", team.0.to_string()),
            ("assignee_id", agent.0.to_string()),
            ("organisation_id", "(SELECT max(id) FROM organisations)".to_owned()),
            ("first_response_due", "1700000300000".to_owned()),
            ("resolution_due", "1700000400000".to_owned()),
            ("first_response_at", "1700000050000".to_owned()),
            ("resolved_at", "1700000060000".to_owned()),
            ("paused_since", "1700000070000".to_owned()),
            ("urgent_requested", "1".to_owned()),
            ("penalised", "1".to_owned()),
            ("warnings", "'[{\"code\":\"possible_scam_report\"}]'".to_owned()),
            ("csat_rating", "'good'".to_owned()),
            ("expected_first_response", "1700000080000".to_owned()),
        ];
        for (column, value) in writes {
            let mut tx = s.store.begin_write().await.unwrap();
            sqlx::query(&format!(
                "UPDATE tickets SET {column} = {value} WHERE id = {}",
                first.get()
            ))
            .execute(tx.conn())
            .await
            .unwrap();
            tx.commit().await.unwrap();
            compare(format!("a write of {column}")).await;
        }
    }
}

/// PostgreSQL commits out of order: a write that began before a report read and committed after
/// it, under an older transaction id than a write the read saw, is still read the next time.
#[tokio::test]
async fn reports_copy_reads_a_write_that_committed_after_a_newer_one() {
    use sportello_domain::report::Dimension;
    for s in stores().await.into_iter().filter(|s| s.name == "postgres") {
        let first = create(
            &s.store,
            &ticket("a@gmail.com", "+393451234567", "payments", 1_700_000_000_000),
        )
        .await;
        let second = create(
            &s.store,
            &ticket("b@gmail.com", "+393451234568", "account", 1_700_000_100_000),
        )
        .await;
        report_facts_text(&s.store, Dimension::Category).await;
        let mut older = s.store.begin_write().await.unwrap();
        sqlx::query(&format!(
            "UPDATE tickets SET category = 'security' WHERE id = {}",
            first.get()
        ))
        .execute(older.conn())
        .await
        .unwrap();
        let mut newer = s.store.begin_write().await.unwrap();
        sqlx::query(&format!(
            "UPDATE tickets SET category = 'security' WHERE id = {}",
            second.get()
        ))
        .execute(newer.conn())
        .await
        .unwrap();
        newer.commit().await.unwrap();
        let between = report_facts_text(&s.store, Dimension::Category).await;
        assert_eq!(between.matches("\"security\"").count(), 2, "{between}");
        older.commit().await.unwrap();
        let after = report_facts_text(&s.store, Dimension::Category).await;
        assert_eq!(after.matches("\"security\"").count(), 4, "{after}");
    }
}
