#!/usr/bin/env python3
"""app-double: a TEST DOUBLE of hashicorp/demo-consul-101's counting-service and
dashboard-service, for consul-vm-agent's offline end-to-end test. Installed under either name;
listens on $PORT. counting answers {"count": N, "hostname": ...}; dashboard answers with what
it got from $COUNTING_SERVICE_URL.
"""
import http.server
import json
import os
import socket
import sys
import urllib.request

ROLE = "dashboard" if "dashboard" in os.path.basename(sys.argv[0]) else "counting"
COUNT = [0]


class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith("/health"):
            body = {"status": "ok"}
        elif ROLE == "counting":
            COUNT[0] += 1
            body = {"count": COUNT[0], "hostname": socket.gethostname()}
        else:
            url = os.environ.get("COUNTING_SERVICE_URL", "http://localhost:9001")
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    body = {"dashboard": socket.gethostname(), "counting": json.loads(r.read())}
            except OSError as e:
                body = {"dashboard": socket.gethostname(), "error": str(e)}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        pass


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in ("version", "--version"):
        print("%s-service (test double)" % ROLE)
        sys.exit(0)
    http.server.ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("PORT", "80"))), H).serve_forever()
