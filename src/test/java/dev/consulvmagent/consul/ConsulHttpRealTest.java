package dev.consulvmagent.consul;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.consulvmagent.spec.Secret;
import dev.consulvmagent.testing.RealConsul;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The transport's failure kinds and blocking queries against a REAL Consul 1.8.7 (-dev, ACLs on
 * with default deny and a master token), so the mapping is what the real agent answers.
 */
class ConsulHttpRealTest {
  static final String MASTER = "8d4a3f3e-0c3b-4f51-9a7e-2b0f6f1c9d11";
  @TempDir static Path tmp;
  static RealConsul agent;

  @BeforeAll
  static void start() {
    agent =
        RealConsul.dev(
                tmp,
                dir ->
                    Files.writeString(
                        dir.resolve("acl.json"),
                        "{\"addresses\": {\"http\": \"127.0.0.1 unix://"
                            + tmp.resolve("http.sock")
                            + "\"}, \"acl\": {\"enabled\": true, \"default_policy\": \"deny\","
                            + " \"tokens\": {\"master\": \""
                            + MASTER
                            + "\", \"agent\": \""
                            + MASTER
                            + "\"}}}"))
            .awaitLeader();
  }

  @AfterAll
  static void stop() {
    if (agent != null) agent.close();
  }

  private static ConsulHttp http(String token) {
    ConsulEndpoint base = ConsulEndpoint.of(agent.httpAddr());
    ConsulEndpoint e =
        new ConsulEndpoint(
            base.scheme(),
            base.address(),
            "",
            token == null ? Optional.empty() : Optional.of(new Secret(token)),
            base.tls());
    return new ConsulHttp(e, Duration.ofSeconds(5));
  }

  @Test
  void missingKey_isNotFound_withAnIndexToBlockOn() {
    assertThatThrownBy(() -> http(MASTER).get("/v1/kv/nothing-here", ConsulQuery.NONE, "key:read"))
        .isInstanceOfSatisfying(
            ConsulNotFoundException.class, e -> assertThat(e.index()).isPositive());
  }

  @Test
  void noToken_isPermissionDenied_namingTheAclTheCallNeeds() {
    assertThatThrownBy(
            () ->
                http(null).put("/v1/kv/x", "v".getBytes(), ConsulQuery.NONE, "key:write on \"x\""))
        .isInstanceOfSatisfying(
            ConsulPermissionDeniedException.class,
            e -> {
              assertThat(e.requiredAcl()).isEqualTo("key:write on \"x\"");
              assertThat(e.getMessage()).contains("Permission denied").doesNotContain(MASTER);
              assertThat(e.tokenUnknown()).isFalse();
            });
  }

  @Test
  void unknownToken_isPermissionDenied_thatSaysTheTokenIsUnknown() {
    assertThatThrownBy(
            () ->
                http("00000000-0000-4000-8000-000000000000")
                    .get("/v1/kv/x", ConsulQuery.NONE, "key:read"))
        .isInstanceOfSatisfying(
            ConsulPermissionDeniedException.class, e -> assertThat(e.tokenUnknown()).isTrue());
  }

  @Test
  void blockingQuery_returnsOnAChange_withTheNewIndex() throws Exception {
    ConsulHttp h = http(MASTER);
    h.put("/v1/kv/" + ConsulHttp.key("blk/a"), "1".getBytes(), ConsulQuery.NONE, "key:write");
    ConsulResponse first = h.get("/v1/kv/blk/a", ConsulQuery.NONE, "key:read");
    assertThat(first.index()).isPositive();
    assertThat(first.knownLeader()).isTrue();
    Thread writer =
        new Thread(
            () -> {
              try {
                Thread.sleep(300);
                h.put("/v1/kv/blk/a", "2".getBytes(), ConsulQuery.NONE, "key:write");
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    writer.start();
    long t0 = System.nanoTime();
    ConsulResponse next =
        h.get(
            "/v1/kv/blk/a",
            ConsulQuery.blocking(first.index(), Duration.ofSeconds(20)),
            "key:read");
    writer.join();
    assertThat(next.index()).isGreaterThan(first.index());
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
    assertThat(next.body()).contains("\"Mg==\""); // "2", base64 (the real agent pretty-prints)
  }

  @Test
  void blockingQuery_withNoChange_returnsAfterItsWait_withTheSameIndex() {
    ConsulHttp h = http(MASTER);
    h.put("/v1/kv/blk/quiet", "q".getBytes(StandardCharsets.UTF_8), ConsulQuery.NONE, "key:write");
    long idx = h.get("/v1/kv/blk/quiet", ConsulQuery.NONE, "key:read").index();
    ConsulResponse r =
        h.get("/v1/kv/blk/quiet", ConsulQuery.blocking(idx, Duration.ofMillis(1500)), "key:read");
    assertThat(r.index()).isEqualTo(idx);
  }

  @Test
  void agentDown_isUnavailable_namingTheAddress() {
    int port = RealConsul.reserve().http();
    ConsulHttp h = new ConsulHttp(ConsulEndpoint.of("127.0.0.1:" + port), Duration.ofSeconds(2));
    assertThatThrownBy(() -> h.get("/v1/status/leader", ConsulQuery.NONE, "none"))
        .isInstanceOf(ConsulUnavailableException.class)
        .hasMessageContaining("127.0.0.1:" + port);
  }

  @Test
  void hostileKeySegments_areEncodedOrRefused() {
    assertThat(ConsulHttp.key("a b/c?d#e")).isEqualTo("a%20b/c%3Fd%23e");
    assertThat(ConsulHttp.key("prefix/")).isEqualTo("prefix/");
    for (String bad : List.of("../x", "a/./b", "a//b"))
      assertThatThrownBy(() -> ConsulHttp.key(bad)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void unixSocketAddress_reachesTheAgent_asConsulsCliDialsIt() {
    ConsulEndpoint e =
        ConsulEndpoint.resolve(
            EndpointInput.fromEnv(
                Map.of(
                    "CONSUL_HTTP_ADDR",
                    "unix://" + tmp.resolve("http.sock"),
                    "CONSUL_HTTP_TOKEN",
                    MASTER),
                Optional.empty()));
    ConsulResponse r =
        new ConsulHttp(e, Duration.ofSeconds(5)).get("/v1/status/leader", ConsulQuery.NONE, "none");
    assertThat(r.body()).contains("127.0.0.1:" + agent.ports().server());
  }
}
