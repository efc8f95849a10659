//! `GET /api/v1/search` (SPEC §11): the queue's filters and a text; each result is the queue's
//! row with the passage that matched.

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::desk::queue::QueueParams;
use super::error::AppError;
use super::extract::ApiAgent;
use super::tickets::TicketSummary;
use super::WebState;
use crate::app::search::{search, SearchPage, SearchRequest};

pub fn router() -> Router<WebState> {
    Router::new().route("/api/v1/search", get(api))
}

/// The text searched for.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchText {
    /// Words (every one must be found, in any form: `rimborsi` finds `rimborso`), an id or a
    /// transaction number, a phone number, an e-mail address, or a case number. At most 200
    /// characters.
    pub q: Option<String>,
}

impl SearchText {
    pub fn request(&self, params: &QueueParams) -> Result<SearchRequest, AppError> {
        Ok(SearchRequest {
            text: self.q.clone().unwrap_or_default(),
            filters: params.request()?,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SnippetPart {
    pub text: String,
    /// A word that matched.
    pub hit: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResultBody {
    #[serde(flatten)]
    pub ticket: TicketSummary,
    /// The passage that matched, as plain text; null for a case found by its number alone.
    pub snippet: Option<String>,
    /// The same passage in parts, the matching words marked.
    pub snippet_parts: Vec<SnippetPart>,
    /// Where the passage is: `description`, `fields`, `contact`, `customer_message`, `reply`, `note`.
    #[schema(value_type = Option<String>)]
    pub found_in: Option<&'static str>,
    /// Relevance among the newest 2,000 matches (higher is better); 0 for older matches, which
    /// follow newest first.
    pub rank: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResults {
    pub results: Vec<SearchResultBody>,
    pub next_cursor: Option<String>,
    /// The text is the number of this case (the first result).
    pub case: Option<String>,
}

impl SearchResults {
    pub fn of(page: SearchPage) -> SearchResults {
        SearchResults {
            results: page
                .results
                .into_iter()
                .map(|r| {
                    let (found_in, parts) = match r.snippet {
                        Some((source, snippet)) => (Some(source.as_str()), snippet.parts),
                        None => (None, Vec::new()),
                    };
                    SearchResultBody {
                        ticket: TicketSummary::of(r.item),
                        snippet: found_in.map(|_| parts.iter().map(|p| p.text.as_str()).collect()),
                        snippet_parts: parts
                            .into_iter()
                            .map(|p| SnippetPart {
                                text: p.text,
                                hit: p.hit,
                            })
                            .collect(),
                        found_in,
                        rank: r.rank,
                    }
                })
                .collect(),
            next_cursor: page.next_cursor,
            case: page.case.map(|c| c.to_string()),
        }
    }
}

#[utoipa::path(operation_id = "search", get, path = "/api/v1/search", tag = "agents",
    params(SearchText, QueueParams),
    security(("bearer" = [])),
    responses((status = 200, description = "The cases found, best first: the newest 2,000 matches ranked by relevance, then older matches newest first. The view `all` searches every case, open or not", body = SearchResults), (status = 400, description = "A filter with a value it cannot have"), (status = 401, description = "No credentials, or no longer good ones"), (status = 422, description = "A text over 200 characters, or a cursor that is not one")))]
pub(crate) async fn api(
    State(state): State<WebState>,
    who: ApiAgent,
    Query(text): Query<SearchText>,
    Query(params): Query<QueueParams>,
) -> Result<Json<SearchResults>, AppError> {
    let page = search(&state.app, &who.principal, &text.request(&params)?).await?;
    Ok(Json(SearchResults::of(page)))
}
