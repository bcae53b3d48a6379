package dev.consulvmagent.consul;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.consulvmagent.render.Json;
import dev.consulvmagent.sidecar.Registration;
import dev.consulvmagent.testing.RealConsul;
import dev.consulvmagent.testing.Recorded;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The consul double (scripts/test-doubles/consul-double.py, as Consul "1.8.7") answers what the
 * recorded real responses show: same status, content type and shape for the same set-up (a subset
 * of the keys for /v1/agent/self and members, which it cuts down); and its DNS answers carry the
 * real agent's flags.
 */
class ConsulDoubleMatchesRealTest {
  static final Path DOUBLE = Path.of("scripts/test-doubles/consul-double.py");
  static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  record Double(Process p, String url, int dns) implements AutoCloseable {
    @Override
    public void close() throws InterruptedException {
      p.destroy();
      if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly();
    }
  }

  static Double start(Path config, RealConsul.Listeners ports) throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(
                "python3",
                DOUBLE.toString(),
                "agent",
                "-config-dir=" + config,
                "-http-port=" + ports.http(),
                "-dns-port=" + ports.dns(),
                "-node=dev-1")
            .redirectErrorStream(true)
            .redirectOutput(config.resolveSibling(config.getFileName() + ".log").toFile());
    pb.environment().put("CONSUL_DOUBLE_VERSION", "1.8.7");
    pb.environment().put("CONSUL_DOUBLE_ELECTION_SECONDS", "0");
    pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
    pb.environment().remove("NOTIFY_SOCKET");
    Double d = new Double(pb.start(), "http://127.0.0.1:" + ports.http(), ports.dns());
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try {
        get(d, "/v1/agent/self");
        return d;
      } catch (IOException notYet) {
        assertThat(d.p().isAlive()).as("the double runs").isTrue();
        assertThat(System.nanoTime()).as("the double answers within 20s").isLessThan(end);
        Thread.sleep(100);
      }
    }
  }

  static HttpResponse<String> get(Double d, String path) throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(d.url() + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> put(Double d, String path) throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(d.url() + path))
            .PUT(HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /**
   * Status, content type, and the body: exact text, same shape, or (subset) no key the real one
   * lacks.
   */
  static void matches(HttpResponse<String> r, String recording, boolean subset) throws IOException {
    Recorded rec = Recorded.load(recording);
    assertThat(r.statusCode()).as(recording + ": status").isEqualTo(rec.status());
    String type = r.headers().firstValue("Content-Type").orElse("");
    assertThat(type).as(recording + ": content type").isEqualTo(rec.contentType());
    if (!type.equals("application/json")) {
      assertThat(r.body()).as(recording + ": text").isEqualTo(rec.body().asText());
      return;
    }
    Object got = RecordedResponsesRealTest.shape(Json.mapper().readTree(r.body()));
    Object want = RecordedResponsesRealTest.shape(rec.body());
    if (subset) assertSubset(recording, got, want);
    else assertThat(got).as(recording + ": shape").isEqualTo(want);
  }

  @SuppressWarnings("unchecked")
  static void assertSubset(String where, Object got, Object want) {
    if (got instanceof Map<?, ?> g) {
      assertThat(want).as(where + " is an object").isInstanceOf(Map.class);
      Map<String, Object> w = (Map<String, Object>) want;
      for (Map.Entry<?, ?> e : g.entrySet()) {
        assertThat(w)
            .as(where + ": the real answer has " + e.getKey())
            .containsKey((String) e.getKey());
        assertSubset(where + "." + e.getKey(), e.getValue(), w.get(e.getKey()));
      }
    } else if (!(got instanceof String s
        && s.startsWith("[")
        && String.valueOf(want).startsWith("["))) {
      assertThat(got).as(where).isEqualTo(want);
    }
  }

  @Test
  void httpAnswers_matchTheRecordings(@TempDir Path tmp) throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 runs the double");
    Path cfg = Files.createDirectories(tmp.resolve("dev"));
    Files.writeString(cfg.resolve("consul.json"), "{\"server\": true, \"bootstrap_expect\": 1}");
    Files.write(
        cfg.resolve("service-registration.json"),
        Json.render(Registration.document(RecordedResponsesRealTest.web(1), "1.8.7")));
    try (Double d = start(cfg, RealConsul.reserve())) {
      matches(get(d, "/v1/status/leader"), "status-leader", false);
      matches(get(d, "/v1/agent/services"), "agent-services", false);
      matches(get(d, "/v1/agent/service/web"), "agent-service-web", false);
      matches(
          get(d, "/v1/agent/service/web-sidecar-proxy"), "agent-service-web-sidecar-proxy", false);
      matches(get(d, "/v1/agent/service/nope"), "agent-service-unknown", false);
      matches(put(d, "/v1/agent/reload"), "agent-reload", false);
      matches(get(d, "/v1/agent/reload"), "agent-reload-get", false);
      matches(get(d, "/v1/agent/self"), "agent-self", true);
      matches(get(d, "/v1/agent/members"), "agent-members", true);
      // checks run first within one interval (10s), as the real agent's
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (get(d, "/v1/agent/checks").body().contains("\"Output\": \"\"")) {
        assertThat(System.nanoTime()).as("the double's checks ran within 20s").isLessThan(end);
        Thread.sleep(200);
      }
      HttpResponse<String> checks = get(d, "/v1/agent/checks");
      matches(checks, "agent-checks-critical", false);
      JsonNode c = Json.mapper().readTree(checks.body());
      assertThat(c.path("service:web").path("Output").asText())
          .isEqualTo("dial tcp 127.0.0.1:1: connect: connection refused");
      assertThat(c.path("service:web-sidecar-proxy:2").path("Output").asText())
          .isEqualTo(
              "Aliased check \"web listening\" failing: dial tcp 127.0.0.1:1: connect: connection"
                  + " refused");
    }
    Path other = Files.createDirectories(tmp.resolve("other"));
    Files.write(
        other.resolve("web.json"),
        Json.render(
            Registration.document(RecordedResponsesRealTest.plain("web", 18080, false), "1.8.7")));
    Files.write(
        other.resolve("api.json"),
        Json.render(
            Registration.document(RecordedResponsesRealTest.plain("api", 18081, true), "1.8.7")));
    Files.writeString(other.resolve("consul.json"), "{\"retry_join\": [\"192.0.2.1\"]}");
    try (Double d = start(other, RealConsul.reserve())) {
      matches(get(d, "/v1/agent/services"), "agent-services-sidecar-of-another-service", false);
      matches(get(d, "/v1/status/leader"), "status-leader-no-known-servers", false);
    }
  }

  @Test
  void dnsFlags_matchTheRealAgent(@TempDir Path tmp) throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 runs the double");
    Path cfg = Files.createDirectories(tmp.resolve("dbl"));
    Files.writeString(cfg.resolve("consul.json"), "{\"server\": true, \"bootstrap_expect\": 1}");
    try (RealConsul real = RealConsul.dev(tmp.resolve("real"), c -> {}).awaitLeader();
        Double d = start(cfg, RealConsul.reserve())) {
      for (String name :
          List.of(
              "consul.service.consul", "nope.service.consul", "dev-1.node.consul", "example.com")) {
        int[] want = flagsAndAnswers(real.ports().dns(), name.replace("dev-1", real.node()));
        int[] got = flagsAndAnswers(d.dns(), name);
        assertThat(got).as(name + ": flags and answer count").containsExactly(want);
      }
    }
  }

  /** One A query with RD set: {flags, ANCOUNT}. */
  static int[] flagsAndAnswers(int port, String name) throws IOException {
    ByteBuffer q = ByteBuffer.allocate(512);
    q.putShort((short) 0x1234)
        .putShort((short) 0x0100)
        .putShort((short) 1)
        .putShort((short) 0)
        .putInt(0);
    for (String l : name.split("\\.")) {
      q.put((byte) l.length()).put(l.getBytes());
    }
    q.put((byte) 0).putShort((short) 1).putShort((short) 1);
    try (DatagramSocket s = new DatagramSocket()) {
      s.setSoTimeout(3000);
      s.send(new DatagramPacket(q.array(), q.position(), new InetSocketAddress("127.0.0.1", port)));
      byte[] buf = new byte[1500];
      DatagramPacket p = new DatagramPacket(buf, buf.length);
      s.receive(p);
      ByteBuffer b = ByteBuffer.wrap(buf);
      return new int[] {b.getShort(2) & 0xffff, b.getShort(6) & 0xffff};
    }
  }
}
