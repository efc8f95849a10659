//! `spawn_app()`: the real server on a random port with a fresh database (SQLite always, PostgreSQL
//! when `SPORTELLO_TEST_POSTGRES_URL` is set) and one helper per endpoint (STYLE rule 17).

use std::sync::Once;

use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};
use sportello::app::App;
use sportello::config::{RateLimit, Secret, Settings};
use sportello::startup::Application;
use sqlx::Connection;

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub app: App,
    pub backend: &'static str,
    _dir: tempfile::TempDir,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

/// One fresh app per backend this machine offers: SQLite always, PostgreSQL when configured.
/// In CI (`CI=true`) a missing PostgreSQL is a failure, not a skip.
pub async fn backends() -> Vec<TestApp> {
    backends_with(Options::default()).await
}

/// What a test changes from the defaults.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub rate_limit: Option<RateLimit>,
    /// Starts the outbox worker, delivering there.
    pub smtp_url: Option<String>,
}

pub async fn backends_with(options: Options) -> Vec<TestApp> {
    let mut apps = vec![spawn_app(Backend::Sqlite, options.clone()).await];
    match std::env::var("SPORTELLO_TEST_POSTGRES_URL") {
        Ok(url) => apps.push(spawn_app(Backend::Postgres(url), options).await),
        Err(_) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true but SPORTELLO_TEST_POSTGRES_URL is unset: the PostgreSQL suite must run")
        }
        Err(_) => {
            static SAID: Once = Once::new();
            SAID.call_once(|| eprintln!("skipping PostgreSQL: SPORTELLO_TEST_POSTGRES_URL unset"));
        }
    }
    apps
}

pub enum Backend {
    Sqlite,
    Postgres(String),
}

pub async fn spawn_app(backend: Backend, options: Options) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let (database_url, name) = match backend {
        Backend::Sqlite => (
            format!("sqlite://{}", dir.path().join("sportello.db").display()),
            "sqlite",
        ),
        Backend::Postgres(admin) => (fresh_postgres_database(&admin).await, "postgres"),
    };
    let settings = Settings {
        addr: "127.0.0.1:0".parse().unwrap(),
        database_url: Secret::new(database_url),
        data_dir: dir.path().join("data"),
        public_url: "http://sportello.test".to_owned(),
        smtp_url: options.smtp_url.map(Secret::new),
        support_address: "support@sportello.test".to_owned(),
        catalog: None,
        intake_rate_limit: options.rate_limit,
        mail_give_up: std::time::Duration::from_secs(2 * 86_400),
        mail_category: Some("technical/crash".to_owned()),
        imap_url: None,
    };
    let application = Application::build(settings).await.expect("the app builds");
    let address = format!("http://{}", application.local_addr().unwrap());
    let app = application.app().clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(application.run_until_stopped(async move {
        let _ = rx.await;
    }));
    TestApp {
        address,
        client: reqwest::Client::new(),
        app,
        backend: name,
        _dir: dir,
        _shutdown: tx,
    }
}

/// A database of its own on the PostgreSQL server behind `admin_url`.
async fn fresh_postgres_database(admin_url: &str) -> String {
    let name = format!("sportello_t_{:016x}", rand::random::<u64>());
    let mut admin = sqlx::PgConnection::connect(admin_url)
        .await
        .expect("PostgreSQL is reachable");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let base = admin_url.rsplit_once('/').map_or(admin_url, |(base, _)| base);
    format!("{base}/{name}")
}

pub fn image(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../../shared/testdata/images/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// A complete, valid request; `n` makes the contact unique.
pub fn complete(n: u32) -> Value {
    json!({
        "category": "payments",
        "subcategory": "refund",
        "email": format!("cliente{n}@gmail.com"),
        "phone": format!("+39 345 {:07}", 1_000_000 + n),
        "description": "Ho pagato 12 euro ieri sera ma il pagamento risulta fallito e non vedo il rimborso.",
        "device": "iPhone 14, iOS 17.1",
        "transaction_id": "WA123456789",
        "amount": "12,00 EUR",
    })
}

/// The same request as multipart form fields.
pub fn form_of(value: &Value) -> Form {
    value.as_object().unwrap().iter().fold(Form::new(), |form, (k, v)| {
        let text = v.as_str().map_or_else(|| v.to_string(), ToOwned::to_owned);
        form.text(k.clone(), text)
    })
}

pub fn file(name: &str, bytes: Vec<u8>) -> Part {
    Part::bytes(bytes).file_name(name.to_owned())
}

impl TestApp {
    pub async fn post_json(&self, body: &Value) -> reqwest::Response {
        self.client
            .post(format!("{}/api/v1/requests", self.address))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_form(&self, form: Form) -> reqwest::Response {
        self.client
            .post(format!("{}/api/v1/requests", self.address))
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.address)).send().await.unwrap()
    }

    pub async fn tickets(&self) -> i64 {
        self.app.store.count_tickets().await.unwrap()
    }
}

/// `(status, body)`; the body as JSON when it is JSON, else as a string value.
pub async fn read(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// The `code`s of a 422 body, in order.
pub fn codes(body: &Value) -> Vec<(String, String)> {
    body["errors"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}
