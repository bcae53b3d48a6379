package dev.consulvmagent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.testing.Examples;
import dev.consulvmagent.testing.RealConsul;
import dev.consulvmagent.testing.Roots;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code consul-vm-agent watch} for real: the command, the apply engine under a --root with the
 * test mirror, a REAL Consul 1.8.7 (-dev) holding the group and the health. The service and its
 * sidecar are registered in the agent with TTL checks the test passes (under --root nothing is
 * started, so the catalog stands in for what consul.service would register).
 */
class CliWatchRealTest {
  @TempDir Path tmp;

  record Run(int code, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
    return new Run(code, out.toString(), err.toString());
  }

  static void put(RealConsul a, String path, String body) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(a.httpAddr() + path))
                    .PUT(HttpRequest.BodyPublishers.ofString(body))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
  }

  @Test
  void watch_appliesThePushedRevision_underRoot_andReportsHealthy() throws Exception {
    RealConsul agent = RealConsul.dev(tmp.resolve("consul"), c -> {});
    try {
      agent.awaitLeader();
      for (String id : new String[] {"dashboard", "dashboard-sidecar-proxy"}) {
        put(
            agent,
            "/v1/agent/service/register",
            "{\"ID\":\""
                + id
                + "\",\"Name\":\""
                + id
                + "\",\"Port\":9002,"
                + "\"Checks\":[{\"CheckID\":\"ttl-"
                + id
                + "\",\"Name\":\"ttl\",\"TTL\":\"10m\"}]}");
        put(agent, "/v1/agent/check/pass/ttl-" + id, "");
      }
      Path root = Roots.forApply(tmp.resolve("root"));
      Path cfg =
          Examples.config(tmp, "dashboard", "node_name: dashboard", "node_name: " + agent.node());
      Files.writeString(cfg, Files.readString(cfg) + "fleet:\n  group: dashboard\n");
      String addr = "-http-addr=" + agent.httpAddr();
      String mirror = Examples.mirror().url();
      Run first =
          run("apply", "--config", cfg.toString(), "--root", root.toString(), "--mirror", mirror);
      assertThat(first.code()).as(first.err()).isZero();
      assertThat(root.resolve("etc/systemd/system/consul-vm-agent-watch.service")).exists();

      Path overlay = tmp.resolve("blue.yaml");
      Files.writeString(
          overlay, "service:\n  annotations:\n    consul.hashicorp.com/service-meta-team: blue\n");
      Run push =
          run(
              "fleet",
              "push",
              "--group",
              "dashboard",
              addr,
              "--min-healthy-time",
              "1s",
              "--healthy-deadline",
              "20s",
              overlay.toString());
      assertThat(push.code()).as(push.err()).isZero();

      Run watch =
          run(
              "watch",
              "--config",
              cfg.toString(),
              "--root",
              root.toString(),
              "--mirror",
              mirror,
              addr,
              "--rounds",
              "1",
              "--wait",
              "5");
      assertThat(watch.code()).as(watch.err()).isZero();
      assertThat(watch.err()).contains("revision 1: healthy");
      assertThat(Files.readString(root.resolve("srv/consul/service-config.json"))).contains("blue");
      assertThat(Files.readString(root.resolve("var/lib/consul-vm-agent/fleet.json")))
          .contains("\"applied_revision\" : 1");
      Run status = run("fleet", "status", "--group", "dashboard", addr);
      assertThat(status.out()).contains(agent.node()).contains("healthy");

      // a plain apply afterwards keeps the overlay (nothing to change)
      Run again =
          run("plan", "--config", cfg.toString(), "--root", root.toString(), "--mirror", mirror);
      assertThat(again.code()).as(again.err()).isZero();
      assertThat(again.out()).doesNotContain("service-config.json");
    } finally {
      agent.close();
    }
  }
}
