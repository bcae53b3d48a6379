package dev.consulvmagent.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.consulvmagent.consul.ConsulEndpoint;
import dev.consulvmagent.consul.ConsulHttp;
import dev.consulvmagent.consul.ConsulQuery;
import dev.consulvmagent.consul.HealthApi;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.fleet.FleetUnavailableException;
import dev.consulvmagent.fleet.HealthTracker.Sample;
import dev.consulvmagent.render.Json;
import dev.consulvmagent.spec.AgentSpec;
import dev.consulvmagent.spec.SpecLoader;
import dev.consulvmagent.testing.RealConsul;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The watcher's health sample from a REAL Consul 1.8.7's catalog: the service's and its sidecar's
 * checks (TTL checks the test sets), a warning is not passing, nothing registered is missing, and
 * an agent that does not answer is no verdict (an exception, not CRITICAL).
 */
class FleetConvergerRealTest {
  @TempDir Path tmp;

  @Test
  void healthComesFromTheServiceAndSidecarChecks() throws Exception {
    RealConsul agent = RealConsul.dev(tmp, c -> {});
    try {
      agent.awaitLeader();
      ConsulHttp http = new ConsulHttp(ConsulEndpoint.of(agent.httpAddr()), Duration.ofSeconds(10));
      AgentSpec spec =
          new SpecLoader().parse(Files.readAllBytes(Path.of("examples/dashboard.yaml")));
      RunOptions o =
          new RunOptions(
              Optional.empty(), Optional.empty(), tmp, Optional.empty(), Optional.empty());
      FleetConverger c =
          new FleetConverger(
              new Agent(Hosts.forRoot(tmp), ConsulAccess.NONE, EventSink.NONE),
              o,
              new HealthApi(http),
              agent.node());
      assertThat(c.health(spec)).isEqualTo(Sample.MISSING);

      register(http, "dashboard", "dashboard", 9002);
      // the service alone, no sidecar yet: missing (Connect needs the sidecar's checks)
      assertThat(c.health(spec)).isEqualTo(Sample.MISSING);
      register(http, "dashboard-sidecar-proxy", "dashboard-sidecar-proxy", 21000);
      assertThat(c.health(spec)).isEqualTo(Sample.CRITICAL); // TTL checks start critical
      pass(http, "dashboard");
      pass(http, "dashboard-sidecar-proxy");
      assertThat(c.health(spec)).isEqualTo(Sample.PASSING);
      http.put("/v1/agent/check/warn/ttl-dashboard", new byte[0], ConsulQuery.NONE, "agent:write");
      assertThat(c.health(spec)).isEqualTo(Sample.WARNING);
    } finally {
      agent.close();
    }
    AgentSpec spec = new SpecLoader().parse(Files.readAllBytes(Path.of("examples/dashboard.yaml")));
    FleetConverger gone =
        new FleetConverger(
            new Agent(Hosts.forRoot(tmp), ConsulAccess.NONE, EventSink.NONE),
            new RunOptions(
                Optional.empty(), Optional.empty(), tmp, Optional.empty(), Optional.empty()),
            new HealthApi(
                new ConsulHttp(ConsulEndpoint.of(agent.httpAddr()), Duration.ofSeconds(2))),
            agent.node());
    assertThatThrownBy(() -> gone.health(spec)).isInstanceOf(FleetUnavailableException.class);
  }

  static void register(ConsulHttp http, String id, String name, int port) {
    http.put(
        "/v1/agent/service/register",
        Json.render(
            Map.of(
                "ID", id,
                "Name", name,
                "Port", port,
                "Checks", List.of(Map.of("CheckID", "ttl-" + id, "Name", "ttl", "TTL", "10m")))),
        ConsulQuery.NONE,
        "service:write");
  }

  static void pass(ConsulHttp http, String id) {
    http.put("/v1/agent/check/pass/ttl-" + id, new byte[0], ConsulQuery.NONE, "agent:write");
  }
}
