//! Builds the application from settings and runs it until told to stop (STYLE rule 1).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context};
use sportello_domain::catalog::Catalog;

use crate::app::help::Library;
use tokio::net::TcpListener;

use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, Tokio1Executor};

use crate::app::{App, AppSettings, Clock};
use crate::blobs::BlobStore;
use crate::config::Settings;
use crate::jobs::alerts::SpikeWatcher;
use crate::jobs::assigner::Assigner;
use crate::jobs::blobs::BlobSweeper;
use crate::jobs::delivery::{Delivery, BATCH};
use crate::jobs::mailbox::MailboxPoller;
use crate::jobs::replies::HeldReplies;
use crate::jobs::sla::SlaWatcher;
use crate::jobs::thumbnails::Thumbnailer;
use crate::jobs::webhooks::WebhookWorker;
use crate::mail::ids::MailIds;
use crate::mail::imap::{default_tls, MailboxUrl};
use crate::mail::Composer;
use crate::store::Store;
use crate::web::serve::{default_max_connections, ConnectionLimits};
use crate::web::{self, WebSettings, WebState};

pub struct Application {
    listener: TcpListener,
    state: WebState,
    settings: Settings,
}

impl Application {
    /// Opens the database (running migrations), the blob store and the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        Application::build_with_clock(settings, Clock::system()).await
    }

    /// [`Application::build`] with the clock the use cases read (tests set their own).
    pub async fn build_with_clock(settings: Settings, clock: Clock) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(settings.addr)
            .await
            .with_context(|| format!("addr: cannot listen on {}", settings.addr))?;
        let app = build_app(&settings, clock).await?;
        let web = WebSettings {
            intake_rate_limit: settings.intake_rate_limit,
            status_rate_limit: settings.status_rate_limit,
            check_rate_limit: settings.check_rate_limit,
            trusted_proxies: settings.trusted_proxies.clone(),
            kept_files_key: app
                .store
                .secret("kept_files", app.clock.now())
                .await
                .context("database: cannot read the server's secrets")?,
            metrics_token: settings.metrics_token.as_ref().map(|t| t.expose().to_owned()),
        };
        Ok(Application {
            listener,
            state: WebState::new(app, web),
            settings,
        })
    }

    /// The use cases behind the server (tests read the store through it).
    pub fn app(&self) -> &App {
        &self.state.app
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` resolves, then finishes the requests in flight.
    pub async fn run_until_stopped(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let state = self.state.clone();
        let sweeper = async move {
            let mut every = tokio::time::interval(web::LIMITER_SWEEP);
            loop {
                every.tick().await;
                state.forget_quiet_clients();
            }
        };
        let delivery = self.delivery()?;
        let app = self.state.app.clone();
        let deliver = async move {
            match delivery {
                Some(delivery) => delivery.run(Arc::clone(&app.outbox_wake)).await,
                None => {
                    tracing::warn!("smtp_url is not set: confirmations and replies stay in the outbox until it is");
                    std::future::pending::<()>().await;
                }
            }
        };
        let mailbox = self.mailbox()?;
        let poll = async move {
            match mailbox {
                Some(poller) => poller.run().await,
                None => std::future::pending::<()>().await,
            }
        };
        let blobs = BlobSweeper::new(App::clone(&self.state.app), self.settings.blob_grace).run();
        let watcher = SlaWatcher {
            app: App::clone(&self.state.app),
        }
        .run();
        let spikes = SpikeWatcher {
            app: App::clone(&self.state.app),
        }
        .run();
        let assigner = Assigner {
            app: App::clone(&self.state.app),
        }
        .run();
        let replies = HeldReplies {
            app: App::clone(&self.state.app),
        }
        .run();
        let webhooks = WebhookWorker::new(App::clone(&self.state.app), self.settings.webhook_timeout)
            .context("webhooks: cannot build the HTTP client")?
            .run();
        let thumbnails = Thumbnailer {
            app: App::clone(&self.state.app),
        }
        .run();
        let limits = ConnectionLimits {
            header_timeout: self.settings.header_timeout,
            max_connections: self.settings.max_connections.unwrap_or_else(default_max_connections),
        };
        tracing::info!(max_connections = limits.max_connections, "accepting connections");
        let server = web::serve::serve(self.listener, web::router(self.state), limits, shutdown);
        tokio::select! {
            served = server => served.context("HTTP server"),
            () = sweeper => Ok(()),
            () = deliver => Ok(()),
            () = poll => Ok(()),
            () = blobs => Ok(()),
            () = watcher => Ok(()),
            () = spikes => Ok(()),
            () = thumbnails => Ok(()),
            () = replies => Ok(()),
            () = assigner => Ok(()),
            () = webhooks => Ok(()),
        }
    }

    /// The IMAP poller, when there is a mailbox to read.
    fn mailbox(&self) -> anyhow::Result<Option<MailboxPoller>> {
        let Some(url) = &self.settings.imap_url else {
            return Ok(None);
        };
        let url = MailboxUrl::parse(url.expose())?;
        Ok(Some(MailboxPoller::new(
            App::clone(&self.state.app),
            url,
            default_tls(),
        )))
    }

    /// The outbox worker, when there is a mail server to deliver to.
    fn delivery(&self) -> anyhow::Result<Option<Delivery>> {
        let app = &self.state.app;
        let Some(url) = &self.settings.smtp_url else {
            return Ok(None);
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
            .context("smtp_url: not a mail server URL")?
            .pool_config(PoolConfig::new().max_size(u32::try_from(BATCH).unwrap_or(32)))
            .build();
        Ok(Some(Delivery {
            store: app.store.clone(),
            catalog: Arc::clone(&app.catalog),
            composer: Composer::new(&app.settings.support_address).context("support_address")?,
            transport,
            give_up_after: self.settings.mail_give_up,
            clock: app.clock.clone(),
        }))
    }
}

/// The use cases' context: catalog, migrated store, blob store, the secrets every instance shares.
/// `serve` and `mail ingest` share it.
pub async fn build_app(settings: &Settings, clock: Clock) -> anyhow::Result<App> {
    let catalog = load_catalog(settings.catalog.as_deref())?;
    let help = load_help(&catalog, settings.help_dir.as_deref())?;
    let mail_category = crate::app::ingest::mail_category(&catalog, settings.mail_category.as_deref())
        .map_err(|why| anyhow::anyhow!("mail_category: {why}"))?;
    tokio::fs::create_dir_all(&settings.data_dir)
        .await
        .with_context(|| format!("data_dir: cannot create {}", settings.data_dir.display()))?;
    let store = open_store(settings.database_url.expose()).await?;
    let blobs = BlobStore::open(&settings.data_dir)
        .await
        .with_context(|| format!("data_dir: cannot create blobs under {}", settings.data_dir.display()))?;
    let message_ids = store
        .secret("message_ids", clock.now())
        .await
        .context("database: cannot read the server's secrets")?;
    let filled = store
        .fill_queue_positions()
        .await
        .context("database: cannot place older cases in the queue")?;
    if filled > 0 {
        tracing::info!(cases = filled, "placed cases written before the desk in its queue");
    }
    // Cases written before search are indexed in the background: found once it reaches them.
    let indexing = store.clone();
    tokio::spawn(async move {
        match indexing.fill_search(500).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(cases = n, "indexed cases written before search"),
            Err(e) => tracing::error!(error = %e, "cannot index cases written before search"),
        }
    });
    let app = App {
        catalog: Arc::new(catalog),
        store,
        blobs,
        settings: Arc::new(AppSettings {
            public_url: settings.public_url.clone(),
            support_address: settings.support_address.clone(),
            mail_category,
            require_totp: settings.require_totp,
            reply_undo_delay: chrono::Duration::from_std(settings.reply_undo_delay).unwrap_or(chrono::Duration::MAX),
            webhook_allow: settings.webhook_allow.clone(),
        }),
        mail_ids: MailIds::new(message_ids, &settings.support_address),
        clock,
        outbox_wake: Arc::new(tokio::sync::Notify::new()),
        forecaster: Arc::default(),
        help: Arc::new(help),
    };
    crate::app::agents::default_teams(&app)
        .await
        .context("database: cannot create the default teams")?;
    Ok(app)
}

/// Connects and migrates; the one place that knows a fresh directory needs nothing else.
pub async fn open_store(url: &str) -> anyhow::Result<Store> {
    let store = Store::connect(url)
        .await
        .context("database_url: cannot open the database")?;
    store.migrate().await.context("database: migrations failed")?;
    Ok(store)
}

/// The catalog file, or the seed's built-in catalog.
pub fn load_catalog(path: Option<&Path>) -> anyhow::Result<Catalog> {
    let Some(path) = path else {
        return Ok(Catalog::builtin());
    };
    let text = std::fs::read_to_string(path).with_context(|| format!("catalog: cannot read {}", path.display()))?;
    match Catalog::from_toml(&text) {
        Ok(catalog) => Ok(catalog),
        Err(errors) => {
            let first = errors.first().map(ToString::to_string).unwrap_or_default();
            bail!(
                "catalog: {}: {first} ({} problem(s); see `sportello catalog check`)",
                path.display(),
                errors.len()
            )
        }
    }
}

/// The built-in help articles, and the operator's own from `help_dir` (`{language}/{slug}.md`)
/// over them; an article that does not read stops the start, naming its file.
pub fn load_help(catalog: &Catalog, dir: Option<&Path>) -> anyhow::Result<Library> {
    let mut own = Vec::new();
    if let Some(dir) = dir {
        let read =
            |path: &Path| std::fs::read_dir(path).with_context(|| format!("help_dir: cannot read {}", path.display()));
        for language in read(dir)? {
            let language = language.with_context(|| format!("help_dir: cannot read {}", dir.display()))?;
            if !language.path().is_dir() {
                continue;
            }
            for file in read(&language.path())? {
                let path = file
                    .with_context(|| format!("help_dir: cannot read {}", dir.display()))?
                    .path();
                let Some(slug) = path.extension().filter(|e| *e == "md").and(path.file_stem()) else {
                    continue;
                };
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("help_dir: cannot read {}", path.display()))?;
                own.push((
                    language.file_name().to_string_lossy().into_owned(),
                    slug.to_string_lossy().into_owned(),
                    text,
                ));
            }
        }
    }
    Library::new(catalog, &own).map_err(|e| anyhow::anyhow!("help_dir: {e}"))
}

/// SIGTERM or Ctrl-C. The handlers are installed here, at once, not when the future is first
/// polled: a signal that arrives while the server starts (the serve loop may take its first
/// connection before it ever polls this) must stop it gracefully, not kill it.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{signal, SignalKind};
        (
            signal(SignalKind::terminate()).ok(),
            signal(SignalKind::interrupt()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let (term, int) = signals;
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(term) => {},
                () = wait(int) => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutting down");
    }
}
