//! The OpenAPI document (SPEC §9): served, OpenAPI 3.1, valid by an independent validator when
//! one is installed (in CI it must be), and complete: every API route the routers declare is in it.

use std::collections::BTreeSet;
use std::process::{Command, Stdio};

use crate::helpers::{read, spawn_app, Backend, Options};

/// `(METHOD, PATH)` of every `.route("…", get(…).post(…))` the server's sources declare under
/// `/api/`, and the status link's JSON answer (`GET /status/{case}`; its POST is the page's form).
fn declared_routes() -> BTreeSet<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web");
    let mut sources = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            sources.push(std::fs::read_to_string(path).unwrap());
        }
    }
    let mut routes = BTreeSet::new();
    for source in &sources {
        for piece in source.split(".route(\"").skip(1) {
            let Some((path, rest)) = piece.split_once('"') else {
                continue;
            };
            if !(path.starts_with("/api/") || path.starts_with("/status/")) {
                continue;
            }
            let call = rest.split(")\n").next().unwrap_or("");
            for method in ["get", "post", "put", "patch", "delete"] {
                if path.starts_with("/status/") && method != "get" {
                    continue;
                }
                if call.contains(&format!(" {method}(")) || call.contains(&format!(".{method}(")) {
                    routes.insert((method.to_owned(), path.to_owned()));
                }
            }
        }
    }
    routes
}

#[tokio::test]
async fn the_document_is_openapi_3_1_and_lists_every_api_route() {
    // The document does not depend on the database.
    let app = spawn_app(Backend::Sqlite, Options::default()).await;
    let (status, doc) = read(app.get("/api/v1/openapi.json").await).await;
    assert_eq!(status, 200);
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| (method.clone(), path.clone()))
        })
        .collect();
    let declared = declared_routes();
    assert!(declared.len() >= 18, "the scan found {declared:?}");
    let missing: Vec<_> = declared.difference(&documented).collect();
    assert!(missing.is_empty(), "routes without a description: {missing:?}");
    // Nor is anything documented that the server does not serve.
    let unknown: Vec<_> = documented.difference(&declared).collect();
    assert!(unknown.is_empty(), "documented but not served: {unknown:?}");
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    assert!(doc["components"]["schemas"]["TicketDetail"].is_object());

    // An independent validator (openapi-spec-validator, from PyPI) reads it as valid 3.1.
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), serde_json::to_vec(&doc).unwrap()).unwrap();
    let installed = Command::new("python3")
        .args(["-c", "import openapi_spec_validator"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !installed {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but openapi-spec-validator is missing: .ci/run installs it"
        );
        crate::helpers::say_skipped("the OpenAPI validation (pip install openapi-spec-validator)");
        return;
    }
    let out = Command::new("python3")
        .args(["-m", "openapi_spec_validator"])
        .arg(file.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
