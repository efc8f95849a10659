//! Search (SPEC §11): the cases a text finds, with the queue's filters and permissions (a case
//! the reader may not see is not found, not counted), best first, each with the passage that
//! shows why. A case number finds its case, whatever else matches. How the order is bounded is
//! in `store::search`.

use std::collections::HashMap;

use sportello_domain::access::Principal;
use sportello_domain::case_number::CaseNumber;
use sportello_domain::problem::{Problem, ProblemCode};
use sportello_domain::search::{Query, Snippet};

use super::access::{staff, Intent};
use super::queue::{filters, page_limit, QueueItem, QueueRequest};
use super::{App, Error};
use crate::store::{SearchFrom, SearchQuery, TextSource, TicketId, SEARCH_WINDOW};

/// A search as a URL gives it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchRequest {
    pub text: String,
    /// The queue's view and filters; its cursor and limit are the search's.
    pub filters: QueueRequest,
}

#[derive(Debug, Clone)]
pub struct SearchResult {
    pub item: QueueItem,
    pub rank: f64,
    /// The passage that matched and where it is; None for a case found by its number alone.
    pub snippet: Option<(TextSource, Snippet)>,
}

#[derive(Debug, Clone, Default)]
pub struct SearchPage {
    pub results: Vec<SearchResult>,
    pub next_cursor: Option<String>,
    /// The text is the number of a case the reader may see: the desk opens it.
    pub case: Option<CaseNumber>,
}

fn bad_cursor() -> Error {
    Error::Invalid(vec![Problem::new("cursor", ProblemCode::FieldFormat)])
}

/// `r.NEWEST.SKIP` within the ranked window, `o.BELOW` past it.
fn parse_cursor(text: &str) -> Result<SearchFrom, Error> {
    let number = |s: &str| s.parse::<i64>().map_err(|_| bad_cursor());
    match text.split('.').collect::<Vec<_>>().as_slice() {
        ["r", newest, skip] => Ok(SearchFrom::Ranked {
            newest: Some(number(newest)?),
            skip: number(skip).and_then(|s| if s >= 0 { Ok(s) } else { Err(bad_cursor()) })?,
        }),
        ["o", below] => Ok(SearchFrom::Older { below: number(below)? }),
        _ => Err(bad_cursor()),
    }
}

fn cursor(from: SearchFrom) -> String {
    match from {
        SearchFrom::Ranked { newest, skip } => format!("r.{}.{skip}", newest.unwrap_or(0)),
        SearchFrom::Older { below } => format!("o.{below}"),
    }
}

pub async fn search(app: &App, who: &Principal, r: &SearchRequest) -> Result<SearchPage, Error> {
    search_within(app, who, r, SEARCH_WINDOW).await
}

/// [`search`] ranking the newest `window` matches (tests make it small, to reach past it).
pub async fn search_within(app: &App, who: &Principal, r: &SearchRequest, window: i64) -> Result<SearchPage, Error> {
    let now = app.clock.now();
    let limit = page_limit(r.filters.limit)?;
    let text = r.text.trim();
    if text.chars().count() > 200 {
        return Err(Error::Invalid(vec![Problem::new("q", ProblemCode::TooLong)]));
    }
    let from = r.filters.cursor.as_deref().map(parse_cursor).transpose()?;
    // A case number: its case, if the reader may see it (a hidden one is not found, as everywhere).
    let case = match app.catalog.case_prefix().parse(text) {
        Ok(number) => match staff(app, who, number.as_str(), Intent::Read).await {
            Ok(access) => Some((number, access.case().id)),
            Err(Error::NotFound) => None,
            Err(e) => return Err(e),
        },
        Err(_) => None,
    };
    let query = Query::parse(text);
    let Some(mut filter) = filters(app, who, &r.filters, now).await? else {
        return Ok(SearchPage::default());
    };
    // Search looks through the cases that are over too, unless a status or view says otherwise.
    filter.ended_too = true;
    let mut q = SearchQuery {
        query,
        filter,
        from: from.unwrap_or(SearchFrom::Ranked { newest: None, skip: 0 }),
        limit: limit + 1,
        window,
    };
    if let SearchFrom::Ranked { newest: None, .. } = q.from {
        // The pages are fixed from the newest match now: a case arriving meanwhile does not
        // shift them.
        let Some(newest) = app.store.newest_match(&q).await? else {
            return page_of_case(app, case, now).await;
        };
        q.from = SearchFrom::Ranked {
            newest: Some(newest.get()),
            skip: 0,
        };
    }
    let mut hits = app.store.search(&q).await?;
    let more = hits.len() as i64 > limit;
    hits.truncate(usize::try_from(limit).unwrap_or(50));
    let next = match q.from {
        SearchFrom::Ranked { newest, skip } if more => Some(SearchFrom::Ranked {
            newest,
            skip: skip + limit,
        }),
        // The window is read to its end: if it was full, older matches may follow.
        SearchFrom::Ranked {
            newest: Some(newest),
            skip,
        } if skip + hits.len() as i64 >= window => oldest_of_window(app, &q, newest)
            .await?
            .map(|below| SearchFrom::Older { below: below.get() }),
        SearchFrom::Ranked { .. } => None,
        SearchFrom::Older { .. } => hits
            .last()
            .filter(|_| more)
            .map(|h| SearchFrom::Older { below: h.id.get() }),
    };
    // The case a number names comes first on the first page, once.
    let first_page = matches!(q.from, SearchFrom::Ranked { skip: 0, .. });
    if let Some((_, id)) = case.as_ref().filter(|_| first_page) {
        hits.retain(|h| h.id != *id);
        hits.insert(
            0,
            crate::store::SearchHit {
                id: *id,
                rank: f64::INFINITY,
            },
        );
    } else if let Some((_, id)) = &case {
        hits.retain(|h| h.id != *id);
    }
    let ids: Vec<TicketId> = hits.iter().map(|h| h.id).collect();
    let mut rows: HashMap<TicketId, crate::store::QueueRow> = app
        .store
        .queue_rows(&ids)
        .await?
        .into_iter()
        .map(|row| (row.id, row))
        .collect();
    let snippets = best_snippets(app, &q.query, &ids).await?;
    let prefix = app.catalog.case_prefix();
    let mut results = Vec::with_capacity(hits.len());
    for hit in hits {
        let Some(row) = rows.remove(&hit.id) else { continue };
        results.push(SearchResult {
            item: QueueItem::of(prefix, row, now)?,
            rank: if hit.rank.is_finite() { hit.rank } else { 0.0 },
            snippet: snippets.get(&hit.id).cloned(),
        });
    }
    Ok(SearchPage {
        results,
        next_cursor: next.map(cursor),
        case: case.map(|(number, _)| number),
    })
}

/// Nothing matched the words: the page holds the case the number names, if any.
async fn page_of_case(
    app: &App,
    case: Option<(CaseNumber, TicketId)>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<SearchPage, Error> {
    let Some((number, id)) = case else {
        return Ok(SearchPage::default());
    };
    let results = app
        .store
        .queue_rows(&[id])
        .await?
        .into_iter()
        .map(|row| {
            Ok(SearchResult {
                item: QueueItem::of(app.catalog.case_prefix(), row, now)?,
                rank: 0.0,
                snippet: None,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(SearchPage {
        results,
        next_cursor: None,
        case: Some(number),
    })
}

/// The oldest case of the ranked window: the older matches start below it.
async fn oldest_of_window(app: &App, q: &SearchQuery, newest: i64) -> Result<Option<TicketId>, Error> {
    let window = SearchQuery {
        from: SearchFrom::Older { below: newest + 1 },
        limit: q.window,
        ..q.clone()
    };
    let hits = app.store.search(&window).await?;
    Ok(hits.last().filter(|_| hits.len() as i64 == q.window).map(|h| h.id))
}

/// Each case's best passage: the one that shows the most terms, then the most hits; of equals,
/// the first in the case's order (description, fields, contact, then the messages in turn).
async fn best_snippets(
    app: &App,
    query: &Query,
    ids: &[TicketId],
) -> Result<HashMap<TicketId, (TextSource, Snippet)>, Error> {
    let mut best: HashMap<TicketId, (TextSource, Snippet)> = HashMap::new();
    if query.is_empty() {
        return Ok(best);
    }
    for text in app.store.case_texts(ids).await? {
        let Some(snippet) = query.snippet(&text.text) else {
            continue;
        };
        let better = best.get(&text.ticket).is_none_or(|(_, b)| snippet.score() > b.score());
        if better {
            best.insert(text.ticket, (text.source, snippet));
        }
    }
    Ok(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_read_back_as_written_and_nothing_else_reads() {
        for from in [
            SearchFrom::Ranked {
                newest: Some(42),
                skip: 50,
            },
            SearchFrom::Older { below: 7 },
        ] {
            assert_eq!(parse_cursor(&cursor(from)).unwrap(), from);
        }
        for bad in ["", "r.1", "r.1.-5", "o.x", "x.1", "o.1.2", "r.1.2.3"] {
            assert!(parse_cursor(bad).is_err(), "{bad}");
        }
    }
}
