#!/usr/bin/env python3
"""envoy-double: a TEST DOUBLE of the `envoy` binary, for consul-vm-agent's end-to-end tests.
It is not Envoy: it speaks no xDS. It is started in one of two ways.

As the real `consul connect envoy` starts Envoy (the real-Consul lane). Consul 1.8.7 execs the
binary given by -envoy-binary, else `envoy` on PATH, as
    envoy --config-path /tmp/envoy-<hex>-bootstrap.json --disable-hot-restart \
          --max-obj-name-len 256 [args after --]
where the path is a named pipe that `consul connect envoy pipe-bootstrap` fills with the
bootstrap JSON (hashicorp/consul v1.8.x command/connect/envoy/exec_unix.go: makeBootstrapPipe,
execEnvoy; envoy.go findBinary: -envoy-binary, else exec.LookPath("envoy"); measured with
Debian's consul 1.8.7 and a recording binary in its place). Real Envoy
then fetches its listeners from the agent over xDS (the bootstrap's local_agent cluster, gRPC
8502). The double reads the bootstrap's node.id (the proxy's service ID) and admin address,
and instead of xDS asks the agent's HTTP API (CONSUL_HTTP_ADDR, which `consul connect envoy`
passes on in the environment; default 127.0.0.1:8500):
  GET /v1/agent/service/<node.id>          the proxy registration: Port, Proxy.LocalService*,
                                           Proxy.Upstreams, Proxy.Mode, Proxy.TransparentProxy
  GET /v1/health/connect/<upstream>?passing  per connection: the upstream's healthy sidecars
                                           (Service.Address, else Node.Address; Service.Port),
                                           which is what Consul puts into Envoy's endpoints (EDS)

As consul-double's `connect envoy` starts it (the transparent-proxy lane on the doubles):
--double-name/--double-admin/--double-inbound/--double-app/--double-outbound give the same.

It serves:
  the inbound listener (the proxy's Port): connections are forwarded to the local app;
  one listener per upstream (LocalBindAddress:LocalBindPort): connections are forwarded to a
      passing instance of the upstream's sidecar, as Envoy's upstream listeners do;
  in transparent mode, the outbound listener (OutboundListenerPort, 15001): connections
      redirected by iptables are forwarded to their original destination (SO_ORIGINAL_DST);
  the admin address: /ready answers 200 "LIVE" once the listeners are up (Envoy's readiness).

Every forwarded connection is logged on stdout (the journal of envoy@<service>).
"""
import http.server
import json
import os
import random
import socket
import struct
import sys
import threading
import urllib.parse
import urllib.request

SO_ORIGINAL_DST = 80
# the version this double claims; make-mirror writes the mirror's Envoy version here
VERSION = "1.26.8"


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


def listener(port, addr="0.0.0.0"):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(64)
    return s


def serve_outbound(s):
    while True:
        c, peer = s.accept()
        raw = c.getsockopt(socket.SOL_IP, SO_ORIGINAL_DST, 16)
        port, ip = struct.unpack("!2xH4s8x", raw)
        relay(c, (socket.inet_ntoa(ip), port), "outbound from %s:%d" % peer)


def serve_inbound(s, local):
    while True:
        c, peer = s.accept()
        relay(c, local, "inbound from %s:%d" % peer)


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


# The ACL token the real Envoy presents to the agent: Consul's bootstrap puts it in the ADS
# stream's initial metadata, key x-consul-token (hashicorp/consul
# command/connect/envoy/bootstrap_tpl.go, v1.8.7); empty without ACLs. Never printed.
TOKEN = ""


def consul_get(path):
    base = os.environ.get("CONSUL_HTTP_ADDR", "127.0.0.1:8500")
    if "://" not in base:
        base = "http://" + base
    headers = {"X-Consul-Token": TOKEN} if TOKEN else {}
    with urllib.request.urlopen(urllib.request.Request(base + path, headers=headers), timeout=5) as r:
        return json.loads(r.read())


def bootstrap_token(boot):
    grpc = boot.get("dynamic_resources", {}).get("ads_config", {}).get("grpc_services", [])
    for g in grpc if isinstance(grpc, list) else [grpc]:
        for m in g.get("initial_metadata", []):
            if m.get("key") == "x-consul-token":
                return m.get("value", "")
    return ""


def upstream_target(up):
    """A passing sidecar of the upstream, from the agent's /v1/health/connect (Envoy's EDS)."""
    q = {"passing": "1"}
    if up.get("Datacenter"):
        q["dc"] = up["Datacenter"]
    name = urllib.parse.quote(up["DestinationName"], safe="")
    entries = consul_get("/v1/health/connect/%s?%s" % (name, urllib.parse.urlencode(q)))
    if not entries:
        return None
    e = random.choice(entries)
    return (e["Service"].get("Address") or e["Node"]["Address"], e["Service"]["Port"])


def serve_upstream(s, up):
    while True:
        c, peer = s.accept()
        label = "upstream %s from %s:%d" % (up["DestinationName"], peer[0], peer[1])
        try:
            target = upstream_target(up)
        except (OSError, ValueError, KeyError) as e:
            target = None
            print("%s: the agent did not answer: %s" % (label, e), flush=True)
        if target is None:
            print("%s: no passing instance" % label, flush=True)
            c.close()
            continue
        relay(c, target, label)


def from_bootstrap(path):
    """The proxy's registration, read from the agent as named by Consul's bootstrap."""
    global TOKEN
    with open(path) as f:  # a named pipe: read it once
        boot = json.load(f)
    TOKEN = bootstrap_token(boot)
    proxy_id = boot["node"]["id"]
    sock = boot["admin"]["address"]["socket_address"]
    reg = consul_get("/v1/agent/service/" + urllib.parse.quote(proxy_id, safe=""))
    return proxy_id, "%s:%d" % (sock["address"], sock["port_value"]), reg


def main():
    if "--version" in sys.argv:
        print("envoy  version: 0/%s/Clean/RELEASE/BoringSSL (test double)" % VERSION)
        return
    if "--config-path" in sys.argv:
        name, admin, reg = from_bootstrap(arg("--config-path"))
        p = reg["Proxy"]
        local = (p.get("LocalServiceAddress") or "127.0.0.1", p["LocalServicePort"])
        inbound = reg["Port"]
        transparent = p.get("Mode") == "transparent"
        outbound = (p.get("TransparentProxy") or {}).get("OutboundListenerPort") or 15001
        upstreams = p.get("Upstreams") or []
    elif "--double-name" in sys.argv:
        name, admin = arg("--double-name"), arg("--double-admin")
        local = ("127.0.0.1", int(arg("--double-app")))
        inbound = int(arg("--double-inbound"))
        transparent, outbound, upstreams = True, int(arg("--double-outbound", "15001")), []
    else:
        return
    inb = listener(inbound)
    threading.Thread(target=serve_inbound, args=(inb, local), daemon=True).start()
    shown = ["inbound %d -> %s:%d" % (inbound, local[0], local[1])]
    if transparent:
        out = listener(outbound)
        threading.Thread(target=serve_outbound, args=(out,), daemon=True).start()
        shown.append("outbound %d" % outbound)
    for up in upstreams:
        if up.get("DestinationType", "service") != "service":
            print("envoy-double: upstream type %s is not imitated" % up["DestinationType"], flush=True)
            continue
        s = listener(up["LocalBindPort"], up.get("LocalBindAddress") or "127.0.0.1")
        threading.Thread(target=serve_upstream, args=(s, up), daemon=True).start()
        shown.append("upstream %s on %d" % (up["DestinationName"], up["LocalBindPort"]))
    host, port = admin.rsplit(":", 1)
    print("envoy-double %s for %s: %s, admin %s:%s" % (VERSION, name, ", ".join(shown), host, port), flush=True)
    http.server.ThreadingHTTPServer((host, int(port)), Admin).serve_forever()


if __name__ == "__main__":
    main()
