//! `spawn_app()`: the real server on a random port with a fresh database (SQLite always, PostgreSQL
//! when `SPORTELLO_TEST_POSTGRES_URL` is set) and one helper per endpoint (STYLE rule 17).

use std::io::Write as _;

use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};
use sportello::app::{App, Clock};
use sportello::config::{RateLimit, Secret, Settings};
use sportello::startup::Application;
use sportello_domain::case_number::{CaseNumber, CasePrefix};
use sqlx::Connection;

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub app: App,
    pub backend: &'static str,
    /// The database the server runs on (tests that go behind its back connect to it).
    pub database_url: String,
    _dir: tempfile::TempDir,
    _shutdown: tokio::sync::oneshot::Sender<()>,
    /// PostgreSQL: the database to drop afterwards, and the server to drop it on.
    dropped: Option<(String, String)>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.dropped.take() {
            drop_postgres_database(admin, name);
        }
    }
}

/// Drops a test database on a thread and runtime of its own (Drop cannot await); `FORCE` ends
/// the connections the server still holds.
fn drop_postgres_database(admin: String, name: String) {
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

/// Says once, on standard output (shown by a plain `cargo test`, which captures `println!`), that
/// a suite was skipped and why.
pub fn say_skipped(what: &str) {
    static SAID: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut said = SAID.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if !said.iter().any(|s| s == what) {
        said.push(what.to_owned());
        let _ = writeln!(std::io::stdout(), "note: skipped {what}");
    }
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
    /// The time the use cases read; the system's when None.
    pub clock: Option<Clock>,
    pub status_rate_limit: Option<RateLimit>,
    pub check_rate_limit: Option<RateLimit>,
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Every agent needs an authenticator (SPEC §6).
    pub require_totp: bool,
    /// SPEC §7's reply hold; the tests send at once unless they test the hold.
    pub reply_undo_delay: std::time::Duration,
    /// Internal networks webhooks may reach (the tests' receivers listen on loopback).
    pub webhook_allow: Vec<ipnet::IpNet>,
    /// None: the default 10 s.
    pub webhook_timeout: Option<std::time::Duration>,
    /// `/metrics` asks for this bearer token.
    pub metrics_token: Option<String>,
    /// The operator's help articles.
    pub help_dir: Option<std::path::PathBuf>,
}

pub async fn backends_with(options: Options) -> Vec<TestApp> {
    let mut apps = vec![spawn_app(Backend::Sqlite, options.clone()).await];
    match std::env::var("SPORTELLO_TEST_POSTGRES_URL") {
        Ok(url) => apps.push(spawn_app(Backend::Postgres(url), options).await),
        Err(_) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true but SPORTELLO_TEST_POSTGRES_URL is unset: the PostgreSQL suite must run")
        }
        Err(_) => say_skipped("the PostgreSQL runs of the API suite (SPORTELLO_TEST_POSTGRES_URL is unset)"),
    }
    apps
}

pub enum Backend {
    Sqlite,
    Postgres(String),
    /// A second instance on another's database (its URL): as a second server process would be.
    Beside(String),
}

pub async fn spawn_app(backend: Backend, options: Options) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let (database_url, name, dropped) = match backend {
        Backend::Sqlite => (
            format!("sqlite://{}", dir.path().join("sportello.db").display()),
            "sqlite",
            None,
        ),
        Backend::Postgres(admin) => {
            let (url, database) = fresh_postgres_database(&admin).await;
            (url, "postgres", Some((admin, database)))
        }
        Backend::Beside(url) => (url, "beside", None),
    };
    let url = database_url.clone();
    let settings = Settings {
        addr: "127.0.0.1:0".parse().unwrap(),
        database_url: Secret::new(database_url),
        data_dir: dir.path().join("data"),
        public_url: "http://sportello.test".to_owned(),
        smtp_url: options.smtp_url.map(Secret::new),
        support_address: "support@sportello.test".to_owned(),
        catalog: None,
        help_dir: options.help_dir,
        intake_rate_limit: options.rate_limit,
        mail_give_up: std::time::Duration::from_secs(2 * 86_400),
        mail_category: Some("technical/crash".to_owned()),
        imap_url: None,
        trusted_proxies: options.trusted_proxies,
        status_rate_limit: options.status_rate_limit,
        check_rate_limit: options.check_rate_limit,
        max_connections: None,
        header_timeout: std::time::Duration::from_secs(10),
        blob_grace: std::time::Duration::from_secs(86_400),
        require_totp: options.require_totp,
        reply_undo_delay: options.reply_undo_delay,
        webhook_allow: options.webhook_allow,
        webhook_timeout: options.webhook_timeout.unwrap_or(std::time::Duration::from_secs(10)),
        log_format: sportello::config::LogFormat::Text,
        metrics_token: options.metrics_token.map(Secret::new),
    };
    let application = Application::build_with_clock(settings, options.clock.unwrap_or_default())
        .await
        .expect("the app builds");
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
        database_url: url,
        _dir: dir,
        _shutdown: tx,
        dropped,
    }
}

/// A database of its own on the PostgreSQL server behind `admin_url`: its URL and its name.
async fn fresh_postgres_database(admin_url: &str) -> (String, String) {
    let name = format!("sportello_t_{:016x}", rand::random::<u64>());
    let mut admin = sqlx::PgConnection::connect(admin_url)
        .await
        .expect("PostgreSQL is reachable");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let base = admin_url.rsplit_once('/').map_or(admin_url, |(base, _)| base);
    (format!("{base}/{name}"), name)
}

/// A case number as the desk writes it.
pub fn case_number(text: &str) -> CaseNumber {
    CasePrefix::default().parse(text).unwrap()
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

    /// Files in the blob store (temporary and retired ones aside).
    /// Where the blob store keeps the bytes of `sha256` (hex).
    pub fn blob_path(&self, sha256: &str) -> std::path::PathBuf {
        self._dir.path().join("data/blobs").join(&sha256[..2]).join(sha256)
    }

    pub fn blob_count(&self) -> usize {
        let root = self._dir.path().join("data/blobs");
        let Ok(dirs) = std::fs::read_dir(root) else { return 0 };
        dirs.filter_map(Result::ok)
            .filter_map(|d| std::fs::read_dir(d.path()).ok())
            .flatten()
            .filter_map(Result::ok)
            .filter(|f| !f.file_name().to_string_lossy().starts_with('.'))
            .count()
    }

    /// The case behind a case number, as stored.
    pub async fn case(&self, number: &str) -> sportello::store::Case {
        let id = sportello::store::TicketId::of(&case_number(number)).unwrap();
        self.app.store.case(id).await.unwrap().unwrap()
    }

    /// The Message-ID the desk gives a case's mail (without angle brackets), MAC included.
    pub fn our_message_id(&self, number: &str, event: &str) -> String {
        let id = self.app.mail_ids.message_id(&case_number(number), event);
        id.trim_matches(['<', '>']).to_owned()
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

/// A person in a browser without JavaScript, over plain HTTP: cookies kept, redirects not followed,
/// pages asked for as `text/html`.
pub struct Visitor {
    pub address: String,
    client: reqwest::Client,
    pub cookies: Vec<(String, String)>,
    pub accept_language: Option<String>,
}

/// A page as the visitor got it.
pub struct Page {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub html: String,
}

impl Page {
    pub fn location(&self) -> String {
        self.headers
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }

    /// The page, parsed (scraper: the HTML as a browser reads it, entities decoded).
    fn document(&self) -> scraper::Html {
        scraper::Html::parse_document(&self.html)
    }

    /// The element with `id`, as `<name attr="value" …>` (attributes decoded, in page order).
    pub fn tag(&self, id: &str) -> String {
        let document = self.document();
        let element = by_id(&document, id).unwrap_or_else(|| panic!("no #{id} in {}", self.html));
        let element = element.value();
        let attrs: String = element.attrs().map(|(k, v)| format!(" {k}=\"{v}\"")).collect();
        format!("<{}{attrs}>", element.name())
    }

    /// An attribute of the element with `id`.
    /// The value of the first input called `name`.
    pub fn value_of(&self, name: &str) -> String {
        self.attr_of(&format!("input[name='{name}']"), "value")
            .unwrap_or_else(|| panic!("no input {name} in {}", self.html))
    }

    /// An attribute of the first element `css` selects.
    pub fn attr_of(&self, css: &str, name: &str) -> Option<String> {
        let selector = scraper::Selector::parse(css).unwrap();
        let document = self.document();
        let found = document
            .select(&selector)
            .next()?
            .value()
            .attr(name)
            .map(ToOwned::to_owned);
        found
    }

    pub fn attr(&self, id: &str, name: &str) -> Option<String> {
        let document = self.document();
        by_id(&document, id)?.value().attr(name).map(ToOwned::to_owned)
    }

    /// An input's value, or a textarea's text.
    pub fn value(&self, id: &str) -> String {
        let document = self.document();
        let element = by_id(&document, id).unwrap_or_else(|| panic!("no #{id} in {}", self.html));
        match element.value().name() {
            "textarea" => element.text().collect(),
            _ => element
                .value()
                .attr("value")
                .unwrap_or_else(|| panic!("no value on #{id}"))
                .to_owned(),
        }
    }

    /// The text of the element with `id`.
    pub fn text_of(&self, id: &str) -> String {
        let document = self.document();
        by_id(&document, id)
            .unwrap_or_else(|| panic!("no #{id} in {}", self.html))
            .text()
            .collect()
    }

    /// The values of the form inputs called `name`, in page order.
    pub fn inputs(&self, name: &str) -> Vec<String> {
        let document = self.document();
        let Ok(selector) = scraper::Selector::parse(&format!("input[name=\"{name}\"]")) else {
            return Vec::new();
        };
        document
            .select(&selector)
            .filter_map(|e| e.value().attr("value").map(ToOwned::to_owned))
            .collect()
    }

    /// The text of the problem shown beside a field.
    pub fn error(&self, id: &str) -> Option<String> {
        let document = self.document();
        let text: String = by_id(&document, &format!("{id}-error"))?.text().collect();
        let text = text.trim().to_owned();
        (!text.is_empty()).then_some(text)
    }

    /// What the page says: its text, as a reader sees it.
    pub fn text(&self) -> String {
        self.document().root_element().text().collect::<Vec<_>>().join(" ")
    }
}

fn by_id<'a>(document: &'a scraper::Html, id: &str) -> Option<scraper::ElementRef<'a>> {
    // Ids are ours (letters, digits, `-`, `_`), so the selector is always valid.
    let selector = scraper::Selector::parse(&format!("[id=\"{id}\"]")).ok()?;
    document.select(&selector).next()
}

impl Visitor {
    pub fn new(app: &TestApp) -> Visitor {
        Visitor {
            address: app.address.clone(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: Vec::new(),
            accept_language: None,
        }
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    pub fn set_cookie(&mut self, name: &str, value: &str) {
        self.cookies.retain(|(k, _)| k != name);
        self.cookies.push((name.to_owned(), value.to_owned()));
    }

    /// GETs `path` as this visitor, for an answer that is not a page (a file, an image).
    pub async fn fetch(&self, path: &str) -> reqwest::Response {
        let request = self.prepare(self.client.get(format!("{}{path}", self.address)));
        request.send().await.unwrap()
    }

    fn prepare(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let mut request = request.header("accept", "text/html,application/xhtml+xml");
        if !self.cookies.is_empty() {
            let header: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
            request = request.header("cookie", header.join("; "));
        }
        if let Some(lang) = &self.accept_language {
            request = request.header("accept-language", lang);
        }
        request
    }

    async fn take(&mut self, response: reqwest::Response) -> Page {
        for value in response.headers().get_all("set-cookie") {
            let pair = value.to_str().unwrap().split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            self.set_cookie(k, v);
        }
        Page {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            html: response.text().await.unwrap(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let request = self.prepare(self.client.get(format!("{}{path}", self.address)));
        let response = request.send().await.unwrap();
        self.take(response).await
    }

    /// Posts `form` with the CSRF token of the last page (as a browser would send the hidden field).
    pub async fn post(&mut self, path: &str, form: Form) -> Page {
        let csrf = self.cookie("csrf").unwrap_or_default();
        let request = self.prepare(self.client.post(format!("{}{path}", self.address)));
        let response = request.multipart(form.text("csrf", csrf)).send().await.unwrap();
        self.take(response).await
    }

    /// Posts without adding the CSRF field.
    pub async fn post_raw(&mut self, path: &str, form: Form) -> Page {
        let request = self.prepare(self.client.post(format!("{}{path}", self.address)));
        let response = request.multipart(form).send().await.unwrap();
        self.take(response).await
    }

    pub async fn post_body(&mut self, path: &str, content_type: &str, body: Vec<u8>) -> Page {
        let request = self.prepare(self.client.post(format!("{}{path}", self.address)));
        let response = request.header("content-type", content_type).body(body).send().await;
        match response {
            Ok(response) => self.take(response).await,
            // The server may answer and close before a huge body is sent.
            Err(e) => Page {
                status: e.status().map_or(0, |s| s.as_u16()),
                headers: Default::default(),
                html: String::new(),
            },
        }
    }
}
