//! SPEC §5 against a real SMTP server process (aiosmtpd, from PyPI) on a random loopback port:
//! confirmations arrive with what the customer needs; an SMTP server that dies loses nothing and
//! sends nothing twice once it is back.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use serde_json::json;
use sportello::jobs::delivery::{Delivery, Pass};
use sportello::mail::Composer;

use crate::helpers::{backends, backends_with, complete, read, Options, TestApp};

/// A real SMTP server writing every message it accepts into a Maildir.
pub struct SmtpSink {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl SmtpSink {
    /// None, with a note, when aiosmtpd is not installed here and this is not CI.
    pub fn start() -> Option<SmtpSink> {
        let installed = Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !installed {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true but aiosmtpd is missing: .ci/run installs it (pip install aiosmtpd)"
            );
            crate::helpers::say_skipped("the SMTP tests (python3 -m aiosmtpd is missing: pip install aiosmtpd)");
            return None;
        }
        let mut sink = SmtpSink {
            port: 0,
            dir: tempfile::tempdir().unwrap(),
            child: None,
        };
        sink.restart();
        Some(sink)
    }

    /// (Re)starts the server on its port (any free one the first time) and its Maildir. The
    /// server binds the port itself, listens, and only then says which it is: nothing else can
    /// take it in between.
    pub fn restart(&mut self) {
        let mut child = Command::new("python3")
            .args(["-c", AIOSMTPD, &self.port.to_string()])
            .arg(self.dir.path().join("maildir"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 with aiosmtpd (pip install aiosmtpd): the mail tests need a real SMTP server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        self.port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("aiosmtpd did not start: {line:?}"));
        self.child = Some(child);
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, raw, in the order they arrived (a directory lists its
    /// files in no order, and tests slice off what came after a point).
    pub fn messages(&self) -> Vec<Vec<u8>> {
        let new: PathBuf = self.dir.path().join("maildir/new");
        let Ok(entries) = std::fs::read_dir(new) else {
            return Vec::new();
        };
        let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
            .map(|e| {
                let path = e.unwrap().path();
                (std::fs::metadata(&path).unwrap().modified().unwrap(), path)
            })
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|(_, path)| std::fs::read(path).unwrap())
            .collect()
    }

    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Vec<u8>> {
        let started = Instant::now();
        loop {
            let got = self.messages();
            if got.len() >= n || started.elapsed() > within {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The distinct Message-IDs among `messages`.
fn message_ids(messages: &[Vec<u8>]) -> std::collections::HashSet<String> {
    messages
        .iter()
        .map(|m| {
            mail_parser::MessageParser::default()
                .parse(m)
                .unwrap()
                .message_id()
                .unwrap()
                .to_owned()
        })
        .collect()
}

/// aiosmtpd's Maildir handler on a socket bound before the port is told (argv: port, 0 for any;
/// the Maildir). Written for the test: aiosmtpd's command line cannot say which port 0 picked.
const AIOSMTPD: &str = "\
import asyncio, socket, sys
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import SMTP
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(('127.0.0.1', int(sys.argv[1])))
sock.listen(128)
handler = Mailbox(sys.argv[2])
loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
loop.run_until_complete(loop.create_server(lambda: SMTP(handler), sock=sock))
print(sock.getsockname()[1], flush=True)
loop.run_forever()
";

fn delivery(app: &TestApp, smtp_url: &str) -> Delivery {
    Delivery {
        store: app.app.store.clone(),
        catalog: Arc::clone(&app.app.catalog),
        composer: Composer::new("support@sportello.test").unwrap(),
        transport: AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .unwrap()
            .build(),
        give_up_after: Duration::from_secs(2 * 86_400),
        clock: app.app.clock.clone(),
    }
}

#[tokio::test]
async fn the_confirmation_arrives_within_seconds_with_what_the_customer_needs() {
    let Some(sink) = SmtpSink::start() else { return };
    for app in backends_with(Options {
        smtp_url: Some(sink.url()),
        ..Options::default()
    })
    .await
    {
        let before = sink.messages().len();
        let mut request = complete(70);
        request["language"] = json!("it");
        request.as_object_mut().unwrap().remove("amount");
        let submitted = Instant::now();
        let (status, body) = read(app.post_json(&request).await).await;
        assert_eq!(status, 201, "{body}");
        let all = sink.wait_for(before + 1, Duration::from_secs(10)).await;
        assert_eq!(all.len(), before + 1, "{}: no confirmation within 10 s", app.backend);
        eprintln!("{}: confirmation after {:?}", app.backend, submitted.elapsed());
        let case = body["case_number"].as_str().unwrap();
        let status_url = format!("http://sportello.test{}", body["status_url"].as_str().unwrap());
        // Both backends number their first case alike: find this one by its status link.
        let parsed: Vec<_> = all
            .iter()
            .map(|m| mail_parser::MessageParser::default().parse(m).unwrap())
            .collect();
        let mail = parsed
            .iter()
            .find(|m| m.body_text(0).unwrap().contains(&status_url))
            .unwrap();
        assert_eq!(
            mail.subject().unwrap(),
            format!("[{case}] Abbiamo ricevuto la tua richiesta")
        );
        assert_eq!(mail.message_id().unwrap(), app.our_message_id(case, "confirmation"));
        // Its bounces come back to an address that names it (SPEC §5).
        // (aiosmtpd's Mailbox writes the envelope sender as X-MailFrom.)
        assert_eq!(
            mail.header_raw("X-MailFrom").map(str::trim),
            Some(format!("bounce+{}", app.our_message_id(case, "confirmation")).as_str())
        );
        assert_eq!(
            mail.to().unwrap().first().unwrap().address().unwrap(),
            "cliente70@gmail.com"
        );
        let text = mail.body_text(0).unwrap();
        let html = mail.body_html(0).unwrap();
        // Once sent, the token is gone from the database: only its hash stays.
        let token = body["status_url"]
            .as_str()
            .unwrap()
            .split("?t=")
            .nth(1)
            .unwrap()
            .to_owned();
        // The worker strips it in the write that marks the mail sent, a moment after the SMTP
        // server has it: wait for that write rather than race it.
        let stripped = Instant::now();
        while app
            .app
            .store
            .outbox_payloads()
            .await
            .unwrap()
            .iter()
            .any(|p| p.contains(&token))
        {
            assert!(
                stripped.elapsed() < Duration::from_secs(10),
                "{}: the token stayed",
                app.backend
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        for part in [&text, &html] {
            assert!(part.contains(&status_url), "{part}");
            assert!(part.contains("non chiede mai il codice di verifica"), "{part}");
            assert!(part.contains("Importo"), "what is missing, by its label: {part}");
        }
    }
}

#[tokio::test]
async fn an_smtp_server_that_dies_loses_nothing_and_sends_nothing_twice() {
    for app in backends().await {
        let Some(mut sink) = SmtpSink::start() else { return };
        let delivery = delivery(&app, &sink.url());
        for n in 0..3 {
            assert_eq!(app.post_json(&complete(80 + n)).await.status(), 201);
        }
        assert_eq!(
            delivery.deliver_due(Utc::now()).await.unwrap(),
            Pass {
                sent: 3,
                ..Pass::default()
            }
        );

        sink.stop();
        for n in 3..6 {
            assert_eq!(app.post_json(&complete(80 + n)).await.status(), 201);
        }
        let down = delivery.deliver_due(Utc::now()).await.unwrap();
        assert_eq!(
            down,
            Pass {
                retrying: 3,
                ..Pass::default()
            },
            "{}",
            app.backend
        );
        // Not before the back-off.
        assert_eq!(delivery.deliver_due(Utc::now()).await.unwrap(), Pass::default());

        sink.restart();
        let later = Utc::now() + chrono::Duration::seconds(6);
        assert_eq!(
            delivery.deliver_due(later).await.unwrap(),
            Pass {
                sent: 3,
                ..Pass::default()
            }
        );
        assert_eq!(
            delivery.deliver_due(later + chrono::Duration::hours(1)).await.unwrap(),
            Pass::default()
        );

        let received = sink.wait_for(6, Duration::from_secs(5)).await;
        let ids = message_ids(&received);
        assert_eq!((received.len(), ids.len()), (6, 6), "{}: every mail once", app.backend);
    }
}

#[tokio::test]
async fn undeliverable_mail_is_given_up_visibly_after_the_give_up_time() {
    for app in backends().await {
        // A port that was ours a moment ago and that nothing listens on now: connections refused.
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dead = format!("smtp://127.0.0.1:{closed}");
        let delivery = delivery(&app, &dead);
        let (_, body) = read(app.post_json(&complete(90)).await).await;
        let case = body["case_number"].as_str().unwrap().to_lowercase();
        assert_eq!(delivery.deliver_due(Utc::now()).await.unwrap().retrying, 1);
        let after = Utc::now() + chrono::Duration::days(3);
        assert_eq!(
            delivery.deliver_due(after).await.unwrap().given_up,
            1,
            "{}",
            app.backend
        );
        let undelivered = app.app.store.undelivered(10).await.unwrap();
        assert_eq!(undelivered.len(), 1);
        assert!(undelivered[0].0.contains(&case));
        assert!(
            undelivered[0].1.as_deref().is_some_and(|e| !e.is_empty()),
            "the last error is kept"
        );
        assert_eq!(
            delivery.deliver_due(after + chrono::Duration::days(1)).await.unwrap(),
            Pass::default()
        );
    }
}

#[tokio::test]
async fn two_workers_share_the_outbox_and_send_each_mail_once() {
    for app in backends().await {
        let Some(sink) = SmtpSink::start() else { return };
        for n in 0..60 {
            assert_eq!(app.post_json(&complete(400 + n)).await.status(), 201);
        }
        // Two instances' workers, racing over the same outbox.
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let delivery = delivery(&app, &sink.url());
                tokio::spawn(async move {
                    let mut sent = 0;
                    loop {
                        let pass = delivery.deliver_due(Utc::now()).await.unwrap();
                        if pass == Pass::default() {
                            return sent;
                        }
                        sent += pass.sent;
                    }
                })
            })
            .collect();
        let mut per_worker = Vec::new();
        for w in workers {
            per_worker.push(w.await.unwrap());
        }
        assert_eq!(per_worker.iter().sum::<usize>(), 60, "{}: {per_worker:?}", app.backend);
        let received = sink.wait_for(60, Duration::from_secs(10)).await;
        let ids = message_ids(&received);
        assert_eq!(
            (received.len(), ids.len()),
            (60, 60),
            "{}: every mail once",
            app.backend
        );
    }
}
