#!/usr/bin/env python3
"""Time from HTTP 201 to the confirmation's arrival at a real SMTP server (aiosmtpd), over N requests.

    python3 bench/mail_latency.py [N] [CONCURRENCY] [RATE]

RATE paces the requests (requests per second; the seed's service peaks near 50/s); 0, the default,
sends them as fast as CONCURRENCY clients can, which measures a burst: the queue in front of the
SMTP server, not the desk's reaction time.

Starts aiosmtpd and `target/release/sportello serve` on loopback ports, submits N requests from
distinct contacts, and matches each 201 (by case number) with the file aiosmtpd wrote for its mail.
"""
import concurrent.futures, json, os, re, socket, statistics, subprocess, sys, tempfile, time, urllib.request

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
CONCURRENCY = int(sys.argv[2]) if len(sys.argv) > 2 else 8
RATE = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port):
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}")


work = tempfile.mkdtemp()
smtp_port, http_port = free_port(), free_port()
maildir = os.path.join(work, "maildir")
smtp = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{smtp_port}",
                         "-c", "aiosmtpd.handlers.Mailbox", maildir],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
wait_port(smtp_port)
env = dict(os.environ, SPORTELLO_INTAKE_RATE_LIMIT="off", SPORTELLO_LOG="warn")
server = subprocess.Popen(["target/release/sportello", "serve", "--addr", f"127.0.0.1:{http_port}",
                           "--database-url", f"sqlite://{work}/db.sqlite", "--data-dir", f"{work}/data",
                           "--smtp-url", f"smtp://127.0.0.1:{smtp_port}"], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
wait_port(http_port)
created = {}


def submit(i):
    if RATE > 0:
        time.sleep(max(0.0, started + i / RATE - time.time()))
    body = json.dumps({
        "category": "payments", "subcategory": "refund", "email": f"lat{i}@gmail.com",
        "phone": f"+39 347 {i:07d}", "device": "iPhone 14, iOS 17.1", "transaction_id": "WA123456789",
        "amount": "12 EUR", "description": "Ho pagato 12 euro ieri ma il pagamento risulta fallito, niente rimborso.",
    }).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{http_port}/api/v1/requests", body,
                                 {"content-type": "application/json"})
    with urllib.request.urlopen(req) as r:
        answered = time.time()
        created[json.load(r)["case_number"]] = answered


try:
    started = time.time()
    with concurrent.futures.ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(submit, range(N)))
    deadline = time.time() + 60
    arrived = {}
    while len(arrived) < N and time.time() < deadline:
        new = os.path.join(maildir, "new")
        for name in os.listdir(new) if os.path.isdir(new) else []:
            path = os.path.join(new, name)
            if path in arrived:
                continue
            with open(path, "rb") as f:
                m = re.search(rb"Subject: \[(WA\d{10})\]", f.read())
            if m:
                arrived[path] = (m.group(1).decode(), os.stat(path).st_mtime)
        time.sleep(0.05)
    sent = max(created.values()) - min(created.values())
    spread = max(t for _, t in arrived.values()) - min(t for _, t in arrived.values())
    latencies = sorted((t - created[case]) * 1000 for case, t in arrived.values() if case in created)
    cases = [case for case, _ in arrived.values()]
    q = statistics.quantiles(latencies, n=100)
    print(f"{len(latencies)} of {N} confirmations arrived ({len(cases) - len(set(cases))} duplicates); "
          f"201 -> SMTP server: p50 {q[49]:.1f} ms, p99 {q[98]:.1f} ms, max {latencies[-1]:.1f} ms; "
          f"accepted in {sent:.2f} s ({N / sent:.0f}/s), delivered in {spread:.2f} s ({len(arrived) / spread:.0f}/s)")
finally:
    server.terminate()
    smtp.terminate()
