package dev.consulvmagent.sidecar;

import com.fasterxml.jackson.databind.JsonNode;
import dev.consulvmagent.host.HostFs;
import dev.consulvmagent.render.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * What apply installed for a service's sidecar, as sidecar-init, redirect-traffic and status read
 * it back: the Envoy environment file's admin bind, DNS-redirect setting, the Consul version
 * rendered for and the agent's HTTP address ({@link SidecarFiles#environment}), and the default ACL
 * token of /etc/consul.d/secrets.json. Every value falls back when the files are absent or
 * unreadable (sidecar-init at boot, before any apply).
 */
public record Installed(
    int adminPort,
    boolean dnsRedirect,
    Optional<String> consulVersion,
    Optional<String> consulHttpAddr) {
  /** Envoy's admin port when nothing was installed (consul connect envoy's default). */
  public static final int DEFAULT_ADMIN_PORT = 19000;

  /** Where the default token lives (render.ConsulConfig#secrets writes it). */
  public static final String SECRETS = "/etc/consul.d/secrets.json";

  /** Reads the environment file of service under fs's root. */
  public static Installed read(HostFs fs, String service) {
    Optional<String> env =
        fs.readIfExists(SidecarFiles.envFile(service))
            .map(b -> new String(b, StandardCharsets.UTF_8));
    String bind = env.flatMap(e -> setting(e, "ENVOY_ADMIN_BIND")).orElse("");
    int admin;
    try {
      admin = Integer.parseInt(bind.substring(bind.lastIndexOf(':') + 1).trim());
    } catch (NumberFormatException e) {
      admin = DEFAULT_ADMIN_PORT;
    }
    boolean dns =
        env.flatMap(e -> setting(e, "REDIRECT_FLAGS")).orElse("").contains("--dns-redirect");
    return new Installed(
        admin,
        dns,
        env.flatMap(e -> setting(e, SidecarFiles.CONSUL_VERSION_KEY)),
        env.flatMap(e -> setting(e, "CONSUL_HTTP_ADDR")));
  }

  /** The agent's default ACL token (acl.tokens.default of secrets.json), if apply wrote one. */
  public static Optional<String> token(HostFs fs) {
    return fs.readIfExists(SECRETS)
        .flatMap(
            b -> {
              try {
                JsonNode t = Json.tree(b).path("acl").path("tokens").path("default");
                return Optional.ofNullable(t.isTextual() ? t.asText() : null);
              } catch (IOException e) {
                return Optional.empty();
              }
            });
  }

  /**
   * The value of the first KEY= line, unquoted as systemd reads a value SystemdSyntax quoted
   * (double quotes, backslash escapes).
   */
  static Optional<String> setting(String envFile, String key) {
    for (String line : envFile.split("\n")) {
      if (!line.startsWith(key + "=")) continue;
      String v = line.substring(key.length() + 1);
      if (v.length() < 2 || !v.startsWith("\"") || !v.endsWith("\"")) return Optional.of(v);
      StringBuilder b = new StringBuilder();
      for (int i = 1; i < v.length() - 1; i++) {
        char c = v.charAt(i);
        if (c == '\\' && i + 1 < v.length() - 1) c = v.charAt(++i);
        b.append(c);
      }
      return Optional.of(b.toString());
    }
    return Optional.empty();
  }
}
