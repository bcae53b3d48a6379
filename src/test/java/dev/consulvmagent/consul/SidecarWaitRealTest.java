package dev.consulvmagent.consul;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.consulvmagent.render.Json;
import dev.consulvmagent.sidecar.Registration;
import dev.consulvmagent.spec.ServiceConfig;
import dev.consulvmagent.testing.RealConsul;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * sidecar-wait against REAL Consul 1.8.7 agents: one wait that meets, in order, an agent that is
 * down, a client that has joined no server, a registration that comes late, and then readiness.
 */
class SidecarWaitRealTest {
  static final byte[] WEB =
      Json.render(
          Registration.document(
              ServiceConfig.parse(
                      """
                      {"annotations": {"consul.hashicorp.com/connect-service": "web",
                        "consul.hashicorp.com/connect-service-port": "18080",
                        "consul.hashicorp.com/transparent-proxy": "false"}}\
                      """
                          .getBytes(),
                      "")
                  .mesh(),
              "1.8.7"));

  final List<String> log = new CopyOnWriteArrayList<>();

  private SidecarWait waiter(String url, Duration timeout) {
    return new SidecarWait(
        new AgentApi(new ConsulHttp(ConsulEndpoint.of(url), Duration.ofSeconds(2))),
        e -> log.add(e.text()),
        timeout,
        Duration.ofMillis(100));
  }

  private void awaitLog(String fragment, CompletableFuture<?> wait) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (log.stream().noneMatch(l -> l.contains(fragment))) {
      if (wait.isDone()) wait.get(); // surfaces the wait's own failure
      assertThat(System.nanoTime())
          .as("log line '%s' within 60s; log: %s", fragment, log)
          .isLessThan(end);
      Thread.sleep(50);
    }
  }

  @Test
  void agentDown_thenNotJoined_thenRegistrationLate_thenReady(@TempDir Path tmp) throws Exception {
    RealConsul.require();
    RealConsul.Listeners serverPorts = RealConsul.reserve();
    RealConsul.Listeners clientPorts = RealConsul.reserve();
    String url = "http://127.0.0.1:" + clientPorts.http();
    CompletableFuture<Void> wait =
        CompletableFuture.runAsync(() -> waiter(url, Duration.ofSeconds(120)).await("web"));
    awaitLog("waiting for the Consul agent HTTP API", wait);
    assertThat(wait).isNotDone();
    try (RealConsul client =
        RealConsul.client(tmp.resolve("c"), serverPorts.serfLan(), clientPorts, d -> {})) {
      awaitLog("waiting for a Consul leader", wait);
      assertThat(wait).isNotDone();
      try (RealConsul server = RealConsul.dev(tmp.resolve("s"), serverPorts, d -> {})) {
        awaitLog("waiting for the registration of web", wait);
        assertThat(wait).isNotDone();
        Files.write(client.configDir().resolve("service-registration.json"), WEB);
        RealConsul.Exec reload = client.cli("reload");
        assertThat(reload.code()).as(reload.output()).isZero();
        assertThat(reload.output()).contains("Configuration reload triggered");
        wait.get(60, TimeUnit.SECONDS);
      }
    }
    assertThat(log)
        .first()
        .asString()
        .startsWith("waiting for the Consul agent HTTP API (cannot reach");
    assertThat(log)
        .extracting(l -> l.replaceAll(" \\(.*", ""))
        .containsSubsequence(
            "waiting for the Consul agent HTTP API",
            "waiting for a Consul leader",
            "waiting for the registration of web and web-sidecar-proxy",
            "consul is ready: leader known, web and its sidecar registered");
  }

  @Test
  void neverJoins_timesOutNamingTheLeader(@TempDir Path tmp) {
    try (RealConsul lonely = RealConsul.clientWithoutServer(tmp)) {
      assertThatThrownBy(() -> waiter(lonely.httpAddr(), Duration.ofSeconds(2)).await("web"))
          .isInstanceOf(SidecarWait.TimeoutException.class)
          .hasMessageContaining("gave up after 2s waiting for a Consul leader")
          .hasMessageContaining("retry_join");
    }
  }

  @Test
  void leaderButNoRegistration_timesOutNamingTheFile(@TempDir Path tmp) {
    try (RealConsul dev = RealConsul.dev(tmp, d -> {}).awaitLeader()) {
      assertThatThrownBy(() -> waiter(dev.httpAddr(), Duration.ofSeconds(1)).await("web"))
          .isInstanceOf(SidecarWait.TimeoutException.class)
          .hasMessageContaining("registration of web and web-sidecar-proxy")
          .hasMessageContaining("service-registration.json");
    }
  }
}
