//! The OpenAPI 3.1 document of the HTTP API (SPEC §9), generated from the handlers' own
//! annotations and served at `/api/v1/openapi.json`. A test checks it lists every API route the
//! routers declare, so a new route without its description fails the build's tests.

use std::sync::LazyLock;

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sportello_domain::webhook::EventKind;
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
        super::search::api,
        super::reports::api,
        super::alerts::api,
        super::canned::list,
        super::canned::add,
        super::canned::change,
        super::canned::remove,
        super::canned::filled,
        super::webhooks::list,
        super::webhooks::show,
        super::webhooks::add,
        super::webhooks::change,
        super::webhooks::remove,
        super::webhooks::test,
        super::webhooks::enable,
        super::webhooks::disable,
        super::organisations::list,
        super::organisations::add,
        super::organisations::change,
        super::organisations::remove,
        super::organisations::over_quota,
        document,
    ),
    components(schemas(crate::webhooks::Envelope, crate::webhooks::Event)),
    modifiers(&BearerTokens),
    tags(
        (name = "customers", description = "What customers and their channels send (SPEC §3)"),
        (name = "agents", description = "The desk's work over HTTP (SPEC §9); a bearer token or a desk session"),
        (name = "admin", description = "What admins set up: webhooks (SPEC §9), organisations (SPEC §10)"),
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
    let document = serde_json::to_value(ApiDoc::openapi()).map(with_webhooks);
    document
        .and_then(|d| serde_json::to_string_pretty(&d))
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
});

/// OpenAPI 3.1's `webhooks`: what Sportello posts to an endpoint, one entry per event (utoipa
/// writes no such section, so it is added to the document here).
fn with_webhooks(mut document: serde_json::Value) -> serde_json::Value {
    let signed = "Signed: `Sportello-Signature: t=UNIX,v1=HEX(HMAC-SHA256(secret, \"t.body\"))` over the \
                  raw body; `Sportello-Event` names the event and `Sportello-Delivery` the delivery. Any 2xx \
                  answer within `webhook_timeout` is a delivery; anything else is retried with back-off for \
                  24 hours. Deliveries are at least once: drop an `id` already seen.";
    let entries: serde_json::Map<String, serde_json::Value> = EventKind::SUBSCRIBABLE
        .iter()
        .chain([&EventKind::Ping])
        .map(|kind| {
            let description = match kind {
                // Subscribable now, so endpoints need no change when the rule starts sending it.
                EventKind::DeviceSpike => {
                    format!("{signed} Not sent yet: the device-spike alert of SPEC §11 is still to come.")
                }
                _ => signed.to_owned(),
            };
            let entry = serde_json::json!({
                "post": {
                    "summary": kind.as_str(),
                    "description": description,
                    "requestBody": {
                        "required": true,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Envelope"}}}
                    },
                    "responses": {"2XX": {"description": "Received"}}
                }
            });
            (kind.as_str().to_owned(), entry)
        })
        .collect();
    if let Some(object) = document.as_object_mut() {
        object.insert("webhooks".to_owned(), serde_json::Value::Object(entries));
    }
    document
}

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
