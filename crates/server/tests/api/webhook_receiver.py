"""A webhook receiver for the tests: a real HTTP server process that checks every delivery's
Sportello-Signature with its own code (Python's hmac, not Sportello's) and writes one JSON line
per request on standard output. Its path decides how it answers:

  /ok        204 when the signature holds, 400 when it does not
  /fail      500 with a short body
  /hang      no answer for 60 s (the sender's timeout must end it)
  /redirect  302 to /ok (a sender that follows it shows up as a request to /ok)

argv: the secret. The first line out is the port it listens on (bound before it is told).
"""

import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = sys.argv[1].encode()
TOLERANCE = 300
# One line per request, whole: print() writes the text and its newline apart, so two handler
# threads could interleave them.
OUT = threading.Lock()


def verify(header, body):
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    t, v1 = parts.get("t", ""), parts.get("v1", "")
    if not t.isdigit() or abs(time.time() - int(t)) > TOLERANCE:
        return False
    expected = hmac.new(SECRET, t.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, v1)


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        valid = verify(self.headers.get("Sportello-Signature", ""), body)
        try:
            event = json.loads(body)
        except ValueError:
            event = None
        line = json.dumps({
            "path": self.path,
            "valid": valid,
            "event": event,
            "event_header": self.headers.get("Sportello-Event"),
            "delivery": self.headers.get("Sportello-Delivery"),
        })
        with OUT:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()
        if self.path == "/fail":
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b"receiver is down")
        elif self.path == "/hang":
            time.sleep(60)
        elif self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/ok")
            self.end_headers()
        else:
            self.send_response(204 if valid else 400)
            self.end_headers()

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_port, flush=True)
server.serve_forever()
