//! Where a delivery may go (SPEC §9, SSRF). An endpoint is checked when it is registered and
//! again on every delivery, since a name may resolve elsewhere by then: every address it resolves
//! to must be on the internet (the domain's [`internal`]) or in the operator's `webhook_allow`.
//! At delivery the check sits in the HTTP client's resolver, so the address checked is the
//! address connected to; a URL naming an address skips resolving and is checked here first.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use ipnet::IpNet;
use sportello_domain::webhook::internal;

/// Longest URL accepted.
const MAX_URL_CHARS: usize = 2000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the URL must be http:// or https:// with a host, and no user name or password in it")]
    Url,
    #[error("{host} resolves to {ip}, a {why} address (allow it with webhook_allow)")]
    Internal {
        host: String,
        ip: IpAddr,
        why: &'static str,
    },
    #[error("{host} does not resolve: {why}")]
    Unresolvable { host: String, why: String },
}

/// The addresses deliveries may reach although they are not on the internet.
#[derive(Debug, Clone, Default)]
pub struct Targets {
    allow: Arc<Vec<IpNet>>,
}

impl Targets {
    pub fn new(allow: Vec<IpNet>) -> Targets {
        Targets { allow: Arc::new(allow) }
    }

    /// `ip` as a delivery target, or why not.
    pub fn admit(&self, host: &str, ip: IpAddr) -> Result<(), Refused> {
        match internal(ip) {
            Some(why) if !self.allow.iter().any(|net| net.contains(&ip)) => Err(Refused::Internal {
                host: host.to_owned(),
                ip,
                why: why.as_str(),
            }),
            _ => Ok(()),
        }
    }

    /// The URL, if its form is one a delivery can go to (nothing resolved yet).
    pub fn parse(text: &str) -> Result<url::Url, Refused> {
        if text.chars().count() > MAX_URL_CHARS {
            return Err(Refused::Url);
        }
        let url = url::Url::parse(text.trim()).map_err(|_| Refused::Url)?;
        let fine = matches!(url.scheme(), "http" | "https")
            && url.host_str().is_some_and(|h| !h.is_empty())
            && url.username().is_empty()
            && url.password().is_none();
        if fine {
            Ok(url)
        } else {
            Err(Refused::Url)
        }
    }

    /// At registration: the URL's form, and every address its host resolves to.
    pub async fn check(&self, text: &str) -> Result<url::Url, Refused> {
        let url = Targets::parse(text)?;
        let host = url.host_str().unwrap_or_default().to_owned();
        let port = url.port_or_known_default().unwrap_or(443);
        for addr in resolve(&host, port).await? {
            self.admit(&host, addr.ip())?;
        }
        Ok(url)
    }

    /// At delivery, before connecting: a host that is an address is checked here (the client
    /// does not resolve it); a name is checked by [`Targets::resolver`] as it resolves.
    pub fn check_literal(&self, url: &url::Url) -> Result<(), Refused> {
        let host = url.host_str().unwrap_or_default();
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        match bare.parse::<IpAddr>() {
            Ok(ip) => self.admit(host, ip),
            Err(_) => Ok(()),
        }
    }

    /// The HTTP client's resolver: a name's addresses, each admitted or dropped; a name left with
    /// none fails the delivery.
    pub fn resolver(&self) -> Arc<GuardedResolver> {
        Arc::new(GuardedResolver { targets: self.clone() })
    }
}

async fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, Refused> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let found: Vec<SocketAddr> = tokio::net::lookup_host((bare, port))
        .await
        .map_err(|e| Refused::Unresolvable {
            host: host.to_owned(),
            why: e.to_string(),
        })?
        .collect();
    if found.is_empty() {
        return Err(Refused::Unresolvable {
            host: host.to_owned(),
            why: "no address".into(),
        });
    }
    Ok(found)
}

pub struct GuardedResolver {
    targets: Targets,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let targets = self.targets.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            // The port is the client's to set: it replaces the 0 here.
            let found = resolve(&host, 0).await?;
            let mut refused = None;
            let admitted: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| match targets.admit(&host, a.ip()) {
                    Ok(()) => true,
                    Err(why) => {
                        refused = Some(why);
                        false
                    }
                })
                .collect();
            if admitted.is_empty() {
                let why = refused.unwrap_or(Refused::Unresolvable {
                    host,
                    why: "no address".into(),
                });
                return Err(Box::new(why) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(admitted.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_http_urls_with_a_host() {
        for bad in [
            "ftp://example.com/",
            "file:///etc/passwd",
            "https://user:pw@example.com/",
            "https://user@example.com/",
            "not a url",
            "http://",
            "",
        ] {
            assert_eq!(Targets::parse(bad), Err(Refused::Url), "{bad}");
        }
        assert!(Targets::parse("https://hooks.example.com/sportello?x=1").is_ok());
    }

    #[tokio::test]
    async fn internal_addresses_are_refused_unless_allowed() {
        let strict = Targets::default();
        for url in [
            "http://127.0.0.1:9/",
            "http://[::1]/",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.8/",
            "http://localhost:8080/",
            "http://[::ffff:127.0.0.1]/",
        ] {
            assert!(
                matches!(strict.check(url).await, Err(Refused::Internal { .. })),
                "{url}"
            );
        }
        let allowing = Targets::new(vec!["127.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()]);
        assert!(allowing.check("http://127.0.0.1:9/").await.is_ok());
        assert!(allowing.check("http://[::1]:9/").await.is_ok());
        assert!(allowing.check("http://10.0.0.8/").await.is_err());
        let literal = Targets::parse("http://[::1]:9/").unwrap();
        assert!(strict.check_literal(&literal).is_err());
        assert!(allowing.check_literal(&literal).is_ok());
    }

    #[tokio::test]
    async fn the_resolver_keeps_only_admitted_addresses() {
        use reqwest::dns::Resolve as _;
        let name = || "localhost".parse::<reqwest::dns::Name>().unwrap();
        let refused = Targets::default().resolver().resolve(name()).await;
        assert!(refused.is_err_and(|e| e.to_string().contains("loopback")));
        let allowing = Targets::new(vec!["127.0.0.0/8".parse().unwrap()]).resolver();
        let admitted: Vec<SocketAddr> = allowing.resolve(name()).await.unwrap().collect();
        assert!(!admitted.is_empty());
        assert!(
            admitted.iter().all(|a| a.is_ipv4() && a.ip().is_loopback()),
            "{admitted:?}"
        );
    }
}
