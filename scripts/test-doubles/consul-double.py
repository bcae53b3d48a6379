#!/usr/bin/env python3
"""consul-double: a TEST DOUBLE of the `consul` binary, for consul-vm-agent's offline end-to-end
test. It is not Consul. It answers the agent HTTP endpoints and CLI commands the agent uses:

  consul version | consul reload | consul agent -config-dir=DIR
  consul connect envoy -sidecar-for=ID -admin-bind=ADDR [flags] [-- args]   (execs /usr/bin/envoy)

`agent` loads service definitions from DIR/*.json (a sidecar gets port 21000), serves
/v1/status/leader (a server leads itself; a client asks its retry_join server, and answers
500 "No known Consul servers" until that works), /v1/agent/{services,service/ID,self,checks,reload}
and tells systemd it is ready (Type=notify).
"""
import glob
import http.server
import json
import os
import socket
import sys
import threading
import urllib.request

VERSION = os.environ.get("CONSUL_DOUBLE_VERSION", "1.16.6")


def load(config_dir):
    cfg, services = {}, {}
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
        services[sid] = {"ID": sid, "Service": svc["name"], "Port": svc["port"], "Kind": "",
                         "Tags": svc.get("tags", []), "Meta": svc.get("meta", {})}
        sidecar = svc.get("connect", {}).get("sidecar_service")
        if sidecar is not None:
            proxy = sidecar.get("proxy", {})
            services[sid + "-sidecar-proxy"] = {
                "ID": sid + "-sidecar-proxy", "Service": svc["name"] + "-sidecar-proxy", "Kind": "connect-proxy",
                "Port": sidecar.get("port", 21000), "Tags": svc.get("tags", []), "Meta": svc.get("meta", {}),
                "Proxy": {"DestinationServiceName": svc["name"], "DestinationServiceID": sid,
                          "LocalServiceAddress": "127.0.0.1", "LocalServicePort": svc["port"],
                          "Mode": proxy.get("mode", ""), "Config": proxy.get("config", {}),
                          "TransparentProxy": {"OutboundListenerPort": proxy.get("transparent_proxy", {}).get("outbound_listener_port", 0)},
                          "Upstreams": proxy.get("upstreams", []), "Expose": {}}}
    return cfg, services


class Agent:
    def __init__(self, config_dir):
        self.config_dir = config_dir
        self.reload()

    def reload(self):
        self.cfg, self.services = load(self.config_dir)
        print("consul-double: loaded %d services: %s" % (len(self.services), sorted(self.services)), flush=True)

    def leader(self):
        if self.cfg.get("server"):
            return "%s:8300" % self.cfg.get("bind_addr", "127.0.0.1")
        for server in self.cfg.get("retry_join", []):
            try:
                with urllib.request.urlopen("http://%s:8500/v1/status/leader" % server, timeout=2) as r:
                    return json.loads(r.read())
            except (OSError, ValueError):
                continue
        return None


def handler(agent):
    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the real agent

        def reply(self, code, body):
            data = (body if isinstance(body, str) else json.dumps(body)).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            path = self.path.split("?")[0]
            if path == "/v1/status/leader":
                leader = agent.leader()
                return self.reply(500, "No known Consul servers") if leader is None else self.reply(200, json.dumps(leader))
            if path == "/v1/agent/services":
                return self.reply(200, agent.services)
            if path.startswith("/v1/agent/service/"):
                sid = path[len("/v1/agent/service/"):]
                return self.reply(200, agent.services[sid]) if sid in agent.services else self.reply(404, "unknown service ID: " + sid)
            if path == "/v1/agent/checks":
                return self.reply(200, {})
            if path == "/v1/agent/self":
                return self.reply(200, {"Config": {"Datacenter": agent.cfg.get("datacenter", "dc1"), "NodeName": socket.gethostname(),
                                                   "Server": bool(agent.cfg.get("server")), "Version": VERSION},
                                        "Member": {"Status": 1}, "xDS": {"SupportedProxies": {"envoy": ["1.26.8"]}, "Ports": {"Plaintext": 8502}}})
            return self.reply(404, "not found")

        def do_PUT(self):
            if self.path.split("?")[0] == "/v1/agent/reload":
                agent.reload()
                return self.reply(200, "")
            return self.reply(404, "not found")

        def log_message(self, fmt, *args):
            pass

    return H


def notify_ready():
    addr = os.environ.get("NOTIFY_SOCKET")
    if not addr:
        return
    if addr.startswith("@"):
        addr = "\0" + addr[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.connect(addr)
        s.sendall(b"READY=1")


def agent_main(args):
    config_dir = next((a.split("=", 1)[1] for a in args if a.startswith("-config-dir=")), "/etc/consul.d")
    agent = Agent(config_dir)
    bind = agent.cfg.get("client_addr", "127.0.0.1")
    server = http.server.ThreadingHTTPServer((bind, 8500), handler(agent))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    notify_ready()
    print("consul-double: agent listening on %s:8500" % bind, flush=True)
    threading.Event().wait()


def api(method, path):
    base = os.environ.get("CONSUL_HTTP_ADDR", "http://127.0.0.1:8500")
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
               if s["Kind"] == "connect-proxy" and s["Proxy"]["DestinationServiceID"].lower() == target.lower()]
    if not proxies:
        sys.exit("No sidecar proxy registered for " + target)
    p = proxies[0]
    argv = ["envoy", "--double-name", target, "--double-admin", opts.get("admin-bind", "127.0.0.1:19000"),
            "--double-inbound", str(p["Port"]), "--double-app", str(p["Proxy"]["LocalServicePort"]),
            "--double-outbound", str(p["Proxy"]["TransparentProxy"]["OutboundListenerPort"] or 15001)] + extra
    os.execv("/usr/bin/envoy", argv)


def main():
    args = sys.argv[1:]
    if not args or args[0] in ("version", "--version", "-v"):
        print("Consul v%s (test double)" % VERSION)
    elif args[0] == "agent":
        agent_main(args[1:])
    elif args[0] == "reload":
        api("PUT", "/v1/agent/reload")
        print("Configuration reload triggered")
    elif args[:2] == ["connect", "envoy"]:
        connect_envoy(args[2:])
    else:
        sys.exit("consul-double: unsupported command %s" % args)


if __name__ == "__main__":
    main()
