#!/usr/bin/env python3
"""envoy-double: a TEST DOUBLE of the `envoy` binary, for consul-vm-agent's offline end-to-end
test. It is not Envoy. Started by consul-double's `connect envoy`, it serves:

  the outbound listener (15001): connections redirected by iptables are forwarded to their
      original destination (SO_ORIGINAL_DST), as Envoy's transparent outbound listener does;
  the inbound listener (the sidecar's port): connections are forwarded to the local app;
  the admin address: /ready answers 200 once both listeners are up.

Every forwarded connection is logged on stdout (the journal of envoy@<service>).
"""
import http.server
import socket
import struct
import sys
import threading

SO_ORIGINAL_DST = 80


def arg(name, default=None):
    a = sys.argv
    return a[a.index(name) + 1] if name in a else default


def pipe(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def relay(client, target, label):
    try:
        upstream = socket.create_connection(target, timeout=5)
    except OSError as e:
        print("%s -> %s:%d failed: %s" % (label, target[0], target[1], e), flush=True)
        client.close()
        return
    print("%s -> %s:%d" % (label, target[0], target[1]), flush=True)
    threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
    threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()


def listener(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(64)
    return s


def serve_outbound(s):
    while True:
        c, peer = s.accept()
        raw = c.getsockopt(socket.SOL_IP, SO_ORIGINAL_DST, 16)
        port, ip = struct.unpack("!2xH4s8x", raw)
        relay(c, (socket.inet_ntoa(ip), port), "outbound from %s:%d" % peer)


def serve_inbound(s, app_port):
    while True:
        c, peer = s.accept()
        relay(c, ("127.0.0.1", app_port), "inbound from %s:%d" % peer)


class Admin(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = b"LIVE" if self.path == "/ready" else b"envoy-double"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass


def main():
    if "--version" in sys.argv:
        print("envoy  version: 0/1.26.8/Clean/RELEASE/BoringSSL (test double)")
        return
    if "--double-name" not in sys.argv:
        return
    name = arg("--double-name")
    out = listener(int(arg("--double-outbound", "15001")))
    inb = listener(int(arg("--double-inbound")))
    threading.Thread(target=serve_outbound, args=(out,), daemon=True).start()
    threading.Thread(target=serve_inbound, args=(inb, int(arg("--double-app"))), daemon=True).start()
    host, port = arg("--double-admin").rsplit(":", 1)
    print("envoy-double for %s: outbound %s, inbound %s, admin %s:%s" % (name, out.getsockname()[1], inb.getsockname()[1], host, port), flush=True)
    http.server.ThreadingHTTPServer((host, int(port)), Admin).serve_forever()


if __name__ == "__main__":
    main()
