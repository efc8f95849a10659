#![allow(clippy::unwrap_used, clippy::expect_used)]
//! SPEC §1 from outside: the `sportello` binary as an operator runs it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

fn sportello() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sportello"));
    c.env_remove("SPORTELLO_CATALOG").env("NO_COLOR", "1");
    c
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = sportello().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn sla_prints_the_spec_example() {
    let (code, out, _) = run(&["sla", "--category", "messages", "--created", "2026-11-27T20:00:00Z"]);
    assert_eq!(code, 0);
    assert_eq!(
        out.trim(),
        r#"{"first_response_due":"2026-11-30T20:00:00Z","resolution_due":"2026-12-01T20:00:00Z"}"#
    );
}

#[test]
fn sla_knows_priorities_subcategories_and_strikes() {
    let (_, out, _) = run(&[
        "sla",
        "--category",
        "payments",
        "--priority",
        "urgent",
        "--created",
        "2026-11-28T10:00:00+01:00",
    ]);
    assert_eq!(
        out.trim(),
        r#"{"first_response_due":"2026-11-28T15:00:00Z","resolution_due":"2026-11-28T21:00:00Z"}"#
    );
    let (_, out, _) = run(&[
        "sla",
        "--category",
        "account",
        "--subcategory",
        "banned",
        "--created",
        "2026-11-23T08:00:00Z",
    ]);
    assert!(out.contains(r#""first_response_due":"2026-11-24T08:00:00Z""#), "{out}");
    let (_, out, _) = run(&[
        "sla",
        "--category",
        "security",
        "--strike",
        "--created",
        "2026-11-28T10:00:00Z",
    ]);
    assert!(out.contains(r#""first_response_due":"2026-11-28T17:12:00Z""#), "{out}");
}

#[test]
fn sla_refuses_bad_input_with_one_line() {
    for args in [
        vec!["sla", "--category", "billing", "--created", "2026-11-27T20:00:00Z"],
        vec![
            "sla",
            "--category",
            "account",
            "--subcategory",
            "refund",
            "--created",
            "2026-11-27T20:00:00Z",
        ],
        vec![
            "sla",
            "--category",
            "account",
            "--priority",
            "asap",
            "--created",
            "2026-11-27T20:00:00Z",
        ],
        vec!["sla", "--category", "account", "--created", "yesterday"],
    ] {
        let (code, out, err) = run(&args);
        assert_ne!(code, 0, "{args:?}");
        assert!(out.is_empty());
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
}

#[test]
fn catalog_check_reports_positions_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let good = concat!(env!("CARGO_MANIFEST_DIR"), "/../domain/catalog/default.toml");
    let (code, out, _) = run(&["catalog", "check", good]);
    assert_eq!((code, out.contains("ok, 6 categories")), (0, true), "{out}");
    let bad = dir.path().join("bad.toml");
    let text = std::fs::read_to_string(good)
        .unwrap()
        .replace("clock = \"always\"", "clock = \"sometimes\"");
    std::fs::write(&bad, text).unwrap();
    let (code, out, _) = run(&["catalog", "check", bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    // Both uses of the calendar are reported: `urgent_clock` (line 23) and the security category's.
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].ends_with(":23:16: no calendar named `sometimes`"), "{out}");
    assert!(lines[1].contains("no calendar named `sometimes`"), "{out}");
    let (code, _, err) = run(&["catalog", "check", "/nonexistent.toml"]);
    assert_ne!(code, 0);
    assert_eq!(err.trim().lines().count(), 1);
}

#[test]
fn bad_configuration_is_one_clear_line_and_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    for (flag, value, names) in [
        ("--addr", "nowhere", "addr"),
        ("--database-url", "mysql://x", "database_url"),
        ("--intake-rate-limit", "many", "intake_rate_limit"),
    ] {
        let out = sportello()
            .current_dir(dir.path())
            .args(["serve", flag, value])
            .output()
            .unwrap();
        assert_ne!(out.status.code(), Some(0));
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(names), "{err}");
    }
    std::fs::write(dir.path().join("sportello.toml"), "port = 80\n").unwrap();
    let out = sportello().current_dir(dir.path()).args(["migrate"]).output().unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8(out.stderr).unwrap().contains("port"));
}

#[test]
fn serve_on_an_empty_directory_just_works_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = sportello()
        .current_dir(dir.path())
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("SPORTELLO_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Logs go to stderr; it is drained to the end, so the server never writes into a closed pipe.
    let logs = BufReader::new(child.stderr.take().unwrap());
    let (found, addr_line) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in logs.lines().map_while(Result::ok) {
            if let Some(at) = line.find("addr=") {
                let _ = found.send(line[at + 5..].split_whitespace().next().unwrap_or("").to_owned());
            }
        }
    });
    let addr = addr_line.recv_timeout(Duration::from_secs(30)).ok();
    let addr = addr.expect("the server says where it listens");
    let health = Command::new("curl")
        .args(["-fs", &format!("http://{addr}/readyz")])
        .output();
    if let Ok(out) = health {
        assert_eq!(String::from_utf8_lossy(&out.stdout), "ready");
    }
    assert!(dir.path().join("sportello.db").exists());
    assert!(dir.path().join("data/blobs").is_dir());
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

/// `sportello serve` in `dir` under a file limit of `nofile` (through the shell's `ulimit`), and
/// the address it says it listens on.
fn serve_limited(dir: &std::path::Path, nofile: u32, extra: &[&str]) -> (std::process::Child, String) {
    let mut command = Command::new("sh");
    command
        .args(["-c", &format!("ulimit -n {nofile} && exec \"$0\" \"$@\"")])
        .arg(env!("CARGO_BIN_EXE_sportello"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .args(extra)
        .current_dir(dir)
        .env_remove("SPORTELLO_CATALOG")
        .env("SPORTELLO_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let logs = BufReader::new(child.stderr.take().unwrap());
    let (found, addr_line) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in logs.lines().map_while(Result::ok) {
            if let Some(at) = line.find("addr=") {
                let _ = found.send(line[at + 5..].split_whitespace().next().unwrap_or("").to_owned());
            }
        }
    });
    let addr = addr_line
        .recv_timeout(Duration::from_secs(30))
        .expect("the server says where it listens");
    (child, addr)
}

/// One `GET /healthz` on a new connection: its status line, or why there is none.
fn healthz(addr: &str) -> Result<String, String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .map_err(|e| e.to_string())?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).map_err(|e| e.to_string())?;
    answer
        .lines()
        .next()
        .map(str::to_owned)
        .ok_or_else(|| "no answer".to_owned())
}

/// Connections that send nothing cannot deny service: under a file limit of 256 (1,024 is common
/// in production), 400 of them open at once leave `/healthz` answering every time — the server
/// keeps its connections under the limit by closing the idlest — and one that sends half its
/// headers is closed after the header timeout. (`axum::serve` let such sockets take every file
/// descriptor: `/healthz` and every customer were refused.)
#[test]
fn idle_connections_do_not_keep_anyone_else_out() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let (mut child, addr) = serve_limited(dir.path(), 256, &["--header-timeout", "2s"]);
    let idle: Vec<_> = (0..400).map(|_| std::net::TcpStream::connect(&addr).unwrap()).collect();
    for round in 0..5 {
        assert_eq!(healthz(&addr).as_deref(), Ok("HTTP/1.1 200 OK"), "round {round}");
    }
    // Half a request's headers, then silence: closed once the header timeout has passed.
    let mut slow = std::net::TcpStream::connect(&addr).unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let started = std::time::Instant::now();
    let mut rest = Vec::new();
    let read = slow.read_to_end(&mut rest);
    assert!(read.is_ok(), "closed, not left hanging: {read:?}");
    assert!(started.elapsed() < Duration::from_secs(8), "{:?}", started.elapsed());
    drop(idle);
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
}

/// A body that declares more than any request may carry is refused at once, before its bytes.
#[test]
fn a_declared_oversize_body_is_refused_before_it_is_sent() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let (mut child, addr) = serve_limited(dir.path(), 1024, &[]);
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    stream
        .write_all(
            b"POST /api/v1/requests HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Content-Length: 104857600\r\n\r\n{",
        )
        .unwrap();
    let mut answer = [0u8; 64];
    let n = stream.read(&mut answer).unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["catalog", "check", "--help"],
        vec!["sla", "--help"],
    ] {
        let (code, out, _) = run(&args);
        assert_eq!(code, 0, "{args:?}");
        assert!(out.contains("Usage"), "{out}");
    }
}

#[test]
fn mail_ingest_reads_standard_input_and_exits_zero_when_it_filed_the_message() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/testdata/email");
    for (name, expected) in [
        ("autoreply-rfc3834-exim.eml", "ignored: "),
        // A real bounce, but of a mail that is not ours: it marks nobody (SPEC §5).
        ("dsn-sendmail.eml", "kept aside: a bounce that names none of our mails"),
        ("thread-a-original.eml", "opened WA"),
        ("malformed-truncated-no-boundary.eml", "kept aside: "),
    ] {
        let mut child = sportello()
            .current_dir(dir.path())
            .args(["mail", "ingest"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(&std::fs::read(format!("{corpus}/{name}")).unwrap())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{name}");
        let line = String::from_utf8(out.stdout).unwrap();
        assert!(line.starts_with(expected), "{name}: {line}");
    }
    // Every message, refused or not, is kept as a blob.
    assert!(std::fs::read_dir(dir.path().join("data/blobs")).unwrap().count() >= 4);
}

/// `sportello agent …` and `team add` on a fresh directory's database (SPEC §1, §6).
#[test]
fn agents_and_teams_are_managed_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("desk.db").display());
    let data = dir.path().join("data");
    let cli = |args: &[&str], stdin: Option<&str>| {
        let mut c = sportello();
        c.args(args)
            .env("SPORTELLO_DATABASE_URL", &db)
            .env("SPORTELLO_DATA_DIR", &data)
            .env("SPORTELLO_LOG", "error")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        if let Some(text) = stdin {
            use std::io::Write as _;
            child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
        }
        let out = child.wait_with_output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (code, out, err) = cli(
        &[
            "team",
            "add",
            "--name",
            "safety",
            "--owns",
            "security/support_scam",
            "--restricted",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "team added");
    let (code, _, err) = cli(&["team", "add", "--name", "x", "--owns", "security/nothing"], None);
    assert_ne!(code, 0);
    assert!(err.contains("nothing"), "{err}");
    // Without a password: a set-password link, valid for 7 days.
    let (code, out, err) = cli(
        &[
            "agent",
            "add",
            "--email",
            "anna@desk.test",
            "--name",
            "Anna",
            "--role",
            "admin",
            "--team",
            "safety",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("/desk/password/") && out.contains("7 days"), "{out}");
    let (code, out, _) = cli(
        &[
            "agent",
            "add",
            "--email",
            "bo@desk.test",
            "--name",
            "Bo",
            "--password-stdin",
        ],
        Some("correct horse battery\n"),
    );
    assert_eq!((code, out.trim()), (0, "agent added"));
    let (code, _, err) = cli(&["agent", "add", "--email", "bo@desk.test", "--name", "Bo again"], None);
    assert_ne!(code, 0);
    assert!(err.contains("exists already"), "{err}");
    let (code, _, err) = cli(
        &[
            "agent",
            "add",
            "--email",
            "cy@desk.test",
            "--name",
            "Cy",
            "--password-stdin",
        ],
        Some("short\n"),
    );
    assert_ne!(code, 0);
    assert!(err.contains("12 characters"), "{err}");
    let (code, _, err) = cli(
        &[
            "agent",
            "add",
            "--email",
            "dee@desk.test",
            "--name",
            "Dee",
            "--role",
            "boss",
        ],
        None,
    );
    assert_ne!(code, 0);
    assert!(err.contains("--role"), "{err}");
    // A token, printed once; a disabled agent's stop working.
    let (code, token, _) = cli(&["agent", "token", "--email", "bo@desk.test", "--scope", "write"], None);
    assert_eq!(code, 0);
    assert!(token.trim().starts_with("sp_") && token.trim().len() > 40, "{token}");
    let (code, out, _) = cli(&["agent", "disable", "--email", "bo@desk.test"], None);
    assert_eq!(code, 0);
    assert!(out.contains("disabled"), "{out}");
    let (code, _, err) = cli(&["agent", "disable", "--email", "nobody@desk.test"], None);
    assert_ne!(code, 0);
    assert!(err.contains("no such agent"), "{err}");
    // Only hashes are stored: the token appears nowhere in the database's files.
    let needle = token.trim().as_bytes();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_string_lossy().starts_with("desk.db") {
            let bytes = std::fs::read(&path).unwrap();
            assert!(!bytes.windows(needle.len()).any(|w| w == needle), "{}", path.display());
        }
    }
}

#[test]
fn sla_with_an_organisation_applies_its_verified_or_unverified_targets() {
    use sportello::store::Organisation;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("sportello.db").display());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = sportello::startup::open_store(&url).await.unwrap();
        let mut tx = store.begin_write().await.unwrap();
        for (name, verified) in [("Acme", true), ("Beta", false)] {
            let o = Organisation {
                name: name.to_owned(),
                verified,
                domains: vec![format!("{}.it", name.to_lowercase())],
                phones: Vec::new(),
                monthly_quota: 3,
                time_zone: chrono_tz::Tz::UTC,
            };
            tx.add_organisation(&o, chrono::Utc::now()).await.unwrap();
        }
        tx.commit().await.unwrap();
    });
    let sla = |organisation: Option<&str>| {
        let mut args = vec![
            "sla",
            "--category",
            "payments",
            "--priority",
            "urgent",
            "--created",
            "2026-12-01T10:00:00Z",
            "--database-url",
            &url,
        ];
        if let Some(o) = organisation {
            args.extend(["--organisation", o]);
        }
        run(&args)
    };
    // Urgent is 6 h on the always clock; the seed: 4 h for a verified business, 40 % more before.
    let (code, out, err) = sla(None);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(r#""first_response_due":"2026-12-01T16:00:00Z""#), "{out}");
    let (_, out, _) = sla(Some("acme"));
    assert!(
        out.contains(r#""first_response_due":"2026-12-01T14:01:12Z""#),
        "6 h × 0.67: {out}"
    );
    let (_, out, _) = sla(Some("Beta"));
    assert!(
        out.contains(r#""first_response_due":"2026-12-01T18:24:00Z""#),
        "6 h × 1.4: {out}"
    );
    let (code, _, err) = sla(Some("Gamma"));
    assert_ne!(code, 0);
    assert!(
        err.contains("--organisation: no organisation is called `Gamma` (there are: Acme, Beta)"),
        "{err}"
    );
}

/// `log_format = json`: one JSON object per line on stderr, and an event inside a request carries
/// that request's id (the one the client sent in `X-Request-Id`, echoed back to it).
#[test]
fn json_logs_are_one_object_per_line_with_the_request_id() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = sportello()
        .current_dir(dir.path())
        .args(["serve", "--addr", "127.0.0.1:0", "--log-format", "json"])
        .env("SPORTELLO_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let logs = BufReader::new(child.stderr.take().unwrap());
    let (lines, received) = std::sync::mpsc::channel::<serde_json::Value>();
    std::thread::spawn(move || {
        for line in logs.lines().map_while(Result::ok) {
            let value: serde_json::Value =
                serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            let _ = lines.send(value);
        }
    });
    let next = || received.recv_timeout(Duration::from_secs(30)).expect("a log line");
    let addr = loop {
        let line = next();
        if line["fields"]["message"] == "listening" {
            break line["fields"]["addr"].as_str().unwrap().to_owned();
        }
    };
    let request = serde_json::json!({
        "category": "payments", "subcategory": "refund", "email": "mario.rossi@gmail.com",
        "phone": "+39 345 1234567", "device": "iPhone 14, iOS 17.1", "transaction_id": "WA123456789",
        "amount": "12,00 EUR",
        "description": "Ho pagato 12 euro ieri sera ma il pagamento risulta fallito e non vedo il rimborso.",
    });
    let out = Command::new("curl")
        .args([
            "-s",
            "-D",
            "-",
            "-o",
            "/dev/null",
            "-H",
            "content-type: application/json",
        ])
        .args(["-H", "x-request-id: req-json-42", "--data-binary", &request.to_string()])
        .arg(format!("http://{addr}/api/v1/requests"))
        .output()
        .expect("curl runs");
    let headers = String::from_utf8_lossy(&out.stdout).to_lowercase();
    assert!(
        headers.contains(" 201 ") && headers.contains("x-request-id: req-json-42"),
        "{headers}"
    );
    let created = loop {
        let line = next();
        if line["fields"]["message"] == "case created" {
            break line;
        }
    };
    let http = created["spans"]
        .as_array()
        .and_then(|spans| spans.iter().find(|s| s["name"] == "http"))
        .unwrap_or_else(|| panic!("no request span: {created}"));
    assert_eq!(http["request_id"], "req-json-42", "{created}");
    assert_eq!(http["route"], "/api/v1/requests", "{created}");
    assert_eq!(created["level"], "INFO");
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
}

/// A help article of the operator's that does not read stops `serve` with one line naming it.
#[test]
fn serve_refuses_a_help_article_that_does_not_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("help/it")).unwrap();
    std::fs::write(
        dir.path().join("help/it/rimborsi.md"),
        "+++\ntitle = \"Rimborsi\"\ncategory = \"fatture\"\n+++\nEntro 14 giorni.\n",
    )
    .unwrap();
    let out = sportello()
        .args(["serve", "--addr", "127.0.0.1:0", "--help-dir"])
        .arg(dir.path().join("help"))
        .env(
            "SPORTELLO_DATABASE_URL",
            format!("sqlite://{}", dir.path().join("s.db").display()),
        )
        .env("SPORTELLO_DATA_DIR", dir.path().join("data"))
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("help_dir: help article it/rimborsi.md: the catalog has no category \"fatture\""),
        "{stderr}"
    );
}
