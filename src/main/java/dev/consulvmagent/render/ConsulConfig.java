package dev.consulvmagent.render;

import dev.consulvmagent.spec.ConsulSpec;
import dev.consulvmagent.spec.ConsulVersions;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Consul agent config (/etc/consul.d/consul.json) and its secrets file, for the configured
 * consul.version: keys that version does not know are not written ({@link ConsulVersions}).
 */
public final class ConsulConfig {
  private ConsulConfig() {}

  public static Map<String, Object> agent(ConsulSpec c) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("datacenter", c.datacenter());
    m.put("data_dir", "/var/lib/consul");
    m.put("server", c.role() == ConsulSpec.Role.SERVER);
    if (c.role() == ConsulSpec.Role.SERVER) m.put("bootstrap_expect", c.bootstrapExpect());
    c.nodeName().ifPresent(n -> m.put("node_name", n));
    c.bindAddr().ifPresent(a -> m.put("bind_addr", a));
    c.advertiseAddr().ifPresent(a -> m.put("advertise_addr", a));
    m.put("client_addr", c.clientAddr());
    if (!c.retryJoin().isEmpty()) m.put("retry_join", c.retryJoin());
    if (ConsulVersions.has(c.version(), ConsulVersions.Feature.UI_CONFIG)) {
      m.put("ui_config", Map.of("enabled", c.ui()));
    } else {
      m.put("ui", c.ui()); // deprecated by 1.9's ui_config, the only spelling before it
    }
    m.put("connect", Map.of("enabled", true));
    // Consul 1.14+ disables gRPC on client agents by default; Envoy needs xDS on 8502.
    m.put("ports", Map.of("grpc", 8502, "dns", 8600));
    m.put("log_level", "INFO");
    m.putAll(c.extraConfig());
    return m;
  }

  /** The local agent's HTTP API as our own steps reach it (client_addr, loopback for 0.0.0.0). */
  public static String httpAddr(ConsulSpec c) {
    String a = c.clientAddr();
    if (a.equals("0.0.0.0") || a.equals("::")) return "http://127.0.0.1:8500";
    return "http://" + (a.contains(":") ? "[" + a + "]" : a) + ":8500";
  }

  /** Gossip key and ACL token: a separate 0640 consul-owned file, never printed. */
  public static Map<String, Object> secrets(ConsulSpec c) {
    Map<String, Object> m = new LinkedHashMap<>();
    c.encrypt().ifPresent(e -> m.put("encrypt", e.value()));
    c.aclToken()
        .ifPresent(
            t -> m.put("acl", Map.of("tokens", Map.of("agent", t.value(), "default", t.value()))));
    return m;
  }
}
