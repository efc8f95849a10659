//! `/desk/search` (SPEC §11): the box in every desk page's header leads here. A case number, or
//! an id that finds one case alone (a transaction id, an error code), opens that case.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::queue::{Choice, Filters, QueueParams, Row};
use super::DeskFrame;
use crate::app::search::search;
use crate::web::error::AppError;
use crate::web::extract::DeskAgent;
use crate::web::pages::html;
use crate::web::search::SearchText;
use crate::web::WebState;

pub struct Found {
    pub row: Row,
    pub parts: Vec<sportello_domain::search::Part>,
    pub found_in: String,
}

#[derive(Template)]
#[template(path = "desk/search.html")]
struct SearchPage {
    frame: DeskFrame,
    q: String,
    categories: Vec<Choice>,
    priorities: Vec<Choice>,
    channels: Vec<Choice>,
    statuses: Vec<Choice>,
    results: Vec<Found>,
    searched: bool,
    next_href: Option<String>,
}

/// An id as people paste one: no spaces, a digit, five characters or more (`TXN-8842-AB`).
fn id_like(text: &str) -> bool {
    let text = text.trim();
    text.chars().count() >= 5 && !text.contains(char::is_whitespace) && text.contains(|c: char| c.is_ascii_digit())
}

pub async fn show(
    State(state): State<WebState>,
    me: DeskAgent,
    Query(text): Query<SearchText>,
    Query(params): Query<QueueParams>,
) -> Response {
    let t = &me.prefs.t;
    let q = text.q.clone().unwrap_or_default();
    let searched = !q.trim().is_empty();
    let request = match text.request(&params) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let page = if searched {
        match search(&state.app, &me.principal, &request).await {
            Ok(page) => page,
            Err(e) => return AppError::from_app(e, t.lang()).into_response(),
        }
    } else {
        Default::default()
    };
    let first_page = params.cursor.as_deref().is_none_or(str::is_empty);
    if first_page {
        let only = (page.results.len() == 1 && page.next_cursor.is_none() && id_like(&q))
            .then(|| page.results[0].item.number.clone());
        if let Some(number) = page.case.clone().or(only) {
            return Redirect::to(&format!("/desk/cases/{number}")).into_response();
        }
    }
    let now = state.app.clock.now();
    let catalog = &state.app.catalog;
    let results = page
        .results
        .iter()
        .map(|r| Found {
            row: Row::of(&r.item, &me.prefs, catalog, now),
            parts: r.snippet.as_ref().map(|(_, s)| s.parts.clone()).unwrap_or_default(),
            found_in: r
                .snippet
                .as_ref()
                .map(|(source, _)| t.msg(&format!("search-in-{}", source.as_str())))
                .unwrap_or_default(),
        })
        .collect();
    let Filters {
        categories,
        priorities,
        channels,
    } = Filters::of(&params, &me.prefs, catalog);
    let status = params.status.as_deref().unwrap_or("");
    let statuses = sportello_domain::case::Status::ALL
        .iter()
        .map(|s| Choice {
            value: s.as_str().to_owned(),
            label: t.msg(&format!("desk-status-{s}")),
            selected: s.as_str() == status,
        })
        .collect();
    let next_href = page
        .next_cursor
        .as_deref()
        .map(|cursor| format!("/desk/search?{}", params.query(("q", &q), Some(cursor))));
    let title = if searched {
        t.with("search-title-for", "q", q.trim().to_owned())
    } else {
        t.msg("search-title")
    };
    let view = SearchPage {
        frame: DeskFrame::new(&me.prefs, title, Some(&me.agent)).searching(q.trim()),
        q: q.trim().to_owned(),
        categories,
        priorities,
        channels,
        statuses,
        results,
        searched,
        next_href,
    };
    html(StatusCode::OK, &view, &me.prefs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_told_from_words() {
        for id in ["TXN-8842-AB", "E1234", "pi_3NtY2KLk", "12345"] {
            assert!(id_like(id), "{id}");
        }
        for words in ["rimborso", "TXN 8842", "E12", "refund 12345", "abcdef"] {
            assert!(!id_like(words), "{words}");
        }
    }
}
