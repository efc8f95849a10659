//! The IMAP connection behind `imap_url`: where the mailbox is, and a logged-in session on it.
//!
//! `imaps://` speaks TLS from the first byte; `imap://` upgrades with STARTTLS, and may stay in
//! clear text only on a loopback address (a password must not cross a network unencrypted).

use std::fmt;
use std::sync::Arc;

use async_imap::{Client, Session};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

/// What a session runs over: TCP, or TLS over TCP.
pub trait Transport: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug> Transport for T {}

pub type ImapSession = Session<Box<dyn Transport>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// `imaps://`: TLS from the start (port 993 by default).
    Tls,
    /// `imap://`: STARTTLS when offered; required unless the host is a loopback address.
    StartTls,
}

/// `imap[s]://USER:PASSWORD@HOST[:PORT][/MAILBOX]`, user and password percent-encoded.
#[derive(Clone, PartialEq, Eq)]
pub struct MailboxUrl {
    pub security: Security,
    pub host: String,
    pub port: u16,
    pub user: String,
    password: String,
    pub mailbox: String,
}

impl fmt::Debug for MailboxUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MailboxUrl({})", self.key())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    #[error("imap_url: {0}")]
    Url(String),
    #[error("cannot reach {0}: {1}")]
    Connect(String, std::io::Error),
    #[error("TLS with {0}: {1}")]
    Tls(String, std::io::Error),
    #[error("{0} offers no STARTTLS: refusing to send the password in clear text")]
    NoStartTls(String),
    #[error("the server closed the connection before greeting")]
    NoGreeting,
    #[error("login refused: {0}")]
    Login(async_imap::error::Error),
    #[error(transparent)]
    Protocol(#[from] async_imap::error::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl MailboxUrl {
    pub fn parse(text: &str) -> Result<MailboxUrl, ImapError> {
        let url = url::Url::parse(text).map_err(|e| ImapError::Url(e.to_string()))?;
        let (security, default_port) = match url.scheme() {
            "imaps" => (Security::Tls, 993),
            "imap" => (Security::StartTls, 143),
            other => return Err(ImapError::Url(format!("`{other}://` is not imap:// or imaps://"))),
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| ImapError::Url("no host".to_owned()))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let decode = |s: &str| {
            percent_decode(s).ok_or_else(|| ImapError::Url("the user or password is not valid percent-encoding".into()))
        };
        let user = decode(url.username())?;
        let password = decode(url.password().unwrap_or(""))?;
        if user.is_empty() {
            return Err(ImapError::Url("no user name".to_owned()));
        }
        let path = url.path().trim_start_matches('/');
        let mailbox = if path.is_empty() {
            "INBOX".to_owned()
        } else {
            percent_decode(path).ok_or_else(|| ImapError::Url("the mailbox name is not valid".into()))?
        };
        Ok(MailboxUrl {
            security,
            port: url.port().unwrap_or(default_port),
            host,
            user,
            password,
            mailbox,
        })
    }

    /// Names the mailbox without its password: the key of its progress in the store.
    pub fn key(&self) -> String {
        format!("{}@{}:{}/{}", self.user, self.host, self.port, self.mailbox)
    }

    fn is_loopback(&self) -> bool {
        self.host == "localhost" || self.host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }

    /// Connects, secures, logs in and selects nothing yet.
    pub async fn login(&self, tls: &Arc<ClientConfig>) -> Result<ImapSession, ImapError> {
        let place = format!("{}:{}", self.host, self.port);
        let tcp = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| ImapError::Connect(place.clone(), e))?;
        let stream: Box<dyn Transport> = match self.security {
            Security::Tls => {
                let secured = self.wrap(tls, tcp).await?;
                let mut client = Client::new(secured);
                client.read_response().await?.ok_or(ImapError::NoGreeting)?;
                return self.authenticate(client).await;
            }
            Security::StartTls => Box::new(tcp),
        };
        let mut client = Client::new(stream);
        client.read_response().await?.ok_or(ImapError::NoGreeting)?;
        if starttls_offered(&mut client).await? {
            client.run_command_and_check_ok("STARTTLS", None).await?;
            let tcp = client.into_inner();
            // No greeting after STARTTLS (RFC 3501 §6.2.1).
            let client = Client::new(self.wrap(tls, tcp).await?);
            return self.authenticate(client).await;
        }
        if !self.is_loopback() {
            return Err(ImapError::NoStartTls(place));
        }
        self.authenticate(client).await
    }

    async fn wrap<S>(&self, tls: &Arc<ClientConfig>, stream: S) -> Result<Box<dyn Transport>, ImapError>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug + 'static,
    {
        let name = ServerName::try_from(self.host.clone()).map_err(|e| ImapError::Url(e.to_string()))?;
        let secured = TlsConnector::from(Arc::clone(tls))
            .connect(name, stream)
            .await
            .map_err(|e| ImapError::Tls(self.host.clone(), e))?;
        Ok(Box::new(secured))
    }

    async fn authenticate(&self, client: Client<Box<dyn Transport>>) -> Result<ImapSession, ImapError> {
        client
            .login(&self.user, &self.password)
            .await
            .map_err(|(e, _)| ImapError::Login(e))
    }
}

/// Asks for the capabilities before login and tells whether STARTTLS is among them.
async fn starttls_offered(client: &mut Client<Box<dyn Transport>>) -> Result<bool, ImapError> {
    use async_imap::imap_proto::{Capability, Response};
    use async_imap::types::UnsolicitedResponse;
    let (untagged, answers) = async_channel::unbounded();
    client.run_command_and_check_ok("CAPABILITY", Some(untagged)).await?;
    let mut offered = false;
    while let Ok(answer) = answers.try_recv() {
        if let UnsolicitedResponse::Other(data) = answer {
            if let Response::Capabilities(caps) = data.parsed() {
                offered |= caps
                    .iter()
                    .any(|c| matches!(c, Capability::Atom(a) if a.eq_ignore_ascii_case("STARTTLS")));
            }
        }
    }
    Ok(offered)
}

/// The public web's certificate authorities (the same set the SMTP client trusts).
pub fn default_tls() -> Arc<ClientConfig> {
    let roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    Arc::new(
        ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

fn percent_decode(text: &str) -> Option<String> {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .ok()
        .map(|t| t.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_the_mailbox_and_hide_the_password() {
        let u =
            MailboxUrl::parse("imaps://support%40example.it:p%40ss%2Fword@mail.example.it/Support%20Inbox").unwrap();
        assert_eq!(
            (u.security, u.host.as_str(), u.port, u.user.as_str(), u.mailbox.as_str()),
            (
                Security::Tls,
                "mail.example.it",
                993,
                "support@example.it",
                "Support Inbox"
            )
        );
        assert_eq!(u.password, "p@ss/word");
        assert!(!format!("{u:?}").contains("p@ss"));
        let plain = MailboxUrl::parse("imap://desk:x@127.0.0.1:1143").unwrap();
        assert_eq!(
            (plain.security, plain.port, plain.mailbox.as_str()),
            (Security::StartTls, 1143, "INBOX")
        );
        assert!(plain.is_loopback());
        assert!(!MailboxUrl::parse("imap://desk:x@mail.example.it")
            .unwrap()
            .is_loopback());
        assert_eq!(plain.key(), "desk@127.0.0.1:1143/INBOX");
        for bad in [
            "pop3://a:b@h",
            "imap://h/INBOX",
            "imaps://:pw@h",
            "not a url",
            "imap://a%ff:b@h",
        ] {
            assert!(MailboxUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
