//! The OpenAPI 3.1 document of the HTTP API (SPEC §9), generated from the handlers' own
//! annotations and served at `/api/v1/openapi.json`. A test checks it lists every API route the
//! routers declare, so a new route without its description fails the build's tests.

use std::sync::LazyLock;

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::WebState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Sportello",
        description = "Customer support: requests in (customers), the desk's queue, cases and actions (agents). \
                       Errors carry `{\"errors\":[{field, code, message, suggestion?}]}` (422) or \
                       `{\"error\", \"message\"}`; a 409 adds a stable `reason` (`stale`, `case_status`, \
                       `transition`, `agent_cannot_take`, …) to act on."
    ),
    paths(
        super::api::create_request,
        super::api::catalog,
        super::check::email,
        super::check::phone,
        super::status::show,
        super::tickets::list,
        super::tickets::show,
        super::tickets::reply,
        super::tickets::undo,
        super::tickets::note,
        super::tickets::status,
        super::tickets::priority,
        super::tickets::assign,
        super::tickets::take,
        super::tickets::request_info,
        super::tickets::category,
        super::tickets::link,
        super::tickets::merge,
        super::tickets::audit,
        super::tickets::agents,
        super::tickets::teams,
        super::canned::list,
        super::canned::add,
        super::canned::change,
        super::canned::remove,
        super::canned::filled,
        document,
    ),
    modifiers(&BearerTokens),
    tags(
        (name = "customers", description = "What customers and their channels send (SPEC §3)"),
        (name = "agents", description = "The desk's work over HTTP (SPEC §9); a bearer token or a desk session"),
    )
)]
pub struct ApiDoc;

struct BearerTokens;

impl Modify for BearerTokens {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Rendered once: the document does not change while the server runs.
static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
});

pub fn router() -> Router<WebState> {
    Router::new().route("/api/v1/openapi.json", get(document))
}

#[utoipa::path(operation_id = "openapi_document", get, path = "/api/v1/openapi.json", tag = "customers",
    responses((status = 200, description = "This document", body = serde_json::Value)))]
pub(crate) async fn document() -> Response {
    let mut response = DOCUMENT.as_str().into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
