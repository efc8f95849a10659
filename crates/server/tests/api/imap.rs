//! The IMAP poller (SPEC §5) against a real Dovecot from Debian's packages, started per test on a
//! random loopback port with a Maildir of its own: every message is filed once and marked only
//! after it is committed, mail read elsewhere is still filed, a broken or huge message does not stop
//! the others, IDLE brings new mail in at once, and TLS is never skipped.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use sportello::jobs::mailbox::{MailboxPoller, Pass, FILED};
use sportello::mail::imap::{default_tls, ImapError, MailboxUrl};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

use crate::helpers::{backends, complete, read};

const USER: &str = "support@sportello.test";
const PASSWORD: &str = "s3cret pass";

/// A Dovecot of our own: `dovecot -F` with a configuration in a temporary directory.
pub struct Dovecot {
    pub port: u16,
    pub imaps_port: u16,
    dir: tempfile::TempDir,
    child: Child,
}

impl Dovecot {
    /// Plain IMAP (no TLS at all) on loopback, or with TLS (STARTTLS and imaps) when `tls`.
    /// None, with a note, when Dovecot is not installed here and this is not CI.
    pub fn start(tls: bool) -> Option<Dovecot> {
        if !Path::new("/usr/sbin/dovecot").exists() {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true but Dovecot is missing: .ci/run installs dovecot-imapd"
            );
            crate::helpers::say_skipped("the IMAP tests (/usr/sbin/dovecot is missing: apt-get install dovecot-imapd)");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        // Dovecot's processes run as `nobody` for the mail and its own users for the rest.
        Command::new("chmod").arg("755").arg(root).status().unwrap();
        std::fs::create_dir(root.join("home")).unwrap();
        Command::new("chown")
            .args(["nobody:nogroup"])
            .arg(root.join("home"))
            .status()
            .unwrap();
        std::fs::write(root.join("passwd"), format!("{USER}:{{PLAIN}}{PASSWORD}\n")).unwrap();
        let ssl = if tls {
            // A certificate authority of the test's own, and the server's certificate from it.
            let openssl = |args: &[&str]| {
                let done = Command::new("openssl")
                    .args(args)
                    .current_dir(root)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .unwrap();
                assert!(done.success(), "openssl {args:?}");
            };
            openssl(
                &[
                    "req",
                    "-x509",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-days",
                    "2",
                    "-subj",
                    "/CN=Test CA",
                ]
                .iter()
                .copied()
                .chain(["-keyout", "ca-key.pem", "-out", "ca.pem"])
                .collect::<Vec<_>>(),
            );
            openssl(&[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                "/CN=localhost",
                "-keyout",
                "key.pem",
                "-out",
                "req.pem",
            ]);
            std::fs::write(root.join("ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n").unwrap();
            openssl(&[
                "x509",
                "-req",
                "-in",
                "req.pem",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca-key.pem",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                "ext.cnf",
                "-out",
                "cert.pem",
            ]);
            format!(
                "ssl = required\nssl_cert = <{0}/cert.pem\nssl_key = <{0}/key.pem\n",
                root.display()
            )
        } else {
            "ssl = no\n".to_owned()
        };
        // Dovecot cannot be given port 0 (0 turns a listener off) and say which it got: it gets
        // ports that were free a moment ago, and starts over on others if one was taken since.
        for _ in 0..5 {
            let (port, imaps_port) = (free_port(), free_port());
            let config = format!(
                "base_dir = {r}/run\nstate_dir = {r}/state\nlog_path = {r}/dovecot.log\nprotocols = imap\n\
                 listen = 127.0.0.1\n{ssl}disable_plaintext_auth = no\nauth_mechanisms = plain login\n\
                 first_valid_uid = 1\n\
                 passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {r}/passwd\n}}\n\
                 userdb {{\n  driver = static\n  args = uid=nobody gid=nogroup home={r}/home/%u\n}}\n\
                 mail_location = maildir:~/Maildir\ndefault_login_user = dovenull\ndefault_internal_user = dovecot\n\
                 service imap-login {{\n  chroot =\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n\
                 inet_listener imaps {{\n    address = 127.0.0.1\n    port = {imaps}\n  }}\n}}\n\
                 service anvil {{\n  chroot =\n}}\n",
                r = root.display(),
                imaps = if tls { imaps_port } else { 0 },
            );
            std::fs::write(root.join("dovecot.conf"), config).unwrap();
            let mut child = Command::new("/usr/sbin/dovecot")
                .arg("-F")
                .arg("-c")
                .arg(root.join("dovecot.conf"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let started = Instant::now();
            loop {
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Some(Dovecot {
                        port,
                        imaps_port,
                        dir,
                        child,
                    });
                }
                if child.try_wait().unwrap().is_some() {
                    break; // it could not listen: another port
                }
                let log = std::fs::read_to_string(root.join("dovecot.log")).unwrap_or_default();
                assert!(
                    started.elapsed() < Duration::from_secs(15),
                    "Dovecot did not start: {log}"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        panic!("Dovecot could not listen on five pairs of free ports")
    }

    pub fn url(&self) -> MailboxUrl {
        MailboxUrl::parse(&format!(
            "imap://support%40sportello.test:s3cret%20pass@127.0.0.1:{}/INBOX",
            self.port
        ))
        .unwrap()
    }

    /// A client configuration that trusts the test's certificate authority.
    pub fn trusting_tls(&self) -> Arc<ClientConfig> {
        let cert = CertificateDer::from_pem_file(self.dir.path().join("ca.pem")).unwrap();
        let mut roots = RootCertStore::empty();
        roots.add(cert).unwrap();
        Arc::new(
            ClientConfig::builder()
                .with_root_certificates(roots)
                .with_no_client_auth(),
        )
    }

    /// Puts a message in the inbox as a mail server would, with `flags` such as `(\Seen)`.
    pub async fn deliver(&self, raw: &[u8], flags: Option<&str>) {
        let mut session = self.url().login(&default_tls()).await.unwrap();
        session.append("INBOX", flags, None, raw).await.unwrap();
        session.logout().await.unwrap();
    }

    /// The flags of every message, by UID.
    pub async fn flags(&self) -> Vec<(u32, Vec<String>)> {
        let mut session = self.url().login(&default_tls()).await.unwrap();
        session.select("INBOX").await.unwrap();
        let fetched: Vec<_> = session
            .uid_fetch("1:*", "(UID FLAGS)")
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        let mut all: Vec<(u32, Vec<String>)> = fetched
            .iter()
            .map(|f| (f.uid.unwrap(), f.flags().map(|flag| format!("{flag:?}")).collect()))
            .collect();
        all.sort();
        session.logout().await.unwrap();
        all
    }

    /// What another client does: takes our keyword off every message.
    pub async fn unmark_all(&self) {
        let mut session = self.url().login(&default_tls()).await.unwrap();
        session.select("INBOX").await.unwrap();
        let _: Vec<_> = session
            .uid_store("1:*", format!("-FLAGS.SILENT ({FILED})"))
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        session.logout().await.unwrap();
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        // SIGTERM: the master stops its children too.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn mail(from: &str, subject: &str, extra_headers: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {USER}\r\nSubject: {subject}\r\nMessage-ID: <{:x}@mail.test>\r\n{extra_headers}\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
        rand::random::<u64>()
    )
    .into_bytes()
}

#[tokio::test]
async fn every_message_is_filed_once_and_marked_only_after_its_commit() {
    for app in backends().await {
        let Some(dovecot) = Dovecot::start(false) else { return };
        let (_, created) = read(app.post_json(&complete(300)).await).await;
        let case = created["case_number"].as_str().unwrap().to_owned();
        let our_id = app.our_message_id(&case, "confirmation");
        // Read in another client already: still filed.
        dovecot
            .deliver(
                &mail(
                    "cliente300@gmail.com",
                    "Re: la tua richiesta",
                    &format!("In-Reply-To: <{our_id}>\r\n"),
                    "Il pagamento era di 12 euro.",
                ),
                Some("(\\Seen)"),
            )
            .await;
        dovecot
            .deliver(
                &mail(
                    "nuovo.cliente@libero.it",
                    "Non riesco ad accedere",
                    "",
                    "Da stamattina l'app dice che il mio numero è bannato.",
                ),
                None,
            )
            .await;
        // Broken: no sender at all. Huge: over 25 MiB. Automatic: ignored.
        dovecot.deliver(b"Subject: ?\r\n\r\nnobody sent this\r\n", None).await;
        let huge = mail("big@example.org", "video", "", &"x".repeat(26 * 1024 * 1024));
        dovecot.deliver(&huge, None).await;
        dovecot
            .deliver(
                &mail(
                    "away@example.org",
                    "Out of office",
                    "Auto-Submitted: auto-replied\r\n",
                    "Back Monday.",
                ),
                None,
            )
            .await;

        let tickets = app.tickets().await;
        let mut poller = MailboxPoller::new(app.app.clone(), dovecot.url(), default_tls());
        let mut session = poller.connect().await.unwrap();
        let first = poller.pass(&mut session).await.unwrap();
        // The reply, the new case and the ignored auto-reply; the broken and the huge kept aside.
        assert_eq!(
            first,
            Pass {
                filed: 3,
                kept_aside: 2,
                ..Pass::default()
            },
            "{}",
            app.backend
        );
        let (_, shown) = read(app.get(created["status_url"].as_str().unwrap()).await).await;
        assert_eq!(
            shown["messages"][0]["body"], "Il pagamento era di 12 euro.",
            "{}",
            app.backend
        );
        assert_eq!(app.tickets().await, tickets + 1, "the stranger's case, once");
        let aside = app.app.store.mail_aside(10).await.unwrap();
        assert!(aside.iter().any(|r| r.starts_with("larger than 25 MiB")), "{aside:?}");
        assert!(aside.iter().any(|r| r.contains("no sender")), "{aside:?}");
        let flags = dovecot.flags().await;
        assert!(
            flags.iter().all(|(_, f)| f.iter().any(|x| x.contains(FILED))),
            "every message marked: {flags:?}"
        );

        // Nothing new: nothing done.
        assert_eq!(poller.pass(&mut session).await.unwrap(), Pass::default());

        // The marks and the progress lost (another client, a restored database): no case twice.
        dovecot.unmark_all().await;
        app.app
            .store
            .save_mailbox_progress(&dovecot.url().key(), 0, 0, chrono::Utc::now())
            .await
            .unwrap();
        let again = poller.pass(&mut session).await.unwrap();
        // Only the auto-reply leaves no trace, so it is "filed" (ignored) again.
        assert_eq!(
            again,
            Pass {
                filed: 1,
                duplicates: 4,
                ..Pass::default()
            },
            "{}",
            app.backend
        );
        assert_eq!(app.tickets().await, tickets + 1, "{}: {again:?}", app.backend);
        assert_eq!(app.app.store.mail_aside(10).await.unwrap().len(), aside.len());
        let (_, shown) = read(app.get(created["status_url"].as_str().unwrap()).await).await;
        assert_eq!(shown["messages"].as_array().unwrap().len(), 1);
    }
}

/// A fetch the server answers without the message (here: another client expunged it between the
/// search and the fetch) files nothing — no empty message, nothing kept aside — and the progress
/// stays below it, so a message the server does have is asked for again; the others go on.
#[tokio::test]
async fn a_fetch_without_the_message_files_nothing_and_is_asked_for_again() {
    for app in backends().await {
        let Some(dovecot) = Dovecot::start(false) else { return };
        for subject in ["Primo", "Secondo"] {
            let body = format!("{subject} messaggio: l'app si chiude quando apro le impostazioni.");
            dovecot
                .deliver(
                    &mail(&format!("{}@example.org", subject.to_lowercase()), subject, "", &body),
                    None,
                )
                .await;
        }
        let uids: Vec<u32> = dovecot.flags().await.into_iter().map(|(uid, _)| uid).collect();
        assert_eq!(uids.len(), 2);
        // Another client deletes the first one.
        let mut other = dovecot.url().login(&default_tls()).await.unwrap();
        other.select("INBOX").await.unwrap();
        let _: Vec<_> = other
            .uid_store(uids[0].to_string(), "+FLAGS.SILENT (\\Deleted)")
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        let _: Vec<_> = other.expunge().await.unwrap().try_collect().await.unwrap();
        other.logout().await.unwrap();

        let tickets = app.tickets().await;
        let mut poller = MailboxPoller::new(app.app.clone(), dovecot.url(), default_tls());
        let mut session = poller.connect().await.unwrap();
        // The UIDs as a search made just before the expunge had them.
        let pass = poller.file_uids(&mut session, &uids).await.unwrap();
        assert_eq!(
            pass,
            Pass {
                filed: 1,
                unfetched: 1,
                ..Pass::default()
            },
            "{}",
            app.backend
        );
        assert_eq!(
            app.tickets().await,
            tickets + 1,
            "{}: only the message that exists",
            app.backend
        );
        assert!(
            app.app.store.mail_aside(10).await.unwrap().is_empty(),
            "no empty message kept aside"
        );
        let progress = app.app.store.mailbox_progress(&dovecot.url().key()).await.unwrap();
        assert_eq!(
            progress.map(|(_, last)| last),
            Some(i64::from(uids[0]) - 1),
            "held below it"
        );
        // The next pass finds it gone for good and moves on; the filed one is not filed again.
        assert_eq!(
            poller.pass(&mut session).await.unwrap(),
            Pass::default(),
            "{}",
            app.backend
        );
        assert_eq!(app.tickets().await, tickets + 1);
    }
}

#[tokio::test]
async fn idle_brings_new_mail_in_within_seconds() {
    for app in backends().await {
        let Some(dovecot) = Dovecot::start(false) else { return };
        let tickets = app.tickets().await;
        let poller = MailboxPoller::new(app.app.clone(), dovecot.url(), default_tls());
        let running = tokio::spawn(poller.run());
        // Its first pass is over once it has recorded the mailbox: then it waits in IDLE.
        let started = Instant::now();
        while app
            .app
            .store
            .mailbox_progress(&dovecot.url().key())
            .await
            .unwrap()
            .is_none()
        {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "the poller never read the mailbox"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let sent = Instant::now();
        dovecot
            .deliver(
                &mail(
                    "idle@example.org",
                    "Help with backup",
                    "",
                    "The backup stops at 40% every night since Monday.",
                ),
                None,
            )
            .await;
        while app.tickets().await == tickets {
            assert!(
                sent.elapsed() < Duration::from_secs(10),
                "{}: not filed within 10 s",
                app.backend
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        eprintln!("{}: filed {:?} after delivery", app.backend, sent.elapsed());
        running.abort();
    }
}

#[tokio::test]
async fn tls_is_used_when_offered_and_never_skipped() {
    let Some(dovecot) = Dovecot::start(true) else { return };
    let apps = backends().await;
    let app = &apps[0];
    let trusted = dovecot.trusting_tls();
    // STARTTLS on the plain port, and TLS from the start on the imaps port.
    let starttls = dovecot.url();
    let imaps = MailboxUrl::parse(&format!(
        "imaps://support%40sportello.test:s3cret%20pass@localhost:{}/INBOX",
        dovecot.imaps_port
    ))
    .unwrap();
    for url in [starttls.clone(), imaps.clone()] {
        let poller = MailboxPoller::new(app.app.clone(), url.clone(), Arc::clone(&trusted));
        let mut session = poller.connect().await.unwrap_or_else(|e| panic!("{url:?}: {e}"));
        session.select("INBOX").await.unwrap();
        session.logout().await.unwrap();
    }
    // A certificate nobody vouches for stops the connection before the password is sent.
    for url in [starttls, imaps] {
        match url.login(&default_tls()).await {
            Err(ImapError::Tls(..)) => {}
            Err(other) => panic!("{url:?}: expected a TLS error, got {other}"),
            Ok(_) => panic!("{url:?}: logged in over an untrusted certificate"),
        }
    }
}
