package dev.consulvmagent.render;

import dev.consulvmagent.spec.ConsulSpec;
import dev.consulvmagent.spec.ConsulVersions;
import dev.consulvmagent.spec.Secret;
import dev.consulvmagent.spec.SecuritySpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Consul agent config (/etc/consul.d/consul.json) and its secrets file, for the configured
 * consul.version: keys that version does not know are not written ({@link ConsulVersions}).
 */
public final class ConsulConfig {
  private ConsulConfig() {}

  /** The secure mesh's files (board: "Secure-mesh contract"). */
  public static final String TLS_DIR = "/etc/consul.d/tls";

  public static final String CA_FILE = TLS_DIR + "/ca.pem";
  public static final String SERVER_CERT_FILE = TLS_DIR + "/server.pem";
  public static final String SERVER_KEY_FILE = TLS_DIR + "/server-key.pem";
  public static final String AUTO_CONFIG_DIR = "/etc/consul.d/auto-config";
  public static final String INTRO_TOKEN_FILE = AUTO_CONFIG_DIR + "/intro-token.jwt";
  public static final String JWT_DIR = "/etc/consul.d/jwt";
  public static final String JWT_PUBLIC_KEY_FILE = JWT_DIR + "/public-key.pem";
  public static final String DATA_DIR = "/var/lib/consul";

  /**
   * What a client's agent keeps after its first auto_config (the gossip key, its TLS key and agent
   * token, 0640): once it exists the intro JWT is no longer needed (real 1.8.7 restarts from it
   * with the JWT file gone, shared/reference/real-consul.md).
   */
  public static final String AUTO_CONFIG_STATE = DATA_DIR + "/auto-config.json";

  /** The HTTPS port a secure server serves its API on when client_addr is not loopback. */
  public static final int HTTPS_PORT = 8501;

  /** consul.json as before the security section (what {@code security: insecure} renders). */
  public static Map<String, Object> agent(ConsulSpec c) {
    return agent(c, SecuritySpec.insecure());
  }

  /**
   * consul.json for c with security s. Secure, both roles: TLS to the servers with their hostname
   * verified (server.&lt;dc&gt;.consul), remote script checks and remote exec off, the HTTP API
   * only on loopback. A server also verifies incoming RPC, signs its clients' certificates
   * (auto_encrypt.allow_tls: without it a client's Connect-CA certificate is refused, "x509:
   * certificate signed by unknown authority"), enforces ACLs in default-deny and checks intro JWTs
   * (auto_config.authorization.static). A client joins through auto_config only. Secrets are not
   * here but in {@link #secrets}; keys and paths: shared/reference/real-consul.md (observed with
   * 1.8.7) and Consul's website/pages/docs/agent/options.mdx at v1.8.7.
   */
  public static Map<String, Object> agent(ConsulSpec c, SecuritySpec s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("datacenter", c.datacenter());
    m.put("data_dir", "/var/lib/consul");
    m.put("server", c.role() == ConsulSpec.Role.SERVER);
    if (c.role() == ConsulSpec.Role.SERVER) m.put("bootstrap_expect", c.bootstrapExpect());
    c.nodeName().ifPresent(n -> m.put("node_name", n));
    c.bindAddr().ifPresent(a -> m.put("bind_addr", a));
    c.advertiseAddr().ifPresent(a -> m.put("advertise_addr", a));
    m.put("client_addr", c.clientAddr());
    if (!c.retryJoin().isEmpty()) {
      m.put("retry_join", c.retryJoin());
      m.put("retry_interval", c.retryInterval());
    }
    if (ConsulVersions.has(c.version(), ConsulVersions.Feature.UI_CONFIG)) {
      m.put("ui_config", Map.of("enabled", c.ui()));
    } else {
      m.put("ui", c.ui()); // deprecated by 1.9's ui_config, the only spelling before it
    }
    m.put("connect", Map.of("enabled", true));
    // Consul 1.14+ disables gRPC on client agents by default; Envoy needs xDS on 8502.
    Map<String, Object> ports = new LinkedHashMap<>(Map.of("grpc", 8502, "dns", 8600));
    m.put("ports", ports);
    m.put("log_level", "INFO");
    // a server's Raft at full speed: Consul's default timing (raft_multiplier 5, "tuned for
    // t2.micro"; a value of 1 is what its Server Performance guide recommends for production)
    // delays a lone server's first leader 6-10 s, measured with the real 1.8.7, against 1-2 s at
    // 1; every client's sidecar waits for that leader. extra_config's performance replaces it.
    if (c.role() == ConsulSpec.Role.SERVER) m.put("performance", Map.of("raft_multiplier", 1));
    if (s.secure()) secure(c, s, m, ports);
    m.putAll(c.extraConfig());
    return m;
  }

  private static void secure(
      ConsulSpec c, SecuritySpec s, Map<String, Object> m, Map<String, Object> ports) {
    boolean server = c.role() == ConsulSpec.Role.SERVER;
    if (!isLoopback(c.clientAddr())) {
      // DNS stays on client_addr; the HTTP API is reached on loopback (our steps, Envoy's
      // bootstrap) and, from outside, on a server only, over HTTPS with its certificate
      Map<String, Object> addresses = new LinkedHashMap<>();
      addresses.put("http", "127.0.0.1");
      if (server) {
        addresses.put("https", c.clientAddr());
        ports.put("https", HTTPS_PORT);
      }
      m.put("addresses", addresses);
    }
    m.put("ca_file", CA_FILE);
    if (server) {
      m.put("cert_file", SERVER_CERT_FILE);
      m.put("key_file", SERVER_KEY_FILE);
      m.put("verify_incoming_rpc", true);
    }
    m.put("verify_outgoing", true);
    m.put("verify_server_hostname", true);
    m.put("enable_script_checks", false);
    m.put("disable_remote_exec", true);
    if (server) {
      m.put("auto_encrypt", Map.of("allow_tls", true));
      Map<String, Object> acl = new LinkedHashMap<>();
      acl.put("enabled", true);
      acl.put("default_policy", "deny");
      acl.put("enable_token_persistence", true);
      m.put("acl", acl);
      Map<String, Object> st = new LinkedHashMap<>();
      st.put("jwt_validation_pub_keys", List.of(s.jwtPublicKey().orElseThrow()));
      st.put("bound_issuer", SecuritySpec.jwtIssuer(c.datacenter()));
      st.put("bound_audiences", List.of(SecuritySpec.JWT_AUDIENCE));
      st.put("claim_mappings", Map.of("node", "node"));
      // CVE-2021-41803: on Consul < 1.11.9/1.12.5/1.13.2 a crafted node name gets past this
      // assertion with another node's JWT; only the JWT's short exp bounds it there
      st.put("claim_assertions", List.of("value.node == \"${node}\""));
      m.put("auto_config", Map.of("authorization", Map.of("enabled", true, "static", st)));
    } else {
      Map<String, Object> ac = new LinkedHashMap<>();
      ac.put("enabled", true);
      ac.put("intro_token_file", INTRO_TOKEN_FILE);
      ac.put("server_addresses", serverAddresses(c.retryJoin()));
      m.put("auto_config", ac);
    }
  }

  /**
   * auto_config.server_addresses from retry_join: an address, a host name or a go-discover string;
   * the port is optional and defaults to the servers' RPC port 8300 (options.mdx at v1.8.7), so a
   * serf port given for retry_join (host:8301) is dropped.
   */
  static List<String> serverAddresses(List<String> join) {
    List<String> out = new ArrayList<>();
    for (String j : join) {
      if (j.contains("provider=")) {
        out.add(j);
      } else if (j.startsWith("[")) {
        int end = j.indexOf(']');
        out.add(end > 0 ? j.substring(1, end) : j);
      } else if (j.indexOf(':') > 0 && j.indexOf(':') == j.lastIndexOf(':')) {
        out.add(j.substring(0, j.indexOf(':')));
      } else {
        out.add(j);
      }
    }
    return out;
  }

  static boolean isLoopback(String a) {
    return a.equals("127.0.0.1") || a.equals("::1") || a.startsWith("127.");
  }

  /**
   * The local agent's HTTP API as our own steps reach it: on loopback in a secure mesh (see {@link
   * #agent(ConsulSpec, SecuritySpec)}), else as {@link #httpAddr(ConsulSpec)}.
   */
  public static String httpAddr(ConsulSpec c, SecuritySpec s) {
    return s.secure() ? "http://127.0.0.1:8500" : httpAddr(c);
  }

  /** The local agent's HTTP API as our own steps reach it (client_addr, loopback for 0.0.0.0). */
  public static String httpAddr(ConsulSpec c) {
    String a = c.clientAddr();
    if (a.equals("0.0.0.0") || a.equals("::")) return "http://127.0.0.1:8500";
    return "http://" + (a.contains(":") ? "[" + a + "]" : a) + ":8500";
  }

  /** Gossip key and ACL token: a separate 0640 consul-owned file, never printed. */
  public static Map<String, Object> secrets(ConsulSpec c) {
    return secrets(c, SecuritySpec.insecure());
  }

  /**
   * The secrets file with security s: a secure server's gossip key, its management token (which
   * bootstraps ACLs when a leader comes up: acl.tokens.master, initial_management from 1.11, {@link
   * ConsulVersions.Feature#INITIAL_MANAGEMENT}) and its own agent token. A secure client has none:
   * auto_config brings them.
   */
  public static Map<String, Object> secrets(ConsulSpec c, SecuritySpec s) {
    return secrets(c, s, Optional.empty());
  }

  /**
   * The secrets file with a secure client's DNS token (issue 19): acl.tokens.default, the token
   * Consul DNS and every token-less request on this agent use (secure.LoginTokenResource logs in
   * for it; read-only catalog, no write). A reload (SIGHUP) applies it: 1.8.7 reloads acl.tokens.
   */
  public static Map<String, Object> secrets(
      ConsulSpec c, SecuritySpec s, Optional<Secret> clientDefaultToken) {
    Map<String, Object> m = new LinkedHashMap<>();
    c.encrypt().ifPresent(e -> m.put("encrypt", e.value()));
    s.gossipKey().ifPresent(e -> m.put("encrypt", e.value()));
    Map<String, Object> tokens = new LinkedHashMap<>();
    c.aclToken()
        .ifPresent(
            t -> {
              tokens.put("agent", t.value());
              tokens.put("default", t.value());
            });
    if (s.secure() && c.role() == ConsulSpec.Role.SERVER) {
      String key =
          ConsulVersions.has(c.version(), ConsulVersions.Feature.INITIAL_MANAGEMENT)
              ? "initial_management"
              : "master";
      s.managementToken().ifPresent(t -> tokens.put(key, t.value()));
      s.serverAgentToken().ifPresent(t -> tokens.put("agent", t.value()));
    }
    if (s.secure() && c.role() == ConsulSpec.Role.CLIENT)
      clientDefaultToken.ifPresent(t -> tokens.put("default", t.value()));
    if (!tokens.isEmpty()) m.put("acl", Map.of("tokens", tokens));
    return m;
  }
}
