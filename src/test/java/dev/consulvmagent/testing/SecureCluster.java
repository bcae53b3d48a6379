package dev.consulvmagent.testing;

import dev.consulvmagent.consul.AclApi;
import dev.consulvmagent.consul.ConsulEndpoint;
import dev.consulvmagent.consul.ConsulHttp;
import dev.consulvmagent.render.Json;
import dev.consulvmagent.secure.ServerSecurity;
import dev.consulvmagent.spec.Secret;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The secrets of one secure test mesh and the configs of its REAL Consul 1.8.7 agents, as the
 * secure-mesh contract renders them (reference/real-consul.md, "a zero-step secure bootstrap
 * works"): a CA and server certificate made by the real {@code consul tls}, a gossip key, an EC
 * P-256 JWT key pair (JDK), a management token. Test-only stand-in for meshops' {@code mesh init}:
 * the values, not the renderer, are what these tests need.
 */
public final class SecureCluster {
  public static final String DC = "dc1";
  private final Path dir;
  private final String gossip;
  private final KeyPair jwtKeys;
  public final Secret management = new Secret(UUID.randomUUID().toString());

  private SecureCluster(Path dir, String gossip, KeyPair jwtKeys) {
    this.dir = dir;
    this.gossip = gossip;
    this.jwtKeys = jwtKeys;
  }

  public static SecureCluster create(Path dir) {
    RealConsul.require();
    try {
      Files.createDirectories(dir);
      run(dir, "tls", "ca", "create");
      run(dir, "tls", "cert", "create", "-server", "-dc", DC);
      byte[] g = new byte[32];
      new SecureRandom().nextBytes(g);
      KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
      kpg.initialize(new ECGenParameterSpec("secp256r1"));
      return new SecureCluster(dir, Base64.getEncoder().encodeToString(g), kpg.generateKeyPair());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void run(Path cwd, String... args) throws IOException {
    List<String> argv = new ArrayList<>(List.of(RealConsul.BINARY.toString()));
    argv.addAll(List.of(args));
    Process p = new ProcessBuilder(argv).directory(cwd.toFile()).redirectErrorStream(true).start();
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0)
        throw new IOException("consul " + String.join(" ", args) + " failed: " + out);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  public String gossipKey() {
    return gossip;
  }

  public String publicKeyPem() {
    String b64 =
        Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
            .encodeToString(jwtKeys.getPublic().getEncoded());
    return "-----BEGIN PUBLIC KEY-----\n" + b64 + "\n-----END PUBLIC KEY-----\n";
  }

  public Path caFile() {
    return dir.resolve("consul-agent-ca.pem");
  }

  /**
   * A server's config: TLS, gossip, ACLs deny with tokens.master and its agent token, auto_config.
   */
  public RealConsul.ConfigWriter server(Secret agentToken, int expect) {
    return cfg -> {
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("server", true);
      c.put("bootstrap_expect", expect);
      c.put("datacenter", DC);
      c.put("encrypt", gossip);
      c.put("ca_file", caFile().toString());
      c.put("cert_file", dir.resolve("dc1-server-consul-0.pem").toString());
      c.put("key_file", dir.resolve("dc1-server-consul-0-key.pem").toString());
      c.put("verify_incoming_rpc", true);
      c.put("verify_outgoing", true);
      c.put("verify_server_hostname", true);
      c.put("auto_encrypt", Map.of("allow_tls", true));
      c.put("connect", Map.of("enabled", true));
      c.put("enable_script_checks", false);
      c.put("disable_remote_exec", true);
      c.put(
          "acl",
          Map.of(
              "enabled",
              true,
              "default_policy",
              "deny",
              "enable_token_persistence",
              true,
              "tokens",
              Map.of("master", management.value(), "agent", agentToken.value())));
      c.put(
          "auto_config",
          Map.of(
              "authorization",
              Map.of(
                  "enabled",
                  true,
                  "static",
                  Map.of(
                      "jwt_validation_pub_keys", List.of(publicKeyPem()),
                      "bound_issuer", "consul-vm-agent:" + DC,
                      "bound_audiences", List.of("consul-auto-config"),
                      "claim_mappings", Map.of("node", "node"),
                      "claim_assertions", List.of("value.node == \"${node}\"")))));
      Files.write(cfg.resolve("server.json"), Json.render(c));
    };
  }

  /**
   * A server's security settings in this cluster (its datacenter, management token and JWT key):
   * node, its agent token, and the services that may keep their own intentions.
   */
  public ServerSecurity serverSecurity(String node, Secret agentToken, List<String> services) {
    return new ServerSecurity(node, DC, management, agentToken, publicKeyPem(), services);
  }

  /**
   * One server (bootstrap_expect 1) named node, in dir, with agentToken as its agent token; its
   * ACLs are not awaited ({@link #awaitAcls}).
   */
  public RealConsul startServer(Path dir, String node, Secret agentToken) {
    return RealConsul.named(
        dir, node, List.of("-server", "-bootstrap-expect=1"), server(agentToken, 1));
  }

  /**
   * Waits for server's leader and until it has made the management token from tokens.master (it
   * does so after the election): from then on admin, an AclApi with that token, can work.
   */
  public static void awaitAcls(RealConsul server, AclApi admin, Secret management) {
    server.awaitLeader();
    server.waitUntil(
        "the management token accepted",
        Duration.ofSeconds(60),
        () -> {
          try {
            return admin.tokenSelf(management).isPresent();
          } catch (RuntimeException e) {
            return false;
          }
        });
  }

  /** A client that joins by auto_config with the intro JWT in introFile. */
  public RealConsul.ConfigWriter client(Path introFile, int serverRpcPort) {
    return cfg -> {
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("datacenter", DC);
      c.put("ca_file", caFile().toString());
      c.put("verify_outgoing", true);
      c.put("verify_server_hostname", true);
      c.put("enable_script_checks", false);
      c.put("disable_remote_exec", true);
      c.put(
          "auto_config",
          Map.of(
              "enabled", true,
              "intro_token_file", introFile.toString(),
              "server_addresses", List.of("127.0.0.1:" + serverRpcPort)));
      Files.write(cfg.resolve("client.json"), Json.render(c));
    };
  }

  /** An intro JWT as the contract mints it (ES256; iss, aud, sub, node, service, exp, iat, jti). */
  public String jwt(String node, String service, Duration ttl) {
    try {
      long now = Instant.now().getEpochSecond();
      Map<String, Object> claims = new LinkedHashMap<>();
      claims.put("iss", "consul-vm-agent:" + DC);
      claims.put("aud", "consul-auto-config");
      claims.put("sub", node);
      claims.put("node", node);
      if (service != null) claims.put("service", service);
      claims.put("iat", now);
      claims.put("exp", now + ttl.toSeconds());
      claims.put("jti", UUID.randomUUID().toString());
      Base64.Encoder b = Base64.getUrlEncoder().withoutPadding();
      String h =
          b.encodeToString("{\"alg\":\"ES256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
      String p = b.encodeToString(Json.compact(claims).getBytes(StandardCharsets.UTF_8));
      Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
      s.initSign(jwtKeys.getPrivate());
      s.update((h + "." + p).getBytes(StandardCharsets.US_ASCII));
      return h + "." + p + "." + b.encodeToString(s.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A transport to agent with token (or none). */
  public static ConsulHttp http(RealConsul agent, Secret token) {
    ConsulEndpoint e = ConsulEndpoint.of(agent.httpAddr());
    if (token != null)
      e = new ConsulEndpoint(e.scheme(), e.address(), e.pathPrefix(), Optional.of(token), e.tls());
    return new ConsulHttp(e, Duration.ofSeconds(10));
  }
}
