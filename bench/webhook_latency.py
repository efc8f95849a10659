#!/usr/bin/env python3
"""Time from a case's HTTP 201 to its `case.created` delivery at a real receiver, at a set rate;
and, with KILLS > 0, whether any acknowledged case's event is lost when the server is SIGKILLed.

    python3 bench/webhook_latency.py [N] [RATE] [sqlite|postgres] [KILLS]

Starts `target/release/sportello serve` (build it first: cargo build --release -p sportello) on a
fresh database, an admin and a token by the CLI, and a receiver in this process (a threaded
http.server that checks each Sportello-Signature with Python's hmac and notes when each case's
event arrived). Then submits N requests from distinct contacts, paced at RATE per second, and
matches each 201 with its delivery by case number. With KILLS, the server is SIGKILLed that many
times at even intervals during the load and started again on the same database; requests that get
no answer while it is down are not acknowledged and not counted. Afterwards every acknowledged case
must have been delivered at least once; repeats (a delivery made again because the kill came
between the receiver's answer and the database's note of it) are counted, not hidden.
"""
import concurrent.futures, hashlib, hmac, json, os, signal, socket, statistics, subprocess, sys, tempfile, threading, time
import urllib.error, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

N = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
RATE = float(sys.argv[2]) if len(sys.argv) > 2 else 50.0
BACKEND = sys.argv[3] if len(sys.argv) > 3 else "sqlite"
KILLS = int(sys.argv[4]) if len(sys.argv) > 4 else 0
PG_ADMIN = os.environ.get("PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
SECRET = b"whsec_bench_0123456789abcdef"
BIN = os.environ.get("SPORTELLO_BIN", "target/release/sportello")

arrivals, bad, lock = {}, [0], threading.Lock()


class Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        now = time.time()
        fields = dict(p.split("=", 1) for p in self.headers.get("Sportello-Signature", "").split(",") if "=" in p)
        good = hmac.compare_digest(hmac.new(SECRET, fields.get("t", "").encode() + b"." + body,
                                            hashlib.sha256).hexdigest(), fields.get("v1", ""))
        event = json.loads(body)
        with lock:
            if not good:
                bad[0] += 1
            elif event["type"] == "case.created":
                arrivals.setdefault(event["case_number"], []).append(now)
        self.send_response(204 if good else 400)
        self.end_headers()

    def log_message(self, *args):
        pass


def wait_port(port):
    for _ in range(400):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.025)
    raise SystemExit(f"nothing listens on {port}")


work = tempfile.mkdtemp()
if BACKEND == "postgres":
    name = f"sportello_bench_{os.getpid()}"
    subprocess.run(["psql", PG_ADMIN, "-qc", f"CREATE DATABASE {name}"], check=True)
    database = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
else:
    database = f"sqlite://{work}/db.sqlite"
class Receiver(ThreadingHTTPServer):
    # http.server's listen backlog is 5: a burst of connections beyond it waits for a SYN
    # retransmission (a second), which would be measured as Sportello's latency.
    request_queue_size = 1024


receiver = Receiver(("127.0.0.1", 0), Hook)
receiver.daemon_threads = True
threading.Thread(target=receiver.serve_forever, daemon=True).start()
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    http_port = s.getsockname()[1]
env = dict(os.environ, SPORTELLO_INTAKE_RATE_LIMIT="off", SPORTELLO_LOG="warn", SPORTELLO_DATABASE_URL=database,
           SPORTELLO_DATA_DIR=f"{work}/data", SPORTELLO_WEBHOOK_ALLOW="127.0.0.1",
           SPORTELLO_ADDR=f"127.0.0.1:{http_port}")


def serve():
    p = subprocess.Popen([BIN, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(http_port)
    return p


subprocess.run([BIN, "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
subprocess.run([BIN, "agent", "add", "--email", "bench@desk.test", "--name", "Bench", "--role", "admin",
                "--password-stdin"], env=env, input=b"correct horse battery\n", check=True, stdout=subprocess.DEVNULL)
token = subprocess.run([BIN, "agent", "token", "--email", "bench@desk.test", "--scope", "write"], env=env,
                       check=True, capture_output=True).stdout.decode().split()[-1]
server = serve()
hook = json.dumps({"url": f"http://127.0.0.1:{receiver.server_port}/", "events": ["case.created"],
                   "secret": SECRET.decode()}).encode()
urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{http_port}/api/v1/webhooks", hook, {
    "content-type": "application/json", "authorization": f"Bearer {token}"}))
created, refused = {}, [0]


def submit(i):
    time.sleep(max(0.0, started + i / RATE - time.time()))
    body = json.dumps({
        "category": "payments", "subcategory": "refund", "email": f"hook{i}@gmail.com",
        "phone": f"+39 347 {i:07d}", "device": "iPhone 14, iOS 17.1", "transaction_id": "WA123456789",
        "amount": "12 EUR", "description": "Ho pagato 12 euro ieri ma il pagamento risulta fallito, niente rimborso.",
    }).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{http_port}/api/v1/requests", body,
                                 {"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            answered = time.time()
            case = json.load(r)["case_number"]
            with lock:
                created[case] = answered
    except (urllib.error.URLError, ConnectionError, OSError):
        with lock:
            refused[0] += 1


def killer():
    global server
    span = N / RATE
    for k in range(KILLS):
        time.sleep(max(0.0, started + span * (k + 1) / (KILLS + 1) - time.time()))
        server.send_signal(signal.SIGKILL)
        server.wait()
        server = serve()


try:
    started = time.time()
    kills = threading.Thread(target=killer)
    kills.start()
    with concurrent.futures.ThreadPoolExecutor(64) as pool:
        list(pool.map(submit, range(N)))
    kills.join()
    deadline = time.time() + 120
    while time.time() < deadline:
        with lock:
            if all(c in arrivals for c in created):
                break
        time.sleep(0.1)
    with lock:
        lost = [c for c in created if c not in arrivals]
        repeats = sum(len(arrivals[c]) - 1 for c in created if c in arrivals)
        latencies = sorted((arrivals[c][0] - t) * 1000 for c, t in created.items() if c in arrivals)
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0] * 99
    print(f"{BACKEND} at {RATE:g}/s, {KILLS} SIGKILLs: {len(created)} acknowledged ({refused[0]} unanswered while "
          f"down), {len(latencies)} delivered, {len(lost)} lost, {repeats} repeats, {bad[0]} bad signatures; "
          f"201 -> receiver p50 {q[49]:.1f} ms, p99 {q[98]:.1f} ms, max {latencies[-1] if latencies else 0:.1f} ms")
    if lost:
        sys.exit(f"lost: {lost[:10]}")
finally:
    server.kill()
    if BACKEND == "postgres":
        server.wait()
        subprocess.run(["psql", PG_ADMIN, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"])
