//! The command line of SPEC §1.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use sportello_domain::catalog::Catalog;
use sportello_domain::organisation::Business;
use sportello_domain::triage::{due, Priority, Standing};

use crate::config::{LogFormat, Settings, SettingsArgs};
use std::io::Read as _;

use crate::app::agents::{self, AgentInput, TeamInput};
use crate::app::ingest::{ingest, Ingested};
use crate::app::Clock;
use crate::startup::{build_app, load_catalog, open_store, shutdown_signal, Application};
use sportello_domain::access::{Principal, Role, Scope};

#[derive(Debug, Parser)]
#[command(
    name = "sportello",
    version,
    about = "Sportello: a self-hosted customer-support desk."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the desk: HTTP API and background workers.
    Serve(SettingsArgs),
    /// Create or upgrade the database schema, then exit.
    Migrate(SettingsArgs),
    /// Work with catalog files.
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
    },
    /// Print the due times the server would compute for a case (SPEC §4).
    Sla(SlaArgs),
    /// Work with mail.
    Mail {
        #[command(subcommand)]
        command: MailCommand,
    },
    /// Manage the agents who answer (SPEC §6).
    Agent {
        #[command(subcommand)]
        command: AgentCommand,
    },
    /// Manage teams.
    Team {
        #[command(subcommand)]
        command: TeamCommand,
    },
}

#[derive(Debug, Subcommand)]
enum AgentCommand {
    /// Create an agent; prints a set-password link (valid 7 days) unless --password-stdin.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin, lead or agent.
        #[arg(long, default_value = "agent")]
        role: String,
        /// A team the agent belongs to (repeatable).
        #[arg(long = "team")]
        teams: Vec<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        settings: SettingsArgs,
    },
    /// Print a new API token for the agent, once.
    Token {
        #[arg(long)]
        email: String,
        /// read or write.
        #[arg(long, default_value = "read")]
        scope: String,
        #[arg(long, default_value = "cli")]
        name: String,
        #[command(flatten)]
        settings: SettingsArgs,
    },
    /// Disable the agent: their sessions and tokens stop at once.
    Disable {
        #[arg(long)]
        email: String,
        #[command(flatten)]
        settings: SettingsArgs,
    },
}

#[derive(Debug, Subcommand)]
enum TeamCommand {
    /// Create a team.
    Add {
        #[arg(long)]
        name: String,
        /// A category, or CATEGORY/SUBCATEGORY, the team owns (repeatable).
        #[arg(long)]
        owns: Vec<String>,
        /// Its cases are visible only to its members and admins.
        #[arg(long)]
        restricted: bool,
        #[command(flatten)]
        settings: SettingsArgs,
    },
}

#[derive(Debug, Subcommand)]
enum MailCommand {
    /// Read one RFC 5322 message on standard input (for an MTA pipe) and file it. Exits 0 whenever
    /// the message was handled, filed or kept aside, so the MTA never bounces it to the sender.
    Ingest(SettingsArgs),
}

#[derive(Debug, Subcommand)]
enum CatalogCommand {
    /// Check a catalog file; every problem is printed with its line and column.
    Check {
        /// The catalog (TOML).
        file: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
struct SlaArgs {
    #[arg(long)]
    category: String,
    #[arg(long)]
    subcategory: Option<String>,
    /// urgent, high, normal or low.
    #[arg(long, default_value = "normal")]
    priority: String,
    /// The contact had a strike in the strike window.
    #[arg(long)]
    strike: bool,
    /// When the case was created (RFC 3339).
    #[arg(long)]
    created: String,
    /// Catalog file; the built-in catalog when absent.
    #[arg(long, env = "SPORTELLO_CATALOG")]
    catalog: Option<PathBuf>,
    /// The contact belongs to this organisation (by name): its verified or unverified targets
    /// apply (SPEC §10). Read from the database.
    #[arg(long)]
    organisation: Option<String>,
    /// The database the organisation is read from (only with --organisation).
    #[arg(long, env = "SPORTELLO_DATABASE_URL", default_value = "sqlite://./sportello.db")]
    database_url: String,
}

/// Runs the command; errors become one line on stderr and a non-zero exit.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("sportello: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => {
            let settings = Settings::load(&args)?;
            init_tracing(settings.log_format);
            runtime()?.block_on(async {
                let application = Application::build(settings).await?;
                tracing::info!(addr = %application.local_addr()?, "listening");
                application.run_until_stopped(shutdown_signal()).await
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate(args) => {
            let settings = Settings::load(&args)?;
            init_tracing(settings.log_format);
            runtime()?.block_on(open_store(settings.database_url.expose()))?;
            println!("database is up to date");
            Ok(ExitCode::SUCCESS)
        }
        Command::Catalog {
            command: CatalogCommand::Check { file },
        } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            match Catalog::from_toml(&text) {
                Ok(catalog) => {
                    println!("{}: ok, {} categories", file.display(), catalog.categories().len());
                    Ok(ExitCode::SUCCESS)
                }
                Err(errors) => {
                    for e in &errors {
                        println!("{}:{}:{}: {}", file.display(), e.line, e.column, e.message);
                    }
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Mail {
            command: MailCommand::Ingest(args),
        } => {
            let settings = Settings::load(&args)?;
            init_tracing(settings.log_format);
            let mut raw = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin().take(MAX_INGEST_READ), &mut raw)
                .context("cannot read the message from standard input")?;
            let outcome = runtime()?.block_on(async {
                let app = build_app(&settings, Clock::system()).await?;
                ingest(&app, bytes::Bytes::from(raw)).await.map_err(anyhow::Error::new)
            })?;
            println!("{}", describe(&outcome));
            Ok(ExitCode::SUCCESS)
        }
        Command::Agent { command } => agent(command),
        Command::Team {
            command:
                TeamCommand::Add {
                    name,
                    owns,
                    restricted,
                    settings,
                },
        } => with_app(&settings, |app| async move {
            let input = TeamInput { name, owns, restricted };
            agents::add_team(&app, &Principal::System, input).await?;
            Ok("team added".to_owned())
        }),
        Command::Sla(args) => {
            println!("{}", sla(&args)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Runs `work` on the application the settings describe; prints its answer, or its refusal.
fn with_app<F, Fut>(args: &SettingsArgs, work: F) -> anyhow::Result<ExitCode>
where
    F: FnOnce(crate::app::App) -> Fut,
    Fut: std::future::Future<Output = Result<String, crate::app::Error>>,
{
    let settings = Settings::load(args)?;
    init_tracing(settings.log_format);
    let answer = runtime()?.block_on(async {
        let app = build_app(&settings, Clock::system()).await?;
        anyhow::Ok(work(app).await)
    })?;
    match answer {
        Ok(text) => {
            println!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        Err(crate::app::Error::Invalid(problems)) => {
            let lang = crate::i18n::Lang::english();
            for p in &problems {
                eprintln!(
                    "sportello: {}: {}",
                    p.field,
                    crate::web::error::problem_message(p, &lang)
                );
            }
            Ok(ExitCode::from(2))
        }
        Err(crate::app::Error::NotFound) => bail!("no such agent"),
        Err(e) => bail!("{e}"),
    }
}

fn agent(command: AgentCommand) -> anyhow::Result<ExitCode> {
    match command {
        AgentCommand::Add {
            email,
            name,
            role,
            teams,
            password_stdin,
            settings,
        } => {
            let role: Role = role.parse().map_err(|e| anyhow::anyhow!("--role: {e}"))?;
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .read_line(&mut line)
                    .context("cannot read the password from standard input")?;
                Some(line.trim_end_matches(['\r', '\n']).to_owned())
            } else {
                None
            };
            with_app(&settings, |app| async move {
                let input = AgentInput {
                    email,
                    name,
                    role,
                    teams,
                    password,
                    // The command prints the link for the operator to pass on.
                    mail_link: false,
                };
                let added = agents::add_agent(&app, &Principal::System, input).await?;
                Ok(match added.link {
                    Some(link) => format!("agent added; set the password within 7 days at {link}"),
                    None => "agent added".to_owned(),
                })
            })
        }
        AgentCommand::Token {
            email,
            scope,
            name,
            settings,
        } => {
            let scope: Scope = scope.parse().map_err(|e| anyhow::anyhow!("--scope: {e}"))?;
            with_app(&settings, |app| async move {
                agents::issue_token(&app, &Principal::System, &email, scope, &name).await
            })
        }
        AgentCommand::Disable { email, settings } => with_app(&settings, |app| async move {
            Ok(match agents::disable_agent(&app, &Principal::System, &email).await? {
                true => "agent disabled; their sessions and tokens have ended".to_owned(),
                false => "agent was already disabled".to_owned(),
            })
        }),
    }
}

/// Read one byte past the limit, so an oversized message is recognised as such.
const MAX_INGEST_READ: u64 = crate::app::ingest::MAX_MESSAGE_BYTES as u64 + 1;

fn describe(outcome: &Ingested) -> String {
    match outcome {
        Ingested::Joined {
            case,
            raised_to: Some(p),
        } => format!("joined {case}; priority raised to {p}"),
        Ingested::Joined { case, raised_to: None } => format!("joined {case}"),
        Ingested::Opened { case, about: None } => format!("opened {case}"),
        Ingested::Opened {
            case,
            about: Some(about),
        } => format!("opened {case} about {about}"),
        Ingested::Merged(case) => format!("added to {case}"),
        Ingested::Duplicate => "already filed".to_owned(),
        Ingested::Ignored(reason) => format!("ignored: {reason}"),
        Ingested::Bounce { case, address } => format!("bounce of {case}: {address} marked undeliverable"),
        Ingested::KeptAside(reason) => format!("kept aside: {reason}"),
    }
}

fn sla(args: &SlaArgs) -> anyhow::Result<String> {
    let catalog = load_catalog(args.catalog.as_deref())?;
    let Some(category) = catalog.category(&args.category) else {
        let known: Vec<_> = catalog.categories().iter().map(|c| c.id.as_str()).collect();
        bail!("--category: `{}` is not one of {}", args.category, known.join(", "));
    };
    let subcategory = args.subcategory.as_deref().unwrap_or("");
    if args.subcategory.is_some() && category.subcategory(subcategory).is_none() {
        bail!(
            "--subcategory: `{subcategory}` is not a sub-category of {}",
            category.id
        );
    }
    let priority: Priority = args.priority.parse().map_err(|e| anyhow::anyhow!("--priority: {e}"))?;
    let created: DateTime<Utc> = DateTime::parse_from_rfc3339(&args.created)
        .map_err(|e| anyhow::anyhow!("--created: `{}` is not RFC 3339 ({e})", args.created))?
        .with_timezone(&Utc);
    let business = match &args.organisation {
        None => None,
        Some(name) => Some(organisation_standing(&args.database_url, name)?),
    };
    let standing = Standing {
        penalised: args.strike,
        business,
    };
    let due = due(&catalog, category, subcategory, priority, standing, created);
    Ok(serde_json::to_string(&due)?)
}

/// How the organisation called `name` stands (verified or not), from the database.
fn organisation_standing(database_url: &str, name: &str) -> anyhow::Result<Business> {
    runtime()?.block_on(async {
        let store = crate::startup::open_store(database_url).await?;
        let all = store.organisations().await?;
        let found = all
            .iter()
            .find(|o| o.organisation.name.eq_ignore_ascii_case(name.trim()));
        match found {
            Some(o) => Ok(Business::of(o.organisation.verified)),
            None => {
                let known: Vec<_> = all.iter().map(|o| o.organisation.name.as_str()).collect();
                bail!(
                    "--organisation: no organisation is called `{name}` (there are: {})",
                    known.join(", ")
                )
            }
        }
    })
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SPORTELLO_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Logs on stderr: stdout is the commands' answer (`mail ingest` prints what it did).
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => logs
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
        // One object per line; the spans it happened in ride along, the request's first
        // (method, route, request_id).
        LogFormat::Json => logs.json().with_current_span(false).with_span_list(true).try_init(),
    };
}
