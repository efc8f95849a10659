//! Full-text search over cases (SPEC §11), on each database's own engine: SQLite's FTS5 and
//! PostgreSQL's `tsvector` with a GIN index, both over the words `sportello_domain::search` makes
//! (migration 0016). Every write that adds text appends its words in its own transaction.
//!
//! How results are ordered, and why. Ranking every match of a word found in 40 % of a million
//! cases costs 450 ms on SQLite (bm25 of each); the newest matches, in the index's own order,
//! cost a tenth of a millisecond. So a search ranks the newest [`WINDOW`] matches by relevance
//! (all of them, when there are fewer: a rare word or an id is ranked exactly), and carries on
//! past the window with the older matches, newest first. Nothing is out of reach, and what an
//! agent looks for is most often recent.

use sportello_domain::search::Query;

use super::columns::Columns;
use super::queue::{id_list, Bind, Binds, QueueQuery};
use super::{Backend, Store, StoreError, TicketId, WriteTx};

/// The newest matches a search ranks by relevance.
pub const WINDOW: i64 = 2_000;

/// Appends words to a case's document, making it on the first write.
pub(super) const APPEND: &str = "INSERT INTO case_search (ticket_id, words) VALUES ($1, $2) \
     ON CONFLICT (ticket_id) DO UPDATE SET words = case_search.words || ' ' || excluded.words";

/// Where a page of results starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchFrom {
    /// Within the window of the newest matches up to this case (the newest match when the
    /// search began, so later cases do not shift the pages), skipping the ranked rows before.
    Ranked { newest: Option<i64>, skip: i64 },
    /// Past the window: the matches older than this case, newest first.
    Older { below: i64 },
}

#[derive(Debug, Clone)]
pub struct SearchQuery {
    pub query: Query,
    /// The queue's filters and permissions (hidden teams), already resolved.
    pub filter: QueueQuery,
    pub from: SearchFrom,
    pub limit: i64,
    /// The newest matches ranked by relevance ([`WINDOW`], unless a test wants a small one).
    pub window: i64,
}

/// A matching case and its relevance (higher is better; 0 past the window).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchHit {
    pub id: TicketId,
    pub rank: f64,
}

/// The text of a case that a snippet may come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseText {
    pub ticket: TicketId,
    pub source: TextSource,
    pub text: String,
}

/// Where in a case a text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextSource {
    Description,
    Fields,
    Contact,
    CustomerMessage,
    Reply,
    Note,
}

impl TextSource {
    pub fn as_str(self) -> &'static str {
        match self {
            TextSource::Description => "description",
            TextSource::Fields => "fields",
            TextSource::Contact => "contact",
            TextSource::CustomerMessage => "customer_message",
            TextSource::Reply => "reply",
            TextSource::Note => "note",
        }
    }
}

impl Store {
    /// A page of the cases `q` finds, best first; `limit` rows at most.
    pub async fn search(&self, q: &SearchQuery) -> Result<Vec<SearchHit>, StoreError> {
        if q.query.is_empty() {
            return Ok(Vec::new());
        }
        let mut binds = Binds::default();
        let (id, mut sql) = self.matches(q, &mut binds);
        let limit = |binds: &mut Binds, sql: &mut String, n: i64| {
            *sql += " LIMIT ";
            binds.push(sql, Bind::Int(n));
        };
        let sql = match q.from {
            SearchFrom::Older { below } => {
                sql += &format!(" AND {id} < ");
                binds.push(&mut sql, Bind::Int(below));
                sql += &format!(" ORDER BY {id} DESC");
                limit(&mut binds, &mut sql, q.limit);
                format!("SELECT id, CAST(0 AS DOUBLE PRECISION) AS rank FROM ({sql}) AS m")
            }
            SearchFrom::Ranked { newest, skip } => {
                if let Some(newest) = newest {
                    sql += &format!(" AND {id} <= ");
                    binds.push(&mut sql, Bind::Int(newest));
                }
                sql += &format!(" ORDER BY {id} DESC");
                limit(&mut binds, &mut sql, q.window);
                // bm25 is computed with the match (lower is better); ts_rank only for the window's rows.
                let mut ranked = match self.backend {
                    Backend::Sqlite => format!("SELECT id, -score AS rank FROM ({sql}) AS m ORDER BY score, id DESC"),
                    Backend::Postgres => format!(
                        "SELECT m.id, CAST(ts_rank(c.document, to_tsquery('simple', $1)) AS DOUBLE PRECISION) AS rank \
                         FROM ({sql}) AS m JOIN case_search c ON c.ticket_id = m.id ORDER BY rank DESC, m.id DESC"
                    ),
                };
                limit(&mut binds, &mut ranked, q.limit);
                ranked += " OFFSET ";
                binds.push(&mut ranked, Bind::Int(skip));
                ranked
            }
        };
        // Not kept prepared: on PostgreSQL a statement planned once for every query would plan a
        // common word like a rare one; a fresh one is planned for its own words.
        let rows = binds
            .apply(sqlx::query(&sql).persistent(false))
            .fetch_all(&self.reads)
            .await?;
        rows.iter()
            .map(|row| {
                use sqlx::Row as _;
                Ok(SearchHit {
                    id: TicketId(Columns(row).i64("id")?),
                    rank: row.try_get::<f64, _>("rank")?,
                })
            })
            .collect()
    }

    /// The matches of `q` with its filters, unordered: `(id column, SELECT … WHERE …)`. The
    /// engine's index is read in its own order; `CROSS JOIN` keeps SQLite reading it first.
    fn matches(&self, q: &SearchQuery, binds: &mut Binds) -> (&'static str, String) {
        let mut sql = String::new();
        let id = match self.backend {
            Backend::Sqlite => {
                sql += "SELECT s.rowid AS id, bm25(case_search_index) AS score FROM case_search_index s \
                        CROSS JOIN tickets t ON t.id = s.rowid WHERE case_search_index MATCH ";
                binds.push(&mut sql, Bind::Text(q.query.fts5()));
                "s.rowid"
            }
            Backend::Postgres => {
                sql += "SELECT s.ticket_id AS id FROM case_search s JOIN tickets t ON t.id = s.ticket_id \
                        WHERE s.document @@ to_tsquery('simple', ";
                binds.push(&mut sql, Bind::Text(q.query.tsquery()));
                sql += ")";
                "s.ticket_id"
            }
        };
        binds.conditions(&mut sql, &q.filter);
        (id, sql)
    }

    /// The newest case `q` finds, ignoring where the page starts: where a search's pages are
    /// fixed from. Asked as the newest of the window rather than as `LIMIT 1`: PostgreSQL plans
    /// `ORDER BY id DESC LIMIT 1` as a walk down the ids that tests each document, expecting a
    /// match within a few thousand, and for an id found once (or never) reads all million
    /// (0.5–1.7 s measured); for the window's size it reads a rare word's matches from the GIN
    /// index and a common word's by the walk, each the right plan (the column's statistics, see
    /// migration 0017, keep a rare word's estimate below the window).
    pub async fn newest_match(&self, q: &SearchQuery) -> Result<Option<TicketId>, StoreError> {
        if q.query.is_empty() {
            return Ok(None);
        }
        let mut binds = Binds::default();
        let (id, mut sql) = self.matches(q, &mut binds);
        sql += &format!(" ORDER BY {id} DESC LIMIT ");
        binds.push(&mut sql, Bind::Int(q.window));
        let sql = format!("SELECT max(m.id) AS id FROM ({sql}) AS m");
        let row = binds
            .apply(sqlx::query(&sql).persistent(false))
            .fetch_one(&self.reads)
            .await?;
        Ok(Columns(&row).opt_i64("id")?.map(TicketId))
    }

    /// Every text of these cases a snippet may come from: description, fields, contact, and the
    /// messages that were sent or written (not a held or undone reply).
    pub async fn case_texts(&self, ids: &[TicketId]) -> Result<Vec<CaseText>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = id_list(ids.iter().map(|id| id.get()));
        let mut out = Vec::new();
        let rows = sqlx::query(&format!(
            "SELECT id, email, phone, name, device, description, fields FROM tickets WHERE id IN ({list})"
        ))
        .fetch_all(&self.reads)
        .await?;
        for row in &rows {
            let c = Columns(row);
            let ticket = TicketId(c.i64("id")?);
            out.push(CaseText {
                ticket,
                source: TextSource::Description,
                text: c.text("description")?,
            });
            let fields: std::collections::BTreeMap<String, String> = c.json("fields")?;
            let fields: Vec<String> = fields.into_iter().map(|(k, v)| format!("{k}: {v}")).collect();
            out.push(CaseText {
                ticket,
                source: TextSource::Fields,
                text: fields.join(" · "),
            });
            let phone = c.text("phone")?;
            let phone = sportello_domain::contact::phone::Phone::from_e164(&phone)
                .map(|p| sportello_domain::search::phone_words(&p))
                .unwrap_or(phone);
            let contact: Vec<String> = [
                Some(c.text("email")?),
                c.opt_text("name")?,
                Some(phone),
                Some(c.text("device")?),
            ]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect();
            out.push(CaseText {
                ticket,
                source: TextSource::Contact,
                text: contact.join(" · "),
            });
        }
        let rows = sqlx::query(&format!(
            "SELECT ticket_id, author, public, body FROM messages WHERE ticket_id IN ({list}) \
             AND held_until IS NULL AND withdrawn_at IS NULL ORDER BY id"
        ))
        .fetch_all(&self.reads)
        .await?;
        for row in &rows {
            let c = Columns(row);
            let author: sportello_domain::case::Author = c.parsed("author")?;
            let source = match (author, c.flag("public")?) {
                (sportello_domain::case::Author::Customer, _) => TextSource::CustomerMessage,
                (_, true) => TextSource::Reply,
                (_, false) => TextSource::Note,
            };
            out.push(CaseText {
                ticket: TicketId(c.i64("ticket_id")?),
                source,
                text: c.text("body")?,
            });
        }
        Ok(out)
    }

    /// Indexes the cases written before search existed, a batch per transaction; returns how
    /// many. The words are made as a write would have made them.
    pub async fn fill_search(&self, batch: i64) -> Result<u64, StoreError> {
        let mut filled = 0;
        loop {
            let rows = sqlx::query(
                "SELECT id FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM case_search s WHERE s.ticket_id = t.id) \
                 ORDER BY id LIMIT $1",
            )
            .bind(batch)
            .fetch_all(&self.reads)
            .await?;
            if rows.is_empty() {
                return Ok(filled);
            }
            let ids = rows
                .iter()
                .map(|r| Ok(TicketId(Columns(r).i64("id")?)))
                .collect::<Result<Vec<_>, StoreError>>()?;
            let mut words: std::collections::BTreeMap<i64, String> = std::collections::BTreeMap::new();
            for t in self.case_texts(&ids).await? {
                let w = words.entry(t.ticket.get()).or_default();
                w.push(' ');
                w.push_str(&sportello_domain::search::indexed(&t.text));
            }
            let mut tx = self.begin_write().await?;
            for (ticket, words) in words {
                // Only if nothing indexed it meanwhile (a message written since would have).
                sqlx::query(
                    "INSERT INTO case_search (ticket_id, words) SELECT $1, $2 WHERE NOT EXISTS \
                     (SELECT 1 FROM case_search WHERE ticket_id = $1)",
                )
                .bind(ticket)
                .bind(words.trim_start().to_owned())
                .execute(tx.conn())
                .await?;
                filled += 1;
            }
            tx.commit().await?;
        }
    }
}

impl WriteTx {
    /// Adds `text`'s words to the case's document.
    pub async fn index(&mut self, ticket: TicketId, text: &str) -> Result<(), StoreError> {
        self.index_words(ticket, &sportello_domain::search::indexed(text)).await
    }

    /// Adds words made already ([`sportello_domain::search`]) to the case's document.
    pub async fn index_words(&mut self, ticket: TicketId, words: &str) -> Result<(), StoreError> {
        if words.is_empty() {
            return Ok(());
        }
        sqlx::query(APPEND)
            .bind(ticket.get())
            .bind(words)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// A merged case's words join its target's, as its messages do.
    pub(super) async fn index_merged(&mut self, source: TicketId, target: TicketId) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE case_search SET words = words || ' ' || (SELECT words FROM case_search WHERE ticket_id = $1) \
             WHERE ticket_id = $2 AND EXISTS (SELECT 1 FROM case_search WHERE ticket_id = $1)",
        )
        .bind(source.get())
        .bind(target.get())
        .execute(self.conn())
        .await?;
        Ok(())
    }
}
