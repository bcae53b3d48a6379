package dev.consulvmagent.spec;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * consul.extra_config: Consul agent settings passed through to consul.json, except what the agent
 * manages itself and known-dangerous combinations.
 *
 * <p>Managed keys are matched case-insensitively: Consul decodes its config with mapstructure,
 * which falls back to a case-insensitive match ({@code {"CONNECT": {"enabled": "x"}}} fails with
 * "'connect.enabled' expected type 'bool'" under Consul 1.8.7's {@code consul validate}, and {@code
 * "Ports": {"GRPC": -1}} validates), so {@code Connect} would override {@code connect}.
 */
final class ExtraConfig {
  /** Top-level keys consul.json gets from the agent (render/ConsulConfig), with what to use. */
  private static final Map<String, String> MANAGED =
      Map.ofEntries(
          Map.entry("datacenter", "use consul.datacenter"),
          Map.entry("data_dir", "the agent keeps Consul's data in /var/lib/consul"),
          Map.entry("server", "use consul.role"),
          Map.entry("bootstrap_expect", "use consul.bootstrap_expect"),
          Map.entry("bootstrap", "use consul.bootstrap_expect (bootstrap mode conflicts with it)"),
          Map.entry("node_name", "use consul.node_name"),
          Map.entry("bind_addr", "use consul.bind_addr"),
          Map.entry("advertise_addr", "use consul.advertise_addr"),
          Map.entry("client_addr", "use consul.client_addr"),
          Map.entry(
              "addresses",
              "use consul.client_addr (Envoy and the agent reach Consul's HTTP, "
                  + "gRPC and DNS on 127.0.0.1)"),
          Map.entry("retry_join", "use consul.retry_join"),
          Map.entry("retry_interval", "use consul.retry_interval"),
          Map.entry("ui", "use consul.ui"),
          Map.entry("ui_config", "use consul.ui"),
          Map.entry("connect", "the mesh needs Connect enabled, which the agent sets"),
          Map.entry(
              "ports",
              "Envoy needs gRPC on 8502, the agent HTTP on 8500 and the DNS forwarding 8600; the"
                  + " agent sets them (a ports mapping here would replace all three)"),
          Map.entry("encrypt", "use consul.encrypt"),
          Map.entry("acl", "use consul.acl_token"),
          Map.entry("domain", "the DNS forwarding (dns.mode) serves the consul domain"));

  private ExtraConfig() {}

  /** The pass-through settings, or problems added to p (each naming its key). */
  static Map<String, Object> check(Node extra, String clientAddr, SpecLoader.Problems p) {
    @SuppressWarnings("unchecked")
    Map<String, Object> m = (Map<String, Object>) extra.plain();
    Map<String, Object> byLower = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : m.entrySet()) {
      String k = e.getKey();
      String lower = k.toLowerCase(Locale.ROOT);
      String path = "consul.extra_config." + k;
      String use = MANAGED.get(lower);
      if (use == null && lower.startsWith("acl_"))
        use = "use consul.acl_token (legacy ACL settings)";
      if (use != null) {
        p.add(
            new SpecException(
                path,
                extra.keyLine(k),
                "is managed by the agent and cannot be " + "overridden; " + use));
      } else if (byLower.containsKey(lower)) {
        p.add(
            new SpecException(
                path,
                extra.keyLine(k),
                "is given twice (Consul reads keys " + "regardless of case)"));
      }
      byLower.put(lower, e.getValue());
    }
    boolean exposed =
        !isLoopback(clientAddr) && !writesOnlyFromLoopback(byLower.get("http_config"));
    // Consul 1.8.7 itself says, at start and in `consul validate`: "using enable-script-checks
    // without ACLs and without allow_write_http_from is DANGEROUS, use
    // enable-local-script-checks instead, see https://www.hashicorp.com/blog/
    // protecting-consul-from-rce-risk-in-specific-configurations/": anyone who reaches the HTTP
    // port registers a check whose script Consul runs (Metasploit's consul_service_exec). The
    // agent never enables ACLs (acl is managed), so a non-loopback client_addr is that case.
    if (exposed && isTrue(byLower.get("enable_script_checks"))) {
      String k = original(m, "enable_script_checks");
      p.add(
          new SpecException(
              "consul.extra_config." + k,
              extra.keyLine(k),
              "is refused with "
                  + "consul.client_addr "
                  + clientAddr
                  + ": anyone who reaches port 8500 could run commands as the consul user (a known"
                  + " Consul attack, see HashiCorp's 'Protecting Consul from RCE Risk in Specific"
                  + " Configurations'); keep client_addr on 127.0.0.1, or limit"
                  + " http_config.allow_write_http_from to loopback"));
    }
    // enable_local_script_checks: Consul takes script checks only from its config files, not from
    // the HTTP API. With the API open to the network and no ACLs (the agent never enables them),
    // that one source check is all that stands between a peer and a shell as the consul user, and
    // anything that writes a check into the config directory (a service registration another
    // tool persists) crosses it: refused the same way (issue 20).
    if (exposed && isTrue(byLower.get("enable_local_script_checks"))) {
      String k = original(m, "enable_local_script_checks");
      p.add(
          new SpecException(
              "consul.extra_config." + k,
              extra.keyLine(k),
              "is refused with "
                  + "consul.client_addr "
                  + clientAddr
                  + ": with the HTTP API open to the network and no ACLs, script checks of any"
                  + " kind run commands as the consul user one mistake away from anyone who"
                  + " reaches port 8500; keep client_addr on 127.0.0.1, or limit"
                  + " http_config.allow_write_http_from to loopback"));
    }
    // disable_remote_exec (default true) guards `consul exec`, the other remote-execution
    // feature HashiCorp's guidance names (Metasploit's consul_rexec_exec drives it over HTTP).
    if (exposed && isFalse(byLower.get("disable_remote_exec"))) {
      String k = original(m, "disable_remote_exec");
      p.add(
          new SpecException(
              "consul.extra_config." + k,
              extra.keyLine(k),
              "false is refused with "
                  + "consul.client_addr "
                  + clientAddr
                  + ": it lets anyone who reaches port 8500 run commands on every agent (consul"
                  + " exec); keep the default, or client_addr on 127.0.0.1"));
    }
    return m;
  }

  private static String original(Map<String, Object> m, String lower) {
    for (String k : m.keySet()) if (k.toLowerCase(Locale.ROOT).equals(lower)) return k;
    return lower;
  }

  private static boolean isTrue(Object v) {
    return Boolean.TRUE.equals(v) || (v instanceof String s && s.equalsIgnoreCase("true"));
  }

  private static boolean isFalse(Object v) {
    return Boolean.FALSE.equals(v) || (v instanceof String s && s.equalsIgnoreCase("false"));
  }

  static boolean isLoopback(String ip) {
    if (!Validators.isIp(ip)) return false;
    try {
      return InetAddress.getByName(ip).isLoopbackAddress(); // an IP literal: no lookup
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /** http_config.allow_write_http_from given, and every entry a loopback address or CIDR. */
  private static boolean writesOnlyFromLoopback(Object httpConfig) {
    if (!(httpConfig instanceof Map<?, ?> h)) return false;
    Object from = null;
    for (Map.Entry<?, ?> e : h.entrySet()) {
      if (String.valueOf(e.getKey()).equalsIgnoreCase("allow_write_http_from")) from = e.getValue();
    }
    if (!(from instanceof List<?> l) || l.isEmpty()) return false;
    for (Object o : l) {
      String s = String.valueOf(o);
      int slash = s.indexOf('/');
      String ip = slash < 0 ? s : s.substring(0, slash);
      if (!isLoopback(ip)) return false;
      if (slash >= 0) {
        try {
          int bits = Integer.parseInt(s.substring(slash + 1));
          if (ip.contains(":") ? bits != 128 : bits < 8) return false;
        } catch (NumberFormatException e) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * Service definitions in extra_config (Consul's service/services keys) may not take the mesh
   * service's name or ID, nor its sidecar's: Consul would then hold two definitions of the
   * registration the agent manages (service-registration.json) and keep only one.
   */
  static void checkServices(
      Map<String, Object> extra, MeshService mesh, Node node, SpecLoader.Problems p) {
    Set<String> ours = Set.of(mesh.name(), mesh.sidecarId());
    for (Map.Entry<String, Object> e : extra.entrySet()) {
      String lower = e.getKey().toLowerCase(Locale.ROOT);
      if (!lower.equals("service") && !lower.equals("services")) continue;
      List<?> defs = e.getValue() instanceof List<?> l ? l : List.of(e.getValue());
      for (Object d : defs) {
        if (!(d instanceof Map<?, ?> def)) continue;
        for (Map.Entry<?, ?> f : def.entrySet()) {
          String k = String.valueOf(f.getKey()).toLowerCase(Locale.ROOT);
          if ((k.equals("name") || k.equals("id")) && ours.contains(String.valueOf(f.getValue()))) {
            p.add(
                new SpecException(
                    "consul.extra_config." + e.getKey(),
                    node.keyLine(e.getKey()),
                    "defines the service "
                        + Validators.quote(String.valueOf(f.getValue()))
                        + ", which the agent registers from the service section; remove it here"));
          }
        }
      }
    }
  }
}
