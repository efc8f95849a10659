//! Typed settings from layers: built-in defaults, then `sportello.toml`, then `SPORTELLO_*`
//! environment variables, then flags (SPEC §1, STYLE rule 14). Passed explicitly, never global.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use anyhow::{bail, Context};
use ipnet::IpNet;
use serde::Deserialize;

/// Every setting as a flag with its environment variable; clap gives flags precedence over env.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SettingsArgs {
    /// Settings file (TOML); `./sportello.toml` is read when present.
    #[arg(long, env = "SPORTELLO_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "SPORTELLO_ADDR", value_name = "HOST:PORT")]
    pub addr: Option<String>,
    /// `sqlite://FILE` or `postgres://…`.
    #[arg(long, env = "SPORTELLO_DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,
    /// Directory for attachments and other blobs.
    #[arg(long, env = "SPORTELLO_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Public base URL used in links sent to customers.
    #[arg(long, env = "SPORTELLO_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// Outgoing mail server, e.g. `smtp://user:pass@host:587`.
    #[arg(long, env = "SPORTELLO_SMTP_URL", value_name = "URL")]
    pub smtp_url: Option<String>,
    /// The address customers write to and receive mail from.
    #[arg(long, env = "SPORTELLO_SUPPORT_ADDRESS", value_name = "EMAIL")]
    pub support_address: Option<String>,
    /// Catalog file (TOML); the built-in catalog of the seed when absent.
    #[arg(long, env = "SPORTELLO_CATALOG", value_name = "FILE")]
    pub catalog: Option<PathBuf>,
    /// Directory of the operator's help articles (`{language}/{slug}.md`), over the built-in ones.
    #[arg(long, env = "SPORTELLO_HELP_DIR", value_name = "DIR")]
    pub help_dir: Option<PathBuf>,
    /// Intake requests per IP, e.g. `10/10m`, or `off`.
    #[arg(long, env = "SPORTELLO_INTAKE_RATE_LIMIT", value_name = "N/PERIOD")]
    pub intake_rate_limit: Option<String>,
    /// Stop retrying a mail after this long, e.g. `2d`, `36h`.
    #[arg(long, env = "SPORTELLO_MAIL_GIVE_UP", value_name = "DURATION")]
    pub mail_give_up: Option<String>,
    /// Category of cases opened by mail that threads into no case, e.g. `technical/crash`;
    /// the catalog's first category and sub-category when absent.
    #[arg(long, env = "SPORTELLO_MAIL_CATEGORY", value_name = "CATEGORY/SUBCATEGORY")]
    pub mail_category: Option<String>,
    /// Mailbox to fetch customer mail from, e.g. `imaps://user:pass@host/INBOX`.
    #[arg(long, env = "SPORTELLO_IMAP_URL", value_name = "URL")]
    pub imap_url: Option<String>,
    /// Reverse proxies whose `X-Forwarded-For` names the client: addresses or networks,
    /// comma-separated (e.g. `127.0.0.1,10.0.0.0/8`); none by default.
    #[arg(long, env = "SPORTELLO_TRUSTED_PROXIES", value_name = "ADDRESSES")]
    pub trusted_proxies: Option<String>,
    /// Additions to a case from its status page, per client: `N/PERIOD` or `off` [default: 30/10m].
    #[arg(long, env = "SPORTELLO_STATUS_RATE_LIMIT", value_name = "N/PERIOD")]
    pub status_rate_limit: Option<String>,
    /// The form's live checks of an address or a phone, per client [default: 120/1m].
    #[arg(long, env = "SPORTELLO_CHECK_RATE_LIMIT", value_name = "N/PERIOD")]
    pub check_rate_limit: Option<String>,
    /// Open connections at most; `auto` leaves room under the process's file limit [default: auto].
    #[arg(long, env = "SPORTELLO_MAX_CONNECTIONS", value_name = "N")]
    pub max_connections: Option<String>,
    /// How long a client may take to send a request's headers, and stay idle between requests
    /// [default: 10s].
    #[arg(long, env = "SPORTELLO_HEADER_TIMEOUT", value_name = "DURATION")]
    pub header_timeout: Option<String>,
    /// Blobs no row names are removed after this long [default: 24h].
    #[arg(long, env = "SPORTELLO_BLOB_GRACE", value_name = "DURATION")]
    pub blob_grace: Option<String>,
    /// Every agent must sign in with an authenticator app's code: `true` or `false` [default: false].
    #[arg(long, env = "SPORTELLO_REQUIRE_TOTP", value_name = "BOOL")]
    pub require_totp: Option<String>,
    /// How long an agent's reply waits before it goes, to be undone; `0s` sends at once
    /// [default: 10s].
    #[arg(long, env = "SPORTELLO_REPLY_UNDO_DELAY", value_name = "DURATION")]
    pub reply_undo_delay: Option<String>,
    /// Internal addresses or networks webhooks may be delivered to, comma-separated (e.g.
    /// `10.0.0.0/8`); loopback, private, link-local and metadata addresses are refused otherwise
    /// [default: none].
    #[arg(long, env = "SPORTELLO_WEBHOOK_ALLOW", value_name = "ADDRESSES")]
    pub webhook_allow: Option<String>,
    /// How long a webhook endpoint may take to answer a delivery [default: 10s].
    #[arg(long, env = "SPORTELLO_WEBHOOK_TIMEOUT", value_name = "DURATION")]
    pub webhook_timeout: Option<String>,
    /// Logs on standard error as `text` for people or `json` (one object per line, with each
    /// request's id) for a log collector [default: text].
    #[arg(long, env = "SPORTELLO_LOG_FORMAT", value_name = "text|json")]
    pub log_format: Option<String>,
    /// A bearer token `/metrics` asks for; without one, `/metrics` answers anyone who can reach it
    /// [default: none].
    #[arg(long, env = "SPORTELLO_METRICS_TOKEN", value_name = "TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
}

/// The same settings as keys of `sportello.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    addr: Option<String>,
    database_url: Option<String>,
    data_dir: Option<PathBuf>,
    public_url: Option<String>,
    smtp_url: Option<String>,
    support_address: Option<String>,
    catalog: Option<PathBuf>,
    help_dir: Option<PathBuf>,
    intake_rate_limit: Option<String>,
    mail_give_up: Option<String>,
    mail_category: Option<String>,
    imap_url: Option<String>,
    trusted_proxies: Option<String>,
    status_rate_limit: Option<String>,
    check_rate_limit: Option<String>,
    max_connections: Option<String>,
    header_timeout: Option<String>,
    blob_grace: Option<String>,
    require_totp: Option<bool>,
    reply_undo_delay: Option<String>,
    webhook_allow: Option<String>,
    webhook_timeout: Option<String>,
    log_format: Option<String>,
    metrics_token: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub addr: SocketAddr,
    pub database_url: Secret,
    pub data_dir: PathBuf,
    pub public_url: String,
    pub smtp_url: Option<Secret>,
    pub support_address: String,
    pub catalog: Option<PathBuf>,
    pub help_dir: Option<PathBuf>,
    pub intake_rate_limit: Option<RateLimit>,
    pub mail_give_up: Duration,
    /// `CATEGORY/SUBCATEGORY`, checked against the catalog at start-up.
    pub mail_category: Option<String>,
    pub imap_url: Option<Secret>,
    pub trusted_proxies: Vec<IpNet>,
    pub status_rate_limit: Option<RateLimit>,
    pub check_rate_limit: Option<RateLimit>,
    /// None: derived from the file limit at start.
    pub max_connections: Option<usize>,
    pub header_timeout: Duration,
    pub blob_grace: Duration,
    /// SPEC §6: the admin says every agent needs a second factor.
    pub require_totp: bool,
    /// SPEC §7: a reply is held this long before it goes (zero: sent at once).
    pub reply_undo_delay: Duration,
    /// SPEC §9: internal networks webhooks may reach nonetheless.
    pub webhook_allow: Vec<IpNet>,
    pub webhook_timeout: Duration,
    pub log_format: LogFormat,
    pub metrics_token: Option<Secret>,
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl Settings {
    /// Resolves the layers; every error is one line that names the setting.
    pub fn load(args: &SettingsArgs) -> anyhow::Result<Settings> {
        let file = read_file(args.config.as_deref())?;
        let pick = |flag: &Option<String>, file: Option<String>| flag.clone().or(file);
        let addr_text = pick(&args.addr, file.addr).unwrap_or_else(|| "127.0.0.1:8080".to_owned());
        let addr: SocketAddr = addr_text
            .parse()
            .with_context(|| format!("addr: `{addr_text}` is not HOST:PORT (e.g. 127.0.0.1:8080)"))?;
        let database_url =
            pick(&args.database_url, file.database_url).unwrap_or_else(|| "sqlite://./sportello.db".to_owned());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            bail!("database_url: use sqlite://FILE or postgres://…");
        }
        let public_url = pick(&args.public_url, file.public_url).unwrap_or_else(|| format!("http://{addr}"));
        let parsed = url::Url::parse(&public_url)
            .map_err(|e| anyhow::anyhow!("public_url: `{public_url}` is not a URL ({e})"))?;
        if !matches!(parsed.scheme(), "http" | "https") || !parsed.has_host() || parsed.query().is_some() {
            bail!("public_url: `{public_url}` must be http:// or https://, a host, and no query");
        }
        let support_address =
            pick(&args.support_address, file.support_address).unwrap_or_else(|| "support@localhost".to_owned());
        if !support_address.contains('@') {
            bail!("support_address: `{support_address}` is not an e-mail address");
        }
        let smtp_url = pick(&args.smtp_url, file.smtp_url);
        if let Some(url) = &smtp_url {
            if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                bail!("smtp_url: use smtp://HOST:PORT or smtps://HOST:PORT");
            }
        }
        let limit = |flag: &Option<String>, file: Option<String>, default: &str, name: &str| {
            let text = pick(flag, file).unwrap_or_else(|| default.to_owned());
            RateLimit::parse_setting(&text).context(name.to_owned())
        };
        let intake_rate_limit = limit(
            &args.intake_rate_limit,
            file.intake_rate_limit,
            "10/10m",
            "intake_rate_limit",
        )?;
        let status_rate_limit = limit(
            &args.status_rate_limit,
            file.status_rate_limit,
            "30/10m",
            "status_rate_limit",
        )?;
        let check_rate_limit = limit(
            &args.check_rate_limit,
            file.check_rate_limit,
            "120/1m",
            "check_rate_limit",
        )?;
        let duration = |flag: &Option<String>, file: Option<String>, default: &str, name: &str| {
            let text = pick(flag, file).unwrap_or_else(|| default.to_owned());
            parse_duration(&text).context(name.to_owned())
        };
        let mail_give_up = duration(&args.mail_give_up, file.mail_give_up, "2d", "mail_give_up")?;
        let header_timeout = duration(&args.header_timeout, file.header_timeout, "10s", "header_timeout")?;
        let blob_grace = duration(&args.blob_grace, file.blob_grace, "24h", "blob_grace")?;
        let reply_undo_delay = match pick(&args.reply_undo_delay, file.reply_undo_delay) {
            Some(text) if matches!(text.trim(), "0" | "0s") => Duration::ZERO,
            Some(text) => parse_duration(&text).context("reply_undo_delay")?,
            None => Duration::from_secs(10),
        };
        let trusted_proxies = pick(&args.trusted_proxies, file.trusted_proxies)
            .map(|text| parse_networks(&text))
            .transpose()
            .context("trusted_proxies")?
            .unwrap_or_default();
        let webhook_allow = pick(&args.webhook_allow, file.webhook_allow)
            .map(|text| parse_networks(&text))
            .transpose()
            .context("webhook_allow")?
            .unwrap_or_default();
        let webhook_timeout = duration(&args.webhook_timeout, file.webhook_timeout, "10s", "webhook_timeout")?;
        let max_connections = match pick(&args.max_connections, file.max_connections) {
            None => None,
            Some(text) if text.trim() == "auto" => None,
            Some(text) => Some(
                text.trim()
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| anyhow::anyhow!("max_connections: `{text}` is not a positive number or auto"))?,
            ),
        };
        let require_totp = match args.require_totp.as_deref().map(str::trim) {
            None => file.require_totp.unwrap_or(false),
            Some("true" | "1" | "yes") => true,
            Some("false" | "0" | "no") => false,
            Some(other) => anyhow::bail!("require_totp: `{other}` is not true or false"),
        };
        let imap_url = pick(&args.imap_url, file.imap_url);
        if let Some(url) = &imap_url {
            // The error names the setting and never repeats the password.
            crate::mail::imap::MailboxUrl::parse(url)
                .map_err(|e| anyhow::anyhow!("{e} (use imaps://USER:PASSWORD@HOST/MAILBOX)"))?;
        }
        let log_format = match pick(&args.log_format, file.log_format).as_deref().map(str::trim) {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => bail!("log_format: `{other}` is not text or json"),
        };
        let metrics_token = pick(&args.metrics_token, file.metrics_token).filter(|t| !t.trim().is_empty());
        Ok(Settings {
            addr,
            database_url: Secret(database_url),
            data_dir: args
                .data_dir
                .clone()
                .or(file.data_dir)
                .unwrap_or_else(|| PathBuf::from("./data")),
            public_url: public_url.trim_end_matches('/').to_owned(),
            smtp_url: smtp_url.map(Secret),
            support_address,
            catalog: args.catalog.clone().or(file.catalog),
            help_dir: args.help_dir.clone().or(file.help_dir),
            intake_rate_limit,
            mail_give_up,
            mail_category: pick(&args.mail_category, file.mail_category),
            imap_url: imap_url.map(Secret),
            trusted_proxies,
            status_rate_limit,
            check_rate_limit,
            max_connections,
            header_timeout,
            blob_grace,
            require_totp,
            reply_undo_delay,
            webhook_allow,
            webhook_timeout,
            log_format,
            metrics_token: metrics_token.map(Secret),
        })
    }
}

fn read_file(explicit: Option<&Path>) -> anyhow::Result<FileSettings> {
    let (path, must_exist) = match explicit {
        Some(p) => (p.to_path_buf(), true),
        None => (PathBuf::from("sportello.toml"), false),
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => return Ok(FileSettings::default()),
        Err(e) => bail!("{}: {e}", path.display()),
    };
    toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.message().trim()))
}

/// `90s`, `30m`, `36h`, `2d`, `1h 30m` (humantime); zero is refused.
fn parse_duration(text: &str) -> anyhow::Result<Duration> {
    let bad = || anyhow::anyhow!("`{text}` is not a duration such as 90s, 30m, 36h or 2d");
    let duration = humantime::parse_duration(text.trim()).map_err(|_| bad())?;
    if duration.is_zero() {
        return Err(bad());
    }
    Ok(duration)
}

/// `127.0.0.1, 10.0.0.0/8, ::1`: addresses (a network of one) or networks.
fn parse_networks(text: &str) -> anyhow::Result<Vec<IpNet>> {
    text.split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.parse::<IpNet>()
                .or_else(|_| part.parse::<std::net::IpAddr>().map(IpNet::from))
                .map_err(|_| anyhow::anyhow!("`{part}` is not an address or a network such as 10.0.0.0/8"))
        })
        .collect()
}

/// A value that must not reach logs (URLs with passwords).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// `N/PERIOD`: at most N requests per PERIOD (`s`, `m`, `h` suffix) from one client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub requests: u32,
    pub period: Duration,
}

impl RateLimit {
    /// `off` disables the limit.
    pub fn parse_setting(text: &str) -> anyhow::Result<Option<RateLimit>> {
        if text.trim().eq_ignore_ascii_case("off") {
            return Ok(None);
        }
        text.parse().map(Some)
    }
}

impl FromStr for RateLimit {
    type Err = anyhow::Error;
    fn from_str(text: &str) -> anyhow::Result<RateLimit> {
        let bad = || anyhow::anyhow!("`{text}` is not N/PERIOD (e.g. 10/10m) or off");
        let (n, period) = text.trim().split_once('/').ok_or_else(bad)?;
        let requests: u32 = n.trim().parse().map_err(|_| bad())?;
        let period = period.trim();
        // `10/m` reads as one minute.
        let period = if period.starts_with(|c: char| c.is_ascii_digit()) {
            period.to_owned()
        } else {
            format!("1{period}")
        };
        let period = humantime::parse_duration(&period).map_err(|_| bad())?;
        if requests == 0 || period.is_zero() {
            return Err(bad());
        }
        Ok(RateLimit { requests, period })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_embedded_setup() {
        let s = Settings::load(&SettingsArgs {
            config: Some(PathBuf::from("/dev/null")),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(s.addr.to_string(), "127.0.0.1:8080");
        assert_eq!(s.database_url.expose(), "sqlite://./sportello.db");
        assert_eq!(s.data_dir, PathBuf::from("./data"));
        assert_eq!(
            s.intake_rate_limit,
            Some(RateLimit {
                requests: 10,
                period: Duration::from_secs(600)
            })
        );
    }

    #[test]
    fn the_file_fills_what_flags_leave_open_and_flags_win() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sportello.toml");
        std::fs::write(
            &path,
            "addr = \"127.0.0.1:9000\"\nintake_rate_limit = \"off\"\ndata_dir = \"/srv/d\"\n",
        )
        .unwrap();
        let args = SettingsArgs {
            config: Some(path.clone()),
            addr: Some("0.0.0.0:1".into()),
            ..Default::default()
        };
        let s = Settings::load(&args).unwrap();
        assert_eq!(s.addr.to_string(), "0.0.0.0:1");
        assert_eq!(s.intake_rate_limit, None);
        assert_eq!(s.data_dir, PathBuf::from("/srv/d"));
    }

    #[test]
    fn bad_settings_say_which_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.toml");
        std::fs::write(&path, "colour = \"red\"\n").unwrap();
        let err = Settings::load(&SettingsArgs {
            config: Some(path),
            ..Default::default()
        })
        .unwrap_err();
        assert!(format!("{err:#}").contains("colour"), "{err:#}");
        let err = Settings::load(&SettingsArgs {
            config: Some(PathBuf::from("/dev/null")),
            database_url: Some("mysql://x".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert!(format!("{err:#}").starts_with("database_url"), "{err:#}");
        for bad in ["ftp://x", "localhost:8080", "https://", "https://x/?a=1"] {
            let err = Settings::load(&SettingsArgs {
                config: Some(PathBuf::from("/dev/null")),
                public_url: Some(bad.into()),
                ..Default::default()
            })
            .unwrap_err();
            assert!(format!("{err:#}").starts_with("public_url"), "{bad}: {err:#}");
        }
        let err = Settings::load(&SettingsArgs {
            config: Some(PathBuf::from("/dev/null")),
            intake_rate_limit: Some("lots".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert!(format!("{err:#}").starts_with("intake_rate_limit"), "{err:#}");
    }

    #[test]
    fn proxies_are_addresses_or_networks() {
        let nets = parse_networks("127.0.0.1, 10.0.0.0/8,::1").unwrap();
        assert_eq!(nets.len(), 3);
        assert!(nets[1].contains(&"10.1.2.3".parse::<std::net::IpAddr>().unwrap()));
        assert!(nets[0].contains(&"127.0.0.1".parse::<std::net::IpAddr>().unwrap()));
        assert!(!nets[0].contains(&"127.0.0.2".parse::<std::net::IpAddr>().unwrap()));
        assert!(parse_networks("10.0.0.0/33").is_err());
        assert!(parse_networks("proxy.local").is_err());
        assert!(parse_networks("").unwrap().is_empty());
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("2d").unwrap(), Duration::from_secs(172_800));
        assert_eq!(parse_duration("36h").unwrap(), Duration::from_secs(129_600));
        assert_eq!(parse_duration("1h 30m").unwrap(), Duration::from_secs(5_400));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("soon").is_err());
        let s = Settings::load(&SettingsArgs {
            config: Some(PathBuf::from("/dev/null")),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(s.mail_give_up, Duration::from_secs(172_800));
    }

    #[test]
    fn rate_limits_parse() {
        assert_eq!(
            "10/10m".parse::<RateLimit>().unwrap(),
            RateLimit {
                requests: 10,
                period: Duration::from_secs(600)
            }
        );
        assert_eq!(
            "5/s".parse::<RateLimit>().unwrap(),
            RateLimit {
                requests: 5,
                period: Duration::from_secs(1)
            }
        );
        assert!("0/1m".parse::<RateLimit>().is_err());
        assert!("10/10x".parse::<RateLimit>().is_err());
        assert_eq!(RateLimit::parse_setting("OFF").unwrap(), None);
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let s = Secret("postgres://u:hunter2@h/db".into());
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
