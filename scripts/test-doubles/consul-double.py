#!/usr/bin/env python3
"""consul-double: a TEST DOUBLE of the `consul` binary, for consul-vm-agent's offline end-to-end
test. It is not Consul. It answers the agent HTTP endpoints, DNS names and CLI commands the agent
uses:

  consul version | consul reload | consul agent -config-dir=DIR [-http-port=N] [-dns-port=N]
  consul connect envoy -sidecar-for=ID -admin-bind=ADDR [flags] [-- args]   (execs /usr/bin/envoy)

Where it can, it behaves as a REAL Consul agent was seen to behave. "Seen" means one of:
  [rec]  a response of real Consul 1.8.7 (Debian's consul 1.8.7+dfsg1-2+b3) recorded in
         src/test/resources/recorded/consul-1.8.7/<file>.json (re-checked against real agents by
         RecordedResponsesRealTest on every test run);
  [obs]  an observation of real Consul 1.8.7 written down in ../shared/reference/real-consul.md
         (2026-12-01) or made by the real-agent tests (src/test/java/.../consul/*RealTest.java);
  [src]  hashicorp/consul's source or PRs, for what 1.8 cannot show (versions >= 1.10).
What it does NOT imitate: gossip, raft, a catalog of other nodes, ACLs, KV, intentions.
"""
import glob
import http.server
import json
import os
import random
import re
import socket
import socketserver
import struct
import sys
import threading
import time
import urllib.error
import urllib.request

VERSION = os.environ.get("CONSUL_DOUBLE_VERSION", "1.16.6")


def version_at_least(major, minor):
    m = re.match(r"(\d+)\.(\d+)", VERSION)
    return bool(m) and (int(m.group(1)), int(m.group(2))) >= (major, minor)


def duration(v, default):
    """Go durations as agent configs write them ("10s", "1m", "500ms")."""
    m = re.fullmatch(r"(\d+)(ms|s|m|h)", str(v or ""))
    if not m:
        return default
    return int(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[m.group(2)]


CAMEL = {"destination_type": "DestinationType", "destination_name": "DestinationName",
         "destination_namespace": "DestinationNamespace", "destination_peer": "DestinationPeer",
         "datacenter": "Datacenter", "local_bind_address": "LocalBindAddress",
         "local_bind_port": "LocalBindPort", "config": "Config"}


def upstream(u):
    # [rec] agent-service-web-sidecar-proxy.json: DestinationType always present ("service" when
    # not given), Datacenter only when set, and an empty MeshGateway object on each upstream
    out = {"DestinationType": u.get("destination_type", "service")}
    for k, v in u.items():
        if k in CAMEL and k != "destination_type":
            out[CAMEL[k]] = v
    out["MeshGateway"] = {}
    return out


def service_entry(sid, name, port, tags, meta, tagged):
    # [rec] agent-services.json / agent-service-web.json: these keys in this order; Tags is []
    # when none were given; TaggedAddresses only when some were (agent-service-*.json of
    # RegistrationRealTest's "virtual ip" case); no Kind key on a plain service
    e = {"ID": sid, "Service": name, "Tags": list(tags), "Meta": dict(meta), "Port": port,
         "Address": ""}
    if tagged:
        e["TaggedAddresses"] = {k: {"Address": v.get("address", ""), "Port": v.get("port", 0)}
                                for k, v in tagged.items()}
    e["Weights"] = {"Passing": 1, "Warning": 1}
    e["EnableTagOverride"] = False
    return e


def load(config_dir):
    cfg, services, checks, next_port = {}, {}, {}, 21000
    for path in sorted(glob.glob(os.path.join(config_dir, "*.json"))):
        try:
            with open(path) as f:
                doc = json.load(f)
        except (OSError, ValueError):
            continue
        svc = doc.pop("service", None)
        cfg.update(doc)
        if not svc:
            continue
        sid = svc.get("id", svc["name"])
        tags, meta = svc.get("tags", []), svc.get("meta", {})
        services[sid] = service_entry(sid, svc["name"], svc.get("port", 0), tags, meta,
                                      svc.get("tagged_addresses"))
        check = svc.get("check")
        if check and check.get("tcp"):
            # [rec] agent-checks-*.json: the CheckID of a service's one check is "service:<id>"
            checks["service:" + sid] = {
                "name": check.get("name", "Service '%s' check" % svc["name"]), "sid": sid,
                "service": svc["name"], "tags": tags, "type": "tcp", "tcp": check["tcp"],
                "interval": duration(check.get("interval"), 10)}
        sidecar = svc.get("connect", {}).get("sidecar_service")
        if sidecar is None:
            continue
        proxy = sidecar.get("proxy", {})
        # [obs] Consul gives sidecars ports from sidecar_min_port (21000) upwards, in load order
        port = sidecar.get("port") or next_port
        next_port = max(next_port, port) + 1
        pid = sid + "-sidecar-proxy"
        # [rec] agent-service-web-sidecar-proxy.json: Kind first; tags and meta copied from the
        # service; tagged addresses NOT copied (RegistrationRealTest, "virtual ip")
        entry = {"Kind": "connect-proxy"}
        entry.update(service_entry(pid, svc["name"] + "-sidecar-proxy", port,
                                   sidecar.get("tags", tags), sidecar.get("meta", meta),
                                   sidecar.get("tagged_addresses")))
        p = {"DestinationServiceName": svc["name"], "DestinationServiceID": sid,
             "LocalServiceAddress": "127.0.0.1", "LocalServicePort": svc.get("port", 0)}
        if version_at_least(1, 10):
            # [src] transparent proxy is Consul 1.10+ (api/agent.go AgentServiceConnectProxyConfig);
            # 1.8 has neither key ([rec] agent-service-web-sidecar-proxy.json)
            p["Mode"] = proxy.get("mode", "")
            tp = proxy.get("transparent_proxy", {})
            p["TransparentProxy"] = {"OutboundListenerPort": tp.get("outbound_listener_port", 0)}
        # [rec] Config and Upstreams are left out when empty
        # (agent-services-sidecar-of-another-service.json)
        if proxy.get("config"):
            p["Config"] = proxy["config"]
        if proxy.get("upstreams"):
            p["Upstreams"] = [upstream(u) for u in proxy["upstreams"]]
        p["MeshGateway"] = {}
        p["Expose"] = {}
        entry["Proxy"] = p
        services[pid] = entry
        # [rec] agent-checks-*.json: every sidecar gets a TCP check of its port and an alias of
        # the service's checks
        checks["service:%s:1" % pid] = {"name": "Connect Sidecar Listening", "sid": pid,
                                        "service": pid, "tags": tags, "type": "tcp",
                                        "tcp": "127.0.0.1:%d" % port, "interval": 10}
        checks["service:%s:2" % pid] = {"name": "Connect Sidecar Aliasing " + sid, "sid": pid,
                                        "service": pid, "tags": tags, "type": "alias",
                                        "alias": "service:" + sid}
    return cfg, services, checks


def node_id(data_dir):
    """[obs] real Consul 1.8.7 (`consul agent -server -data-dir D`, 2026-12-07): at its first
    start it writes a random UUID to D/node-id ("Node ID: '6cd3401f-…'" in its log) and reads it
    back on later starts; so two machines from one image get two ids unless D was baked full."""
    if not data_dir:
        return "00000000-0000-0000-0000-00000000d0b1"
    path = os.path.join(data_dir, "node-id")
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        pass
    h = "%032x" % random.SystemRandom().getrandbits(128)
    nid = "-".join((h[:8], h[8:12], h[12:16], h[16:20], h[20:]))
    try:
        with open(path, "w") as f:
            f.write(nid)
    except OSError:
        pass
    return nid


class Agent:
    def __init__(self, config_dir, node):
        self.config_dir, self.node = config_dir, node
        self.started = time.monotonic()
        self.joined = []          # servers this client has joined (their addresses)
        self.ready_sent = False
        self.state = {}           # check id -> (status, output)
        self.lock = threading.Lock()
        self.reload()
        self.node_id = node_id(self.cfg.get("data_dir"))

    def reload(self):
        cfg, services, checks = load(self.config_dir)
        with self.lock:
            self.cfg, self.services, self.checks = cfg, services, checks
            # [obs] DoctorRealTest.justRegistered_checksStartCritical: a new check is critical
            # with an empty output until its first run
            self.state = {cid: self.state.get(cid, ("critical", "")) for cid in checks}
        print("consul-double: loaded %d services: %s" % (len(services), sorted(services)),
              flush=True)

    def server(self):
        return bool(self.cfg.get("server"))

    def bind(self):
        return self.cfg.get("bind_addr", "127.0.0.1")

    def leader(self):
        """None: no known servers (a client that has not joined); "": a server before election."""
        if self.server():
            # [obs] real-consul.md: a lone -server -bootstrap-expect=1 becomes leader after ~6 s;
            # [rec] status-leader-no-quorum.json: until then (and forever when more servers are
            # expected than are there) the answer is 200 ""
            if int(self.cfg.get("bootstrap_expect", 1)) > 1:
                return ""
            # [obs] Raft's timeouts scale with performance.raft_multiplier (default 5, 0 means the
            # default): real 1.8.7, lone server on loopback, 3 runs each: 6.3-9.9 s to a leader
            # at 5, 1.1-2.1 s at 1 (BENCHMARKS.md, 2026-12-07 boot to mesh, second round)
            mult = int((self.cfg.get("performance") or {}).get("raft_multiplier") or 5)
            election = float(os.environ.get("CONSUL_DOUBLE_ELECTION_SECONDS", "6")) * mult / 5
            if time.monotonic() - self.started < election:
                return ""
            return "%s:8300" % self.bind()
        if not self.joined:
            return None
        try:
            url = "http://%s:8500/v1/status/leader" % self.joined[0]
            with urllib.request.urlopen(url, timeout=2) as r:
                return json.loads(r.read())
        except (OSError, ValueError):
            return ""

    def join_loop(self):
        """[obs] a client joins its retry_join servers at start and then every retry_interval
        (default 30s, Consul's agent configuration docs); it is its join, not a leader, that sends
        READY=1 (real-consul.md: READY 0.8 s after start; hashicorp/consul PR #3164)."""
        targets = self.cfg.get("retry_join", [])
        interval = duration(self.cfg.get("retry_interval"), 30)
        while not self.joined and targets:
            for server in targets:
                host = server.rsplit(":", 1)[0] if server.count(":") == 1 else server
                try:
                    # the double's stand-in for a serf join: the server's double answers HTTP
                    with urllib.request.urlopen("http://%s:8500/v1/agent/self" % host, timeout=2):
                        self.joined.append(host)
                        break
                except (OSError, ValueError):
                    continue
            if self.joined:
                print("consul-double: joined %s" % self.joined[0], flush=True)
                notify_ready()
                return
            time.sleep(interval)

    def check_loop(self, cid):
        """[src] agent/checks/check.go (1.8): a TCP check first runs after a random stagger within
        its interval, then every interval, with a 10 s connect timeout. Outputs as [rec]
        agent-checks-passing.json / agent-checks-critical.json."""
        time.sleep(random.uniform(0, self.checks.get(cid, {}).get("interval", 10)))
        while True:
            with self.lock:
                c = self.checks.get(cid)
            if c is None:
                return
            host, port = c["tcp"].rsplit(":", 1)
            try:
                with socket.create_connection((host, int(port)), timeout=10):
                    result = ("passing", "TCP connect %s: Success" % c["tcp"])
            except OSError as e:
                why = "connection refused" if isinstance(e, ConnectionRefusedError) else str(e)
                result = ("critical", "dial tcp %s: connect: %s" % (c["tcp"], why))
            with self.lock:
                if cid in self.checks:
                    self.state[cid] = result
            time.sleep(c["interval"])

    def checks_json(self):
        with self.lock:
            out = {}
            for cid, c in self.checks.items():
                status, output = self.state.get(cid, ("critical", ""))
                if c["type"] == "alias":
                    # [rec] the alias follows the aliased check: "All checks passing." or
                    # 'Aliased check "<name>" failing: <its output>'
                    target = self.checks.get(c["alias"])
                    ts, to = self.state.get(c["alias"], ("critical", ""))
                    status = ts
                    aliased = target["name"] if target else c["alias"]
                    output = "All checks passing." if ts == "passing" else \
                        'Aliased check "%s" failing: %s' % (aliased, to)
                out[cid] = {"Node": self.node, "CheckID": cid, "Name": c["name"], "Status": status,
                            "Notes": "", "Output": output, "ServiceID": c["sid"],
                            "ServiceName": c["service"],
                            "ServiceTags": list(c["tags"]), "Type": c["type"], "Definition": {},
                            "CreateIndex": 0, "ModifyIndex": 0}
            return out

    def healthy(self, service_name):
        """[obs] Consul DNS answers only instances whose checks are not critical (a critical web
        gave NXDOMAIN for web.service.consul on a real 1.8.7 -dev agent)."""
        checks = self.checks_json()
        for s in self.services.values():
            if s["Service"] != service_name:
                continue
            if all(c["Status"] != "critical" for c in checks.values() if c["ServiceID"] == s["ID"]):
                return True
        return False

    def self_json(self, http_port, dns_port):
        # [rec] agent-self.json: Config has these keys; DebugConfig (206 keys there) is cut down
        # to DNSAddrs, which status reads; xDS in 1.8 has SupportedProxies only
        ca = self.client_addr()
        dns = [] if dns_port < 0 else ["%s://%s:%d" % (net, ca, dns_port) for net in ("tcp", "udp")]
        envoys = ["1.26.8"] if version_at_least(1, 10) else ["1.14.5", "1.13.6", "1.12.7", "1.11.2"]
        xds = {"SupportedProxies": {"envoy": envoys}}
        if version_at_least(1, 14):
            # [src] not seen here: there is no real 1.14+ agent on this machine
            xds["Ports"] = {"Plaintext": 8502}
        return {"Config": {"Datacenter": self.cfg.get("datacenter", "dc1"), "NodeName": self.node,
                           "NodeID": self.node_id, "Revision": "",
                           "Server": self.server(), "Version": VERSION},
                "DebugConfig": {"DNSAddrs": dns, "HTTPAddrs": ["tcp://%s:%d" % (ca, http_port)]},
                "Member": {"Name": self.node, "Addr": self.bind(), "Port": 8301, "Status": 1},
                "xDS": xds}

    def members(self):
        # [rec] agent-members.json: a list of members (Name, Addr, Port, Tags, Status 1 = alive)
        me = {"Name": self.node, "Addr": self.bind(), "Port": 8301,
              "Tags": {"dc": self.cfg.get("datacenter", "dc1"),
                       "role": "consul" if self.server() else "node"},
              "Status": 1}
        return [me] + [{"Name": s, "Addr": s, "Port": 8301, "Tags": {"role": "consul"}, "Status": 1}
                       for s in self.joined]

    def client_addr(self):
        return self.cfg.get("client_addr", "127.0.0.1")


def handler(agent, http_port, dns_port):
    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the real agent

        def send_response(self, code, message=None):
            # [rec] the real agent sends Date but no Server header
            self.log_request(code)
            self.send_response_only(code, message)
            self.send_header("Date", self.date_time_string())

        def reply(self, code, body, ctype="application/json", headers=()):
            # [rec] JSON answers: application/json, 4-space indented; errors: text/plain;
            # charset=utf-8 (agent-service-unknown.json); empty answers: no Content-Type
            # (agent-reload.json; an unknown path: 404 with an empty body)
            if isinstance(body, str):
                data = body.encode()
            else:
                data = json.dumps(body, indent=4).encode()
            self.send_response(code)
            for k, v in headers:
                self.send_header(k, v)
            if data:
                self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def text(self, code, msg, headers=()):
            self.reply(code, msg, "text/plain; charset=utf-8", headers)

        def do_GET(self):
            path = self.path.split("?")[0]
            if path == "/v1/status/leader":
                leader = agent.leader()
                # [rec] status-leader-no-known-servers.json: 500, text/plain
                if leader is None:
                    return self.text(500, "No known Consul servers")
                return self.reply(200, json.dumps(leader))
            if path == "/v1/agent/services":
                return self.reply(200, agent.services)
            if path.startswith("/v1/agent/service/"):
                sid = path[len("/v1/agent/service/"):]
                if sid not in agent.services:
                    # [rec] agent-service-unknown.json
                    return self.text(404, "unknown service ID: " + sid)
                e = dict(agent.services[sid])
                # [rec] agent-service-web.json: the single-service answer adds ContentHash after
                # EnableTagOverride
                out = {}
                for k, v in e.items():
                    out[k] = v
                    if k == "EnableTagOverride":
                        digest = hash(json.dumps(e, sort_keys=True)) & 0xffffffffffffffff
                        out["ContentHash"] = "%016x" % digest
                return self.reply(200, out)
            if path == "/v1/agent/checks":
                return self.reply(200, agent.checks_json())
            if path == "/v1/agent/members":
                return self.reply(200, agent.members())
            if path == "/v1/agent/self":
                return self.reply(200, agent.self_json(http_port, dns_port))
            if path == "/v1/agent/reload":
                # [rec] agent-reload-get.json
                return self.text(405, "method GET not allowed", [("Allow", "OPTIONS,PUT")])
            return self.reply(404, "")

        def do_PUT(self):
            if self.path.split("?")[0] == "/v1/agent/reload":
                agent.reload()
                start_checks(agent)
                return self.reply(200, "")  # [rec] agent-reload.json: 200, empty, no Content-Type
            return self.reply(404, "")

        def log_message(self, fmt, *args):
            pass

    return H


def dns_answer(agent, query):
    """[obs] answers of a real 1.8.7 agent's DNS (DoctorDnsRealTest; dig-like probes on
    2026-12-01): consul.service.consul -> the servers, <node>.node.consul -> the node,
    <svc>.service.consul -> healthy instances, else NXDOMAIN (flags 0x8503, with an SOA in the
    real answer; this double sends no SOA); a name outside .consul without recursors: REFUSED
    (0x8105). TTL 0. This double knows only its own node's services (no catalog)."""
    if len(query) < 12:
        return None
    qid, flags, qd = struct.unpack(">HHH", query[:6])
    pos, labels = 12, []
    while pos < len(query) and query[pos]:
        n = query[pos]
        labels.append(query[pos + 1:pos + 1 + n].decode("ascii", "replace").lower())
        pos += 1 + n
    qend = pos + 5
    question = query[12:qend]
    qtype = struct.unpack(">H", query[pos + 1:pos + 3])[0] if len(query) >= qend else 0
    name = ".".join(labels)
    rd = flags & 0x0100
    if not name.endswith("consul") or labels[-1:] != ["consul"]:
        return struct.pack(">HHHHHH", qid, 0x8005 | rd, 1, 0, 0, 0) + question
    addrs = []
    if name == "consul.service.consul":
        addrs = [agent.bind()] if agent.server() else list(agent.joined)
    elif len(labels) == 3 and labels[1] == "service" and agent.healthy(labels[0]):
        addrs = [agent.bind()]
    elif len(labels) == 3 and labels[1] == "node" and labels[0] == agent.node.lower():
        addrs = [agent.bind()]
    if not addrs:
        return struct.pack(">HHHHHH", qid, 0x8403 | rd, 1, 0, 0, 0) + question
    answers = b""
    if qtype in (1, 255):
        for a in addrs:
            answers += b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 0, 4) + socket.inet_aton(a)
    count = len(addrs) if qtype in (1, 255) else 0
    return struct.pack(">HHHHHH", qid, 0x8400 | rd, 1, count, 0, 0) + question + answers


def serve_dns(agent, addr, port):
    class U(socketserver.BaseRequestHandler):
        def handle(self):
            data, sock = self.request
            out = dns_answer(agent, data)
            if out:
                sock.sendto(out, self.client_address)

    class T(socketserver.StreamRequestHandler):
        def handle(self):
            head = self.rfile.read(2)
            if len(head) < 2:
                return
            out = dns_answer(agent, self.rfile.read(struct.unpack(">H", head)[0]))
            if out:
                self.wfile.write(struct.pack(">H", len(out)) + out)

    for cls, h in ((socketserver.ThreadingUDPServer, U), (socketserver.ThreadingTCPServer, T)):
        cls.allow_reuse_address = True
        s = cls((addr, port), h)
        threading.Thread(target=s.serve_forever, daemon=True).start()


_running_checks = set()


def start_checks(agent):
    for cid, c in list(agent.checks.items()):
        if c["type"] == "tcp" and cid not in _running_checks:
            _running_checks.add(cid)
            def run(i=cid):
                agent.check_loop(i)
                _running_checks.discard(i)
            threading.Thread(target=run, daemon=True).start()


def notify_ready():
    addr = os.environ.get("NOTIFY_SOCKET")
    if not addr:
        return
    if addr.startswith("@"):
        addr = "\0" + addr[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.connect(addr)
        s.sendall(b"READY=1")


def flag(args, name, default):
    for a in args:
        if a.startswith("-%s=" % name):
            return a.split("=", 1)[1]
    return default


def agent_main(args):
    config_dir = flag(args, "config-dir", "/etc/consul.d")
    agent = Agent(config_dir, flag(args, "node", socket.gethostname()))
    bind = agent.client_addr()
    http_port = int(flag(args, "http-port", agent.cfg.get("ports", {}).get("http", 8500)))
    dns_port = int(flag(args, "dns-port", agent.cfg.get("ports", {}).get("dns", 8600)))
    server = http.server.ThreadingHTTPServer((bind, http_port), handler(agent, http_port, dns_port))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    if dns_port >= 0:
        serve_dns(agent, bind, dns_port)
    start_checks(agent)
    print("consul-double: agent listening on %s:%d (DNS %s)" % (bind, http_port, dns_port),
          flush=True)
    # [obs] real-consul.md: a lone server never sends READY=1 (not even as leader, not with
    # -retry-join to itself); a client sends it after joining a server (hashicorp/consul PR #3164)
    if not agent.server():
        threading.Thread(target=agent.join_loop, daemon=True).start()
    threading.Event().wait()


def api(method, path):
    base = os.environ.get("CONSUL_HTTP_ADDR", "http://127.0.0.1:8500")
    if "://" not in base:
        base = "http://" + base
    req = urllib.request.Request(base + path, method=method)
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read() or b"null")


def connect_envoy(args):
    opts, extra = {}, []
    if "--" in args:
        extra = args[args.index("--") + 1:]
        args = args[:args.index("--")]
    for a in args:
        if a.startswith("-") and "=" in a:
            k, v = a.lstrip("-").split("=", 1)
            opts[k] = v
    target = opts["sidecar-for"]
    proxies = [s for s in api("GET", "/v1/agent/services").values()
               if s.get("Kind") == "connect-proxy"
               and s["Proxy"]["DestinationServiceID"].lower() == target.lower()]
    if not proxies:
        sys.exit("No sidecar proxy registered for " + target)
    p = proxies[0]
    outbound = p["Proxy"].get("TransparentProxy", {}).get("OutboundListenerPort") or 15001
    argv = ["envoy", "--double-name", target,
            "--double-admin", opts.get("admin-bind", "127.0.0.1:19000"),
            "--double-inbound", str(p["Port"]), "--double-app", str(p["Proxy"]["LocalServicePort"]),
            "--double-outbound", str(outbound)] + extra
    os.execv("/usr/bin/envoy", argv)


def main():
    args = sys.argv[1:]
    if not args or args[0] in ("version", "--version", "-v"):
        # [obs] the real first line is "Consul v1.8.7"; the double says what it is
        print("Consul v%s (test double)" % VERSION)
    elif args[0] == "agent":
        agent_main(args[1:])
    elif args[0] == "reload":
        try:
            api("PUT", "/v1/agent/reload")
        except (OSError, ValueError) as e:
            # [obs] real: 'Error reloading: Put "http://127.0.0.1:1/v1/agent/reload": dial tcp
            # 127.0.0.1:1: connect: connection refused', exit 1
            base = os.environ.get("CONSUL_HTTP_ADDR", "http://127.0.0.1:8500")
            why = getattr(e, "reason", e)
            print('Error reloading: Put "%s/v1/agent/reload": %s' % (base, why), file=sys.stderr)
            sys.exit(1)
        print("Configuration reload triggered")
    elif args[:2] == ["connect", "envoy"]:
        connect_envoy(args[2:])
    else:
        sys.exit("consul-double: unsupported command %s" % args)


if __name__ == "__main__":
    main()
