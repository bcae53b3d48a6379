package dev.consulvmagent.spec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Ports the agent's own processes listen on, which the application, its mesh service, Envoy's admin
 * and the upstreams' local binds must not take: two listeners on one port break the mesh silently
 * (Envoy or Consul cannot bind, or the app's traffic lands in Envoy). Exit 3 instead, naming both.
 */
final class PortClash {
  private PortClash() {}

  /**
   * Consul's default ports (hashicorp/consul agent/config/default.go, its ports block: server 8300,
   * serf_lan 8301, serf_wan 8302, http 8500, grpc 8502 as the agent sets it, dns 8600;
   * sidecar_min_port 21000 .. sidecar_max_port 21255, where Consul puts a sidecar's public listener
   * when the registration names none, as ours does), and Envoy's transparent-proxy outbound
   * listener (sdk/iptables/iptables.go DefaultTProxyOutboundPort = 15001).
   */
  private static final Map<Integer, String> FIXED =
      Map.of(
          8300, "Consul's server RPC",
          8301, "Consul's Serf LAN",
          8302, "Consul's Serf WAN",
          8500, "Consul's HTTP API",
          8502, "Consul's gRPC (Envoy's xDS)",
          8600, "Consul's DNS");

  static final int OUTBOUND_LISTENER = 15001;
  static final int SIDECAR_MIN = 21000;
  static final int SIDECAR_MAX = 21255;

  /** One port a config sets: where (its field) and what takes it. */
  record Use(String field, int line, String what, int port) {}

  static void check(
      EnvoySpec envoy,
      Optional<AppSpec> app,
      Optional<ServiceConfig> service,
      Node root,
      SpecLoader.Problems p) {
    List<Use> ours = new ArrayList<>();
    List<Use> theirs = new ArrayList<>();
    if (envoy != null) {
      ours.add(
          new Use(
              "envoy.admin_port",
              line(root, "envoy", "admin_port"),
              "Envoy's admin",
              envoy.adminPort()));
    }
    boolean tproxy = service.map(s -> s.mesh().transparentProxy()).orElse(false);
    app.flatMap(AppSpec::port)
        .ifPresent(
            port -> theirs.add(new Use("app.port", line(root, "app", "port"), "the app", port)));
    service.ifPresent(
        s -> {
          MeshService m = s.mesh();
          if (m.port() > 0 && app.flatMap(AppSpec::port).filter(a -> a == m.port()).isEmpty()) {
            theirs.add(
                new Use("service.port", line(root, "service", "port"), "the service", m.port()));
          }
          for (Upstream u : m.upstreams()) {
            theirs.add(
                new Use(
                    "service upstream " + u.destinationName(),
                    root.get("service") == null ? -1 : root.get("service").line(),
                    "the local bind of upstream " + u.destinationName(),
                    u.localBindPort()));
          }
        });
    Map<Integer, Use> taken = new LinkedHashMap<>();
    for (Use u : ours) taken.put(u.port(), u);
    for (Use u : theirs) {
      String clash = null;
      if (FIXED.containsKey(u.port())) clash = FIXED.get(u.port());
      else if (tproxy && u.port() == OUTBOUND_LISTENER) {
        clash = "Envoy's transparent-proxy outbound listener";
      } else if (u.port() >= SIDECAR_MIN && u.port() <= SIDECAR_MAX) {
        clash = "the range Consul gives sidecar listeners (21000-21255)";
      } else if (taken.containsKey(u.port())) {
        clash = taken.get(u.port()).what() + " (" + taken.get(u.port()).field() + ")";
      }
      if (clash != null) {
        p.add(
            new SpecException(
                u.field(),
                u.line(),
                "port " + u.port() + " is taken by " + clash + "; choose another port"));
      }
      taken.putIfAbsent(u.port(), u);
    }
    for (Use u : ours) {
      String clash = FIXED.get(u.port());
      if (clash == null && tproxy && u.port() == OUTBOUND_LISTENER) {
        clash = "Envoy's transparent-proxy outbound listener";
      }
      if (clash == null && u.port() >= SIDECAR_MIN && u.port() <= SIDECAR_MAX) {
        clash = "the range Consul gives sidecar listeners (21000-21255)";
      }
      if (clash != null) {
        p.add(
            new SpecException(
                u.field(),
                u.line(),
                "port " + u.port() + " is taken by " + clash + "; choose another port"));
      }
    }
  }

  private static int line(Node root, String section, String key) {
    Node s = root.get(section);
    return s == null || !s.isMapping() ? -1 : s.keyLine(key);
  }
}
