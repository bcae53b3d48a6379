package dev.consulvmagent.secure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.consulvmagent.render.ConsulConfig;
import dev.consulvmagent.render.Json;
import dev.consulvmagent.spec.AgentSpec;
import dev.consulvmagent.spec.SpecLoader;
import dev.consulvmagent.spec.UserData;
import dev.consulvmagent.testing.RealConsul;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The secure mesh against the REAL Consul 1.8.7 (/usr/bin/consul), no doubles: a server and clients
 * on loopback whose configs are what {@code mesh init} + {@code mesh user-data} + the agent's own
 * rendering (ConsulConfig) make. Only what a loopback test must change is changed, in the rendered
 * maps, each key named below: ports, data_dir, the file paths of the TLS material and the intro
 * JWT, retry_join and auto_config.server_addresses (they carry the test's ports). What it shows:
 * the rendered configs pass {@code consul validate}; the server bootstraps ACLs from the rendered
 * management token and denies the anonymous caller; a client with a valid intro JWT joins, gossip
 * encrypted, with an agent token of its node identity; a JWT for another node, an expired one, one
 * signed by another key and an agent with no secrets never join; a plaintext client with the gossip
 * key cannot do RPC.
 */
class SecureMeshRealTest {
  static final String TEMPLATE_PATH = "/etc/consul-vm-agent/agent.yaml";
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

  @TempDir static Path tmp;
  static MeshDir mesh;
  static Agent server;
  static final List<Agent> started = new ArrayList<>();

  /** A cloud-config template as cloud-init/*.yaml carry the agent config. */
  static byte[] template(String agentYaml) {
    StringBuilder b = new StringBuilder("#cloud-config\nwrite_files:\n");
    b.append("  - path: ").append(TEMPLATE_PATH).append("\n    permissions: '0600'\n");
    b.append("    content: |\n");
    for (String l : agentYaml.split("\n")) b.append("      ").append(l).append('\n');
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  static String serverYaml() {
    return "consul:\n  version: \"1.8.7\"\n  role: server\n  datacenter: dc1\n"
        + "  node_name: srv\n  bind_addr: 127.0.0.1\n  bootstrap_expect: 1\n  ui: false\n"
        + "envoy:\n  version: \"1.14.5\"\n";
  }

  static String clientYaml(String node) {
    return "consul:\n  version: \"1.8.7\"\n  role: client\n  datacenter: dc1\n"
        + "  node_name: "
        + node
        + "\n  bind_addr: 127.0.0.1\n  retry_join: [127.0.0.1]\n"
        + "envoy:\n  version: \"1.14.5\"\n"
        + "service:\n  name: counting\n  port: 9003\n  transparent_proxy: false\n";
  }

  /** mesh user-data for one machine, read back as the agent on that machine reads it. */
  static AgentSpec rendered(String machine, String agentYaml, Instant now) {
    UserDataSecurity.Rendered r =
        UserDataSecurity.render(
            template(agentYaml),
            mesh,
            new UserDataSecurity.Request(
                machine, Optional.empty(), Duration.ofHours(1), TEMPLATE_PATH, now));
    return new SpecLoader().parse(UserData.extract(r.userData(), TEMPLATE_PATH));
  }

  @BeforeAll
  static void startServer() throws Exception {
    RealConsul.require();
    mesh = openMesh(tmp.resolve("mesh"));
    AgentSpec s = rendered("srv", serverYaml(), Instant.now());
    Map<String, Object> cfg = copy(ConsulConfig.agent(s.consul(), s.security()));
    // the rendered server: TLS both ways, ACLs default-deny, auto_config authorization
    assertThat(cfg)
        .containsEntry("verify_incoming_rpc", true)
        .containsEntry("verify_outgoing", true)
        .containsEntry("verify_server_hostname", true)
        .containsEntry("enable_script_checks", false)
        .containsEntry("disable_remote_exec", true)
        .containsEntry("auto_encrypt", Map.of("allow_tls", true));
    assertThat(cfg.get("acl")).isEqualTo(aclExpected());
    server = Agent.prepare(tmp.resolve("srv"), cfg, s, null);
    server.validate();
    server.start();
    server.await("a leader", Duration.ofSeconds(40), () -> server.leader());
    // ACLs bootstrapped from the rendered acl.tokens.master by themselves (no bootstrap call)
    server.await(
        "the management token to work",
        Duration.ofSeconds(20),
        () -> server.get("/v1/acl/token/self", mesh.managementToken().value()).code == 200);
  }

  static Map<String, Object> aclExpected() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("enabled", true);
    m.put("default_policy", "deny");
    m.put("enable_token_persistence", true);
    return m;
  }

  static MeshDir openMesh(Path dir) {
    MeshDir.init(
        dir, "dc1", "consul", List.of(MeshDir.ServerName.parse("srv=127.0.0.1")), Instant.now());
    return MeshDir.open(dir);
  }

  @AfterAll
  static void stop() {
    for (Agent a : started) a.close();
  }

  @Test
  void anonymousCaller_isDenied_andTheServerApiIsOnLoopbackOnly() {
    assertThat(server.get("/v1/kv/x", null).code).isEqualTo(403);
    Answer nodes = server.get("/v1/catalog/services", null);
    assertThat(nodes.code).isEqualTo(200);
    assertThat(nodes.body).doesNotContain("counting");
    Answer reg = server.put("/v1/agent/service/register", null, "{\"Name\":\"evil\",\"Port\":1}");
    assertThat(reg.code).isEqualTo(403);
    // enable_script_checks false: a script check over HTTP is refused even with the master token
    Answer script =
        server.put(
            "/v1/agent/check/register",
            mesh.managementToken().value(),
            "{\"Name\":\"x\",\"Args\":[\"/bin/true\"],\"Interval\":\"10s\"}");
    assertThat(script.code).isEqualTo(500);
    assertThat(script.body).contains("Scripts are disabled on this agent");
  }

  @Test
  void clients_withAValidJwt_join_andNoOneElse() throws Exception {
    // the good client and every bad one start together: refusals are waited for once
    AgentSpec good = rendered("client-a", clientYaml("client-a"), Instant.now());
    Agent a = client("client-a", good, good.security().introToken().orElseThrow().value(), null);

    // a JWT for client-b used by a machine calling itself client-c
    AgentSpec b = rendered("client-b", clientYaml("client-b"), Instant.now());
    Agent wrongNode =
        client("client-c", b, b.security().introToken().orElseThrow().value(), "client-c");

    // expired an hour ago (beyond Consul's clock leeway of about a minute)
    AgentSpec old =
        rendered("client-d", clientYaml("client-d"), Instant.now().minus(Duration.ofHours(2)));
    Agent expired =
        client("client-d", old, old.security().introToken().orElseThrow().value(), null);

    // signed by a key the servers do not know
    AgentSpec e = rendered("client-e", clientYaml("client-e"), Instant.now());
    KeyPair other = Pki.ecKeyPair();
    String forged =
        IntroToken.mint(
                other.getPrivate(),
                "dc1",
                "client-e",
                Optional.of("counting"),
                Duration.ofHours(1),
                Instant.now())
            .value();
    Agent otherKey = client("client-e", e, forged, null);

    // no secrets at all: an agent as today's insecure configs make it
    Agent bare = bareClient("client-f", false);
    // the gossip key but no TLS: gossip works, RPC must not
    Agent plain = bareClient("client-g", true);

    a.await(
        "client-a alive in the server's members",
        Duration.ofSeconds(40),
        () -> server.members().contains("client-a"));
    // gossip encrypted on the client (the key came from auto_config), and its agent token has
    // the node identity of client-a
    JsonNode self = JSON.readTree(a.get("/v1/agent/self", mesh.managementToken().value()).body);
    assertThat(self.path("Stats").path("serf_lan").path("encrypted").asText()).isEqualTo("true");
    JsonNode auto = JSON.readTree(Files.readString(a.dataDir.resolve("auto-config.json")));
    String agentToken = findToken(auto);
    JsonNode tok = JSON.readTree(a.get("/v1/acl/token/self", agentToken).body);
    assertThat(tok.path("NodeIdentities").get(0).path("NodeName").asText()).isEqualTo("client-a");
    assertThat(tok.path("Description").asText()).contains("client-a");
    // and the intro JWT is no longer needed: restarting without it comes back (real-consul.md)

    // plaintext RPC through client-g (which has the gossip key) is refused by the server
    plain.await(
        "client-g's HTTP API",
        Duration.ofSeconds(20),
        () -> plain.get("/v1/agent/self", null).code > 0);
    Answer rpc = plain.get("/v1/catalog/nodes", null);
    assertThat(rpc.code).as("plaintext RPC answer: %s", rpc.body).isNotEqualTo(200);

    // the refused ones: give them the time the good one needed, twice over
    Thread.sleep(8000);
    List<String> members = server.members();
    assertThat(members).contains("client-a").doesNotContain("client-c", "client-d", "client-e");
    assertThat(members).doesNotContain("client-f");
    for (Agent bad : List.of(wrongNode, expired, otherKey)) {
      // never configured: it never started (a port probe could meet another process's agent)
      assertThat(bad.log()).as(bad.name).doesNotContain("Consul agent running!");
      assertThat(Files.exists(bad.dataDir.resolve("auto-config.json"))).isFalse();
    }
    // each refused for its own reason (the server's answers, as 1.8.7 words them)
    assertThat(wrongNode.log()).contains("Permission denied: Failed JWT claim assertion");
    assertThat(expired.log()).contains("token is expired (exp)");
    assertThat(otherKey.log()).contains("no known key successfully validated the token signature");
    assertThat(bare.log()).contains("couldn't join");
    assertThat(rpc.body).contains("rpc error");

    // the JWT is needed only once: client-a restarts from auto-config.json without it
    a.close();
    Files.delete(a.dir.resolve("intro-token.jwt"));
    a.start();
    a.await(
        "client-a back after a restart without its JWT",
        Duration.ofSeconds(30),
        () -> a.get("/v1/agent/self", mesh.managementToken().value()).code == 200);
  }

  /**
   * The shipped templates (Consul and Envoy versions set to the real 1.8.7's), completed by mesh
   * user-data and rendered: real consul validate accepts them. The seed server's client_addr is
   * 0.0.0.0, so its API is HTTP on loopback and HTTPS on 0.0.0.0.
   */
  @Test
  void shippedTemplates_renderedSecure_passRealConsulValidate() throws Exception {
    for (String m : List.of("consul-server", "counting")) {
      String t =
          Files.readString(Path.of("cloud-init/" + m + ".yaml"))
              .replace("version: \"1.16.6\"", "version: \"1.8.7\"")
              .replace("version: \"1.26.8\"", "version: \"1.14.5\"")
              .replace(
                  "      service:\n        name: counting\n",
                  "      service:\n        name: counting\n        transparent_proxy: false\n");
      MeshDir.init(
          mesh.path(),
          "dc1",
          "consul",
          List.of(MeshDir.ServerName.parse("consul-server=192.0.2.10")),
          Instant.now());
      UserDataSecurity.Rendered r =
          UserDataSecurity.render(
              t.getBytes(StandardCharsets.UTF_8),
              mesh,
              new UserDataSecurity.Request(
                  m, Optional.empty(), Duration.ofHours(1), TEMPLATE_PATH, Instant.now()));
      AgentSpec s = new SpecLoader().parse(UserData.extract(r.userData(), TEMPLATE_PATH));
      Map<String, Object> cfg = copy(ConsulConfig.agent(s.consul(), s.security()));
      if (m.equals("consul-server")) {
        assertThat(cfg.get("addresses")).isEqualTo(Map.of("http", "127.0.0.1", "https", "0.0.0.0"));
        assertThat(cfg.get("ports")).isEqualTo(Map.of("grpc", 8502, "dns", 8600, "https", 8501));
        assertThat(cfg).containsEntry("client_addr", "0.0.0.0");
      }
      Agent a =
          Agent.prepare(
              tmp.resolve("shipped-" + m),
              cfg,
              s,
              s.security().introToken().map(x -> x.value()).orElse(null));
      a.validate();
    }
  }

  static String findToken(JsonNode auto) {
    // auto-config.json (1.8.7): {"Config": {"ACL": {"Tokens": {"Agent": "…"}}}, …}
    JsonNode t = auto.findPath("Tokens").path("Agent");
    if (t.isMissingNode() || t.asText().isEmpty()) fail("no agent token in auto-config.json");
    return t.asText();
  }

  /** A client rendered by our code; jwt is what its intro-token file holds; node overrides. */
  static Agent client(String dirName, AgentSpec s, String jwt, String node) throws Exception {
    Map<String, Object> cfg = copy(ConsulConfig.agent(s.consul(), s.security()));
    @SuppressWarnings("unchecked")
    Map<String, Object> ac = (Map<String, Object>) cfg.get("auto_config");
    assertThat(ac)
        .containsEntry("enabled", true)
        .containsEntry("intro_token_file", ConsulConfig.INTRO_TOKEN_FILE)
        .containsEntry("server_addresses", List.of("127.0.0.1"));
    assertThat(cfg).doesNotContainKeys("encrypt", "acl", "cert_file", "key_file");
    assertThat(ConsulConfig.secrets(s.consul(), s.security())).isEmpty();
    if (node != null) cfg.put("node_name", node);
    Agent a = Agent.prepare(tmp.resolve(dirName), cfg, s, jwt);
    a.validate();
    a.start();
    return a;
  }

  /** An agent with none of the mesh's secrets (withGossip: only the gossip key). */
  static Agent bareClient(String node, boolean withGossip) throws Exception {
    Map<String, Object> cfg = new LinkedHashMap<>();
    cfg.put("node_name", node);
    cfg.put("datacenter", "dc1");
    cfg.put("bind_addr", "127.0.0.1");
    cfg.put("client_addr", "127.0.0.1");
    cfg.put("retry_join", List.of("127.0.0.1"));
    if (withGossip) cfg.put("encrypt", mesh.gossip().value());
    Agent a = Agent.prepare(tmp.resolve(node), cfg, null, null);
    a.start();
    return a;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> copy(Map<String, Object> m) throws IOException {
    return JSON.readValue(Json.render(m), LinkedHashMap.class);
  }

  record Answer(int code, String body) {}

  /** One real agent process with its own directory and ports. */
  static final class Agent implements AutoCloseable {
    final String name;
    final Path dir;
    final Path dataDir;
    RealConsul.Listeners ports;
    Process process;

    private Agent(String name, Path dir, RealConsul.Listeners ports) {
      this.name = name;
      this.dir = dir;
      this.dataDir = dir.resolve("data");
      this.ports = ports;
    }

    /**
     * Writes consul.json (the rendered map with the loopback changes) and secrets.json (as
     * rendered), and the security files the agent's ConsulModule would write, into dir.
     */
    static Agent prepare(Path dir, Map<String, Object> cfg, AgentSpec s, String jwt)
        throws IOException {
      RealConsul.Listeners p = RealConsul.reserve();
      Agent a = new Agent(String.valueOf(cfg.get("node_name")), dir, p);
      Path conf = Files.createDirectories(dir.resolve("config"));
      Files.createDirectories(a.dataDir);
      Map<String, Object> ports = new LinkedHashMap<>();
      ports.put("http", p.http());
      ports.put("dns", p.dns());
      ports.put("serf_lan", p.serfLan());
      ports.put("serf_wan", p.serfWan());
      ports.put("server", p.server());
      ports.put("grpc", p.grpc());
      if (cfg.get("ports") instanceof Map<?, ?> rendered && rendered.containsKey("https"))
        ports.put("https", RealConsul.reserve().http()); // the HTTPS listener stays, on a free port
      cfg.put("ports", ports);
      cfg.put("data_dir", a.dataDir.toString());
      cfg.put("disable_update_check", true);
      cfg.put("log_level", "debug");
      if (server != null) {
        cfg.put("retry_join", List.of("127.0.0.1:" + server.ports.serfLan()));
        cfg.put("retry_interval", "1s");
      }
      if (s != null) {
        Path ca = Files.writeString(dir.resolve("ca.pem"), s.security().caCert().orElseThrow());
        cfg.put("ca_file", ca.toString());
        if (s.security().serverCert().isPresent()) {
          cfg.put(
              "cert_file",
              Files.writeString(dir.resolve("server.pem"), s.security().serverCert().get())
                  .toString());
          cfg.put(
              "key_file",
              Files.writeString(
                      dir.resolve("server-key.pem"), s.security().serverKey().get().value())
                  .toString());
        }
        if (jwt != null) {
          Path j = Files.writeString(dir.resolve("intro-token.jwt"), jwt);
          @SuppressWarnings("unchecked")
          Map<String, Object> ac = (Map<String, Object>) cfg.get("auto_config");
          ac.put("intro_token_file", j.toString());
          ac.put("server_addresses", List.of("127.0.0.1:" + server.ports.server()));
        }
        Map<String, Object> secrets = ConsulConfig.secrets(s.consul(), s.security());
        if (!secrets.isEmpty()) Files.write(conf.resolve("secrets.json"), Json.render(secrets));
      }
      Files.write(conf.resolve("consul.json"), Json.render(cfg));
      return a;
    }

    void validate() throws Exception {
      Process v =
          new ProcessBuilder(
                  RealConsul.BINARY.toString(), "validate", dir.resolve("config").toString())
              .redirectErrorStream(true)
              .start();
      String out = new String(v.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(v.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(v.exitValue()).as("consul validate: %s", out).isZero();
    }

    /**
     * Starts the agent; when another process took one of its reserved ports meanwhile (a shared
     * machine), it gets new ports and starts again (at most three times).
     */
    void start() throws IOException {
      for (int attempt = 1; ; attempt++) {
        launch();
        long end = System.nanoTime() + Duration.ofMillis(1500).toNanos();
        while (System.nanoTime() < end && process.isAlive() && !log().contains("agent running!")) {
          try {
            Thread.sleep(50);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
        }
        if (process.isAlive() || !log().contains("address already in use") || attempt == 3) return;
        Path conf = dir.resolve("config/consul.json");
        @SuppressWarnings("unchecked")
        Map<String, Object> cfg = JSON.readValue(conf.toFile(), LinkedHashMap.class);
        @SuppressWarnings("unchecked")
        Map<String, Object> ports = (Map<String, Object>) cfg.get("ports");
        RealConsul.Listeners p = RealConsul.reserve();
        ports.put("http", p.http());
        ports.put("dns", p.dns());
        ports.put("serf_lan", p.serfLan());
        ports.put("serf_wan", p.serfWan());
        ports.put("server", p.server());
        ports.put("grpc", p.grpc());
        Files.write(conf, Json.render(cfg));
        this.ports = p;
      }
    }

    private void launch() throws IOException {
      ProcessBuilder pb =
          new ProcessBuilder(
                  RealConsul.BINARY.toString(), "agent", "-config-dir=" + dir.resolve("config"))
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("consul.log").toFile());
      pb.environment().remove("CONSUL_HTTP_TOKEN");
      pb.environment().remove("CONSUL_HTTP_ADDR");
      pb.environment().remove("NOTIFY_SOCKET");
      process = pb.start();
      started.add(this);
    }

    String log() {
      try {
        return Files.readString(dir.resolve("consul.log"));
      } catch (IOException e) {
        return "(no log)";
      }
    }

    Answer get(String path, String token) {
      return call("GET", path, token, null);
    }

    Answer put(String path, String token, String body) {
      return call("PUT", path, token, body);
    }

    Answer call(String method, String path, String token, String body) {
      HttpRequest.Builder b =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports.http() + path))
              .timeout(Duration.ofSeconds(5))
              .method(
                  method,
                  body == null
                      ? HttpRequest.BodyPublishers.noBody()
                      : HttpRequest.BodyPublishers.ofString(body));
      if (token != null) b.header("X-Consul-Token", token);
      try {
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body());
      } catch (IOException e) {
        return new Answer(-1, e.toString());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return new Answer(-1, "interrupted");
      }
    }

    boolean httpAnswers() {
      return get("/v1/status/leader", null).code > 0;
    }

    boolean leader() {
      Answer a = get("/v1/status/leader", null);
      return a.code == 200 && a.body.length() > 4;
    }

    List<String> members() {
      Answer a = get("/v1/agent/members", mesh.managementToken().value());
      List<String> out = new ArrayList<>();
      try {
        for (JsonNode m : JSON.readTree(a.body))
          if (m.path("Status").asInt() == 1) out.add(m.path("Name").asText());
      } catch (IOException e) {
        fail("members: " + a.code + " " + a.body);
      }
      return out;
    }

    void await(String what, Duration d, BooleanSupplier ok) {
      long end = System.nanoTime() + d.toNanos();
      while (!ok.getAsBoolean()) {
        if (!process.isAlive()) fail(name + " exited while waiting for " + what + ":\n" + tail());
        if (System.nanoTime() > end) fail(name + ": no " + what + " within " + d + ":\n" + tail());
        try {
          Thread.sleep(200);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          fail("interrupted");
        }
      }
    }

    String tail() {
      String l = log();
      return l.length() > 6000 ? l.substring(l.length() - 6000) : l;
    }

    @Override
    public void close() {
      if (process == null) return;
      process.destroy();
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
