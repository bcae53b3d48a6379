package dev.consulvmagent.consul;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.consulvmagent.render.Json;
import dev.consulvmagent.sidecar.Registration;
import dev.consulvmagent.spec.MeshService;
import dev.consulvmagent.spec.ServiceConfig;
import dev.consulvmagent.testing.RealConsul;
import dev.consulvmagent.testing.Recorded;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The recorded real responses (src/test/resources/recorded/consul-1.8.7/) that the WireMock stubs
 * and the consul double repeat. Each run asks REAL Consul 1.8.7 agents the same questions in the
 * same set-up and checks that each answer still has the recorded status, content type and shape
 * (every key, every JSON type; texts exactly). With -Dconsul.record=true it rewrites the recordings
 * instead: {@code mvn -o test -Dtest=RecordedResponsesRealTest -Dconsul.record=true}.
 */
class RecordedResponsesRealTest {
  static final boolean RECORD = Boolean.getBoolean("consul.record");
  static final Path OUT = Path.of("src/test/resources", Recorded.DIR);
  static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  final Map<String, String> seen = new TreeMap<>();

  static MeshService web(int port) {
    return ServiceConfig.parse(
            ("{\"annotations\": {\"consul.hashicorp.com/connect-service\": \"web\","
                    + " \"consul.hashicorp.com/connect-service-port\": \""
                    + port
                    + "\", \"consul.hashicorp.com/service-tags\": \"v1,blue\","
                    + " \"consul.hashicorp.com/service-meta-team\": \"payments\","
                    + " \"consul.hashicorp.com/transparent-proxy\": \"false\","
                    + " \"consul.hashicorp.com/connect-service-upstreams\": \"counting:9191:dc2,"
                    + " prepared_query:nearest-db:9192\","
                    + " \"consul.hashicorp.com/proxy-config-map\": \"{\\\"protocol\\\":"
                    + " \\\"http\\\"}\"}}")
                .getBytes(),
            "")
        .mesh();
  }

  static MeshService plain(String name, int port, boolean connect) {
    return ServiceConfig.parse(
            ("{\"annotations\": {\"consul.hashicorp.com/connect-service\": \""
                    + name
                    + "\","
                    + " \"consul.hashicorp.com/connect-service-port\": \""
                    + port
                    + "\", \"consul.hashicorp.com/transparent-proxy\": \"false\","
                    + " \"consul.hashicorp.com/connect-inject\": \""
                    + connect
                    + "\"}}")
                .getBytes(),
            "")
        .mesh();
  }

  static RealConsul.ConfigWriter writes(String file, MeshService m) {
    return d -> Files.write(d.resolve(file), Json.render(Registration.document(m, "1.8.7")));
  }

  /** Asks {@code agent} and records (or checks against the recording) under {@code name}. */
  void ask(RealConsul agent, String name, String method, String path, String setup)
      throws Exception {
    HttpRequest.Builder rb =
        HttpRequest.newBuilder(URI.create(agent.httpAddr() + path)).timeout(Duration.ofSeconds(10));
    rb = method.equals("PUT") ? rb.PUT(HttpRequest.BodyPublishers.noBody()) : rb.GET();
    HttpResponse<String> r = HTTP.send(rb.build(), HttpResponse.BodyHandlers.ofString());
    String type = r.headers().firstValue("Content-Type").orElse("");
    JsonNode body;
    if (type.equals("application/json")) body = Json.mapper().readTree(r.body());
    else body = Json.mapper().getNodeFactory().textNode(r.body());
    if (RECORD) {
      ObjectNode doc = Json.mapper().createObjectNode();
      doc.put(
          "recorded_with",
          "Consul v1.8.7 (Debian package consul 1.8.7+dfsg1-2+b3, /usr/bin/consul)");
      doc.put("recorded_on", LocalDate.now(ZoneOffset.UTC).toString());
      doc.put("setup", setup);
      doc.put("request", method + " " + path);
      doc.put("status", r.statusCode());
      doc.put("content_type", type);
      doc.set("body", body);
      Files.createDirectories(OUT);
      Files.writeString(OUT.resolve(name + ".json"), doc.toPrettyString() + "\n");
      return;
    }
    Recorded rec = Recorded.load(name);
    assertThat(rec.request()).isEqualTo(method + " " + path);
    assertThat(r.statusCode()).as(name + ": status").isEqualTo(rec.status());
    assertThat(type).as(name + ": content type").isEqualTo(rec.contentType());
    if (!type.equals("application/json"))
      assertThat(body.asText()).as(name + ": text").isEqualTo(rec.body().asText());
    else assertThat(shape(body)).as(name + ": shape").isEqualTo(shape(rec.body()));
    seen.put(name, rec.request());
  }

  /** Keys and JSON types, not values (ports, node IDs and hashes differ from run to run). */
  static Object shape(JsonNode n) {
    if (n.isObject()) {
      Map<String, Object> m = new TreeMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        m.put(e.getKey(), shape(e.getValue()));
      }
      return m;
    }
    if (n.isArray()) {
      TreeSet<String> kinds = new TreeSet<>();
      n.forEach(e -> kinds.add(String.valueOf(shape(e))));
      return kinds.isEmpty() ? "[]" : "[" + String.join(" | ", kinds) + "]";
    }
    // an empty string (the leader of a server without quorum) is a state of its own
    return n.isTextual() && n.asText().isEmpty() ? "EMPTY_STRING" : n.getNodeType().name();
  }

  @Test
  void theRealAgentStillAnswersAsRecorded(@TempDir Path tmp) throws Exception {
    ServerSocket app = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    MeshService web = web(app.getLocalPort());
    String devSetup =
        "consul agent -dev on loopback, config dir: the rendered registration of web (tags v1,blue;"
            + " meta team; upstreams counting:9191:dc2 and prepared_query:nearest-db:9192; proxy"
            + " config protocol http)";
    try (RealConsul dev =
        RealConsul.dev(tmp.resolve("dev"), writes("service-registration.json", web))) {
      dev.awaitLeader().awaitService("web-sidecar-proxy");
      int sidecarPort = dev.api().service("web-sidecar-proxy").orElseThrow().port();
      ServerSocket envoy = listen(sidecarPort);
      dev.waitUntil(
          "all checks passing",
          Duration.ofSeconds(30),
          () -> allPassing(dev),
          () -> dev.api().checks().toString());
      String up = devSetup + "; web's port and the sidecar's port listening, all checks passed";
      ask(dev, "status-leader", "GET", "/v1/status/leader", devSetup);
      ask(dev, "agent-self", "GET", "/v1/agent/self", devSetup);
      ask(dev, "agent-members", "GET", "/v1/agent/members", devSetup);
      ask(dev, "agent-services", "GET", "/v1/agent/services", devSetup);
      ask(dev, "agent-service-web", "GET", "/v1/agent/service/web", devSetup);
      ask(
          dev,
          "agent-service-web-sidecar-proxy",
          "GET",
          "/v1/agent/service/web-sidecar-proxy",
          devSetup);
      ask(dev, "agent-service-unknown", "GET", "/v1/agent/service/nope", devSetup);
      ask(dev, "agent-checks-passing", "GET", "/v1/agent/checks", up);
      ask(dev, "agent-reload", "PUT", "/v1/agent/reload", devSetup);
      ask(dev, "agent-reload-get", "GET", "/v1/agent/reload", devSetup);
      app.close();
      if (envoy != null) envoy.close();
      dev.waitUntil(
          "web's and the sidecar's checks critical",
          Duration.ofSeconds(30),
          () -> allCritical(dev),
          () -> dev.api().checks().toString());
      ask(
          dev,
          "agent-checks-critical",
          "GET",
          "/v1/agent/checks",
          devSetup
              + "; nothing listening on web's nor the sidecar's port,"
              + " each check ran and failed");
    } finally {
      app.close();
    }

    String other =
        "consul agent -dev, config dir: web registered without a sidecar (connect-inject false),"
            + " api with its sidecar";
    try (RealConsul dev =
        RealConsul.dev(
            tmp.resolve("other"),
            d -> {
              writes("web.json", plain("web", 18080, false)).write(d);
              writes("api.json", plain("api", 18081, true)).write(d);
            })) {
      dev.awaitService("web").awaitService("api-sidecar-proxy");
      ask(dev, "agent-services-sidecar-of-another-service", "GET", "/v1/agent/services", other);
    }

    try (RealConsul lonely = RealConsul.clientWithoutServer(tmp.resolve("lonely"))) {
      ask(
          lonely,
          "status-leader-no-known-servers",
          "GET",
          "/v1/status/leader",
          "a client agent whose -retry-join names no server");
      ask(
          lonely,
          "agent-services-empty",
          "GET",
          "/v1/agent/services",
          "a client agent with an empty config dir");
    }
    try (RealConsul waiting = RealConsul.server(tmp.resolve("waiting"), 2)) {
      ask(
          waiting,
          "status-leader-no-quorum",
          "GET",
          "/v1/status/leader",
          "consul agent -server -bootstrap-expect=2, alone");
    }
    String acl =
        "{\"acl\": {\"enabled\": true, \"default_policy\": \"deny\", \"tokens\": {\"master\":"
            + " \"rec0rd-only\"}}}";
    try (RealConsul locked =
        RealConsul.dev(
            tmp.resolve("acl"),
            d -> {
              Files.writeString(d.resolve("acl.json"), acl);
              writes("service-registration.json", plain("web", 18080, true)).write(d);
            })) {
      locked.awaitLeader();
      String s =
          "consul agent -dev with acl.enabled, default_policy deny; the request has no token";
      ask(locked, "acl-agent-self-denied", "GET", "/v1/agent/self", s);
      ask(locked, "acl-agent-services-no-token", "GET", "/v1/agent/services", s);
    }
    if (!RECORD) {
      // every recording is checked here (a new file without a question in this test fails)
      try (var files = Files.list(OUT)) {
        Map<String, String> all = new LinkedHashMap<>();
        files
            .map(p -> p.getFileName().toString())
            .filter(f -> f.endsWith(".json"))
            .sorted()
            .forEach(f -> all.put(f.substring(0, f.length() - 5), ""));
        assertThat(seen.keySet()).containsExactlyInAnyOrderElementsOf(all.keySet());
      }
    }
  }

  private static boolean allPassing(RealConsul c) {
    return statuses(c).equals(new TreeSet<>(List.of("passing")));
  }

  private static boolean allCritical(RealConsul c) {
    JsonNode checks = c.json("/v1/agent/checks");
    for (JsonNode ch : checks) {
      if (!"critical".equals(ch.path("Status").asText()) || ch.path("Output").asText().isEmpty())
        return false;
    }
    return checks.size() == 3;
  }

  private static TreeSet<String> statuses(RealConsul c) {
    TreeSet<String> s = new TreeSet<>();
    JsonNode checks = c.json("/v1/agent/checks");
    checks.forEach(ch -> s.add(ch.path("Status").asText()));
    return checks.size() == 3 ? s : new TreeSet<>();
  }

  private static ServerSocket listen(int port) {
    try {
      return new ServerSocket(port, 50, InetAddress.getLoopbackAddress());
    } catch (IOException inUse) {
      return null;
    }
  }
}
