//! Fills a migrated Sportello database with a year of cases for the desk's benchmark
//! (`bench/desk.sh`, `bench/search.sh`):
//! `cargo run --release --example seed_desk -- DATABASE_URL CASES [TEXTS]`.
//!
//! A benchmark tool, not part of the server: it writes rows as the store would (due times and
//! queue positions computed by the domain, as intake and the desk's writes compute them) but in
//! bulk, many rows per statement, because a million intakes one by one would take most of an hour.
//! The spread: the six categories and their sub-categories, a year of ages, priorities and
//! statuses as a desk a year old has them (most cases closed), 60 % assigned among the agents,
//! 1–5 messages each (3 on average), a fifth of them agents' replies. TEXTS, a file of one
//! customer sentence per line (bench/search.sh takes them from the shared test data's support
//! requests), makes each description two of them at random, so search meets real vocabulary;
//! one case in 20,000 also says "quokka", the benchmark's rare word. Every case has a transaction
//! id of its own, and its search document is written as intake writes it.

use anyhow::{bail, Context};
use chrono::{Duration, Utc};
use rand::{Rng, SeedableRng};
use sportello_domain::case::Status;
use sportello_domain::catalog::Catalog;
use sportello_domain::sla::Timers;
use sportello_domain::triage::{due, Priority};
use sqlx::any::AnyPoolOptions;
use sqlx::Row;

const ROWS_PER_STATEMENT: usize = 400;
const MESSAGE: &str = "Here is what happened, with the details you asked for, and the screenshot.";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(url), Some(n)) = (args.get(1), args.get(2)) else {
        bail!("usage: seed_desk DATABASE_URL CASES");
    };
    let cases: usize = n.parse().context("CASES")?;
    let texts: Vec<String> = match args.get(3) {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("TEXTS: {path}"))?
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(ToOwned::to_owned)
            .collect(),
        None => Vec::new(),
    };
    sqlx::any::install_default_drivers();
    let pool = AnyPoolOptions::new().max_connections(1).connect(url).await?;
    let teams: Vec<(i64, String)> = sqlx::query("SELECT id, name FROM teams")
        .fetch_all(&pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("name")?)))
        .collect::<Result<_, sqlx::Error>>()?;
    let agents: Vec<i64> = sqlx::query("SELECT id FROM agents")
        .fetch_all(&pool)
        .await?
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<Result<_, sqlx::Error>>()?;
    if teams.is_empty() || agents.is_empty() {
        bail!("add the agents first (sportello agent add), which also makes the default teams");
    }
    let catalog = Catalog::builtin();
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let now = Utc::now();
    let year_ago = now - Duration::days(365);
    let mut written = 0;
    while written < cases {
        let batch = ROWS_PER_STATEMENT.min(cases - written);
        let mut tx = pool.begin().await?;
        let mut sql = String::from(
            "INSERT INTO tickets (status, priority, category, subcategory, email, phone, name, language, device, \
             description, fields, urgent_requested, penalised, warnings, channel, created_at, updated_at, \
             first_response_due, resolution_due, first_response_at, resolved_at, paused_since, assignee_id, team_id, \
             queue_position) VALUES ",
        );
        let mut rows = Vec::with_capacity(batch);
        for i in 0..batch {
            let category = &catalog.categories()[rng.gen_range(0..catalog.categories().len())];
            let sub = &category.subcategories[rng.gen_range(0..category.subcategories.len())];
            let priority = match rng.gen_range(0..100) {
                0..=2 if category.urgent_allowed => Priority::Urgent,
                0..=17 => Priority::High,
                18..=77 => Priority::Normal,
                _ => Priority::Low,
            };
            // Older cases are mostly over; the last weeks hold the open ones.
            let age = Duration::seconds(rng.gen_range(0..365 * 86_400));
            let created = (now - age).max(year_ago);
            let status = if age < Duration::days(21) {
                match rng.gen_range(0..100) {
                    0..=24 => Status::New,
                    25..=49 => Status::Open,
                    50..=64 => Status::PendingCustomer,
                    65..=69 => Status::NeedsInfo,
                    _ => Status::Resolved,
                }
            } else if age < Duration::days(28) {
                Status::Resolved
            } else {
                Status::Closed
            };
            let d = due(&catalog, category, &sub.id, priority, Default::default(), created);
            let answered = !matches!(status, Status::New | Status::NeedsInfo);
            let first_response_at = answered.then(|| created + Duration::minutes(rng.gen_range(10..2_000)));
            let resolved_at = matches!(status, Status::Resolved | Status::Closed)
                .then(|| created + Duration::hours(rng.gen_range(2..120)));
            let paused_since = (status == Status::PendingCustomer).then(|| created + Duration::hours(3));
            let timers = Timers {
                status,
                first_response_due: d.first_response_due,
                resolution_due: d.resolution_due,
                first_response_at,
                resolved_at,
                paused_since,
            };
            let team = teams
                .iter()
                .find(|(_, name)| *name == category.id)
                .map_or(teams[0].0, |(id, _)| *id);
            let assignee = rng.gen_bool(0.6).then(|| agents[rng.gen_range(0..agents.len())]);
            let n = written + i;
            let description = if texts.is_empty() {
                format!(
                    "Request about {} / {}: the payment of 12 euro yesterday evening failed and I see no refund.",
                    category.id, sub.id
                )
            } else {
                let rare = if rng.gen_range(0..20_000) == 0 { " quokka" } else { "" };
                format!(
                    "{} {}{rare}",
                    texts[rng.gen_range(0..texts.len())],
                    texts[rng.gen_range(0..texts.len())]
                )
            };
            rows.push(Seeded {
                description,
                transaction: format!("WA{:09}", n),
                status,
                priority,
                category: category.id.clone(),
                sub: sub.id.clone(),
                email: format!("customer{}@example.com", n % 400_000),
                phone: format!("+39345{:07}", n % 400_000),
                created: created.timestamp_millis(),
                timers,
                assignee,
                team,
                position: timers.queue_key(priority, 0).position(),
                messages: rng.gen_range(1..=5),
            });
        }
        let mut p = 0;
        let mut next = || {
            p += 1;
            format!("${p}")
        };
        for (i, _) in rows.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            let params: Vec<String> = (0..25).map(|_| next()).collect();
            sql.push_str(&format!("({})", params.join(", ")));
        }
        sql.push_str(" RETURNING id");
        let mut q = sqlx::query(&sql);
        for r in &rows {
            let t = &r.timers;
            q = q
                .bind(r.status.as_str())
                .bind(r.priority.as_str())
                .bind(r.category.clone())
                .bind(r.sub.clone())
                .bind(r.email.clone())
                .bind(r.phone.clone())
                .bind("Cliente")
                .bind("it")
                .bind("iPhone 14, iOS 17.1")
                .bind(r.description.clone())
                .bind(format!("{{\"transaction_id\":\"{}\"}}", r.transaction))
                .bind(0i64)
                .bind(0i64)
                .bind("[]")
                .bind("web")
                .bind(r.created)
                .bind(r.created)
                .bind(t.first_response_due.timestamp_millis())
                .bind(t.resolution_due.timestamp_millis())
                .bind(t.first_response_at.map(|a| a.timestamp_millis()))
                .bind(t.resolved_at.map(|a| a.timestamp_millis()))
                .bind(t.paused_since.map(|a| a.timestamp_millis()))
                .bind(r.assignee)
                .bind(r.team)
                .bind(r.position);
        }
        let ids: Vec<i64> = q
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|row| row.try_get("id"))
            .collect::<Result<_, sqlx::Error>>()?;
        // Messages: the customer's, and every fifth one an agent's reply.
        let mut messages = Vec::new();
        for (id, r) in ids.iter().zip(&rows) {
            for m in 0..r.messages {
                let agent = (m % 5 == 1).then_some(r.assignee.unwrap_or(agents[0]));
                messages.push((*id, agent, r.created + i64::from(m) * 3_600_000));
            }
        }
        for chunk in messages.chunks(ROWS_PER_STATEMENT) {
            let mut sql =
                String::from("INSERT INTO messages (ticket_id, author, body, public, created_at, agent_id) VALUES ");
            let mut p = 0;
            for (i, _) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!(
                    "(${}, ${}, ${}, 1, ${}, ${})",
                    p + 1,
                    p + 2,
                    p + 3,
                    p + 4,
                    p + 5
                ));
                p += 5;
            }
            let mut q = sqlx::query(&sql);
            for (ticket, agent, at) in chunk {
                q = q
                    .bind(*ticket)
                    .bind(if agent.is_some() { "agent" } else { "customer" })
                    .bind(MESSAGE)
                    .bind(*at)
                    .bind(*agent);
            }
            q.execute(&mut *tx).await?;
        }
        // The search documents, as intake and the message writes make them.
        for chunk in ids.iter().zip(&rows).collect::<Vec<_>>().chunks(ROWS_PER_STATEMENT) {
            let mut sql = String::from("INSERT INTO case_search (ticket_id, words) VALUES ");
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("(${}, ${})", 2 * i + 1, 2 * i + 2));
            }
            let mut q = sqlx::query(&sql);
            for (id, r) in chunk {
                let text = format!(
                    "{} Cliente iPhone 14, iOS 17.1 {} {}",
                    r.email, r.transaction, r.description
                );
                let mut words = sportello_domain::search::indexed(&text);
                if let Ok(phone) = sportello_domain::contact::phone::Phone::from_e164(&r.phone) {
                    words.push(' ');
                    words.push_str(&sportello_domain::search::phone_words(&phone));
                }
                for _ in 0..r.messages {
                    words.push(' ');
                    words.push_str(&sportello_domain::search::indexed(MESSAGE));
                }
                q = q.bind(**id).bind(words);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        written += batch;
        if written % 100_000 < ROWS_PER_STATEMENT {
            eprintln!("{written} cases");
        }
    }
    // A database that has run for a year has its statistics; after a bulk load PostgreSQL has
    // none until autovacuum gets to it, and plans flip while it does. (SQLite keeps none unless
    // asked, and the queue's plans are chosen without them.)
    if url.starts_with("postgres") {
        sqlx::query("ANALYZE").execute(&pool).await?;
    }
    println!("seeded {written} cases");
    Ok(())
}

struct Seeded {
    description: String,
    transaction: String,
    status: Status,
    priority: Priority,
    category: String,
    sub: String,
    email: String,
    phone: String,
    created: i64,
    timers: Timers,
    assignee: Option<i64>,
    team: i64,
    position: i64,
    messages: u32,
}
