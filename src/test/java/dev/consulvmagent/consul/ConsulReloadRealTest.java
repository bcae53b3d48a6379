package dev.consulvmagent.consul;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.consulvmagent.host.ExecResult;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.host.HostFs;
import dev.consulvmagent.render.Json;
import dev.consulvmagent.render.UnitNames;
import dev.consulvmagent.sidecar.Registration;
import dev.consulvmagent.spec.MeshService;
import dev.consulvmagent.spec.ServiceConfig;
import dev.consulvmagent.systemd.SystemdNotifier;
import dev.consulvmagent.testing.FakeExec;
import dev.consulvmagent.testing.RealConsul;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A registration change followed by the `consul reload` our notifier runs (SystemdNotifier's
 * CONSUL_RELOAD, the notification of SidecarFiles' registration file) reaches a REAL Consul 1.8.7's
 * catalog; so does removing the file.
 */
class ConsulReloadRealTest {
  static MeshService mesh(String tags) {
    return ServiceConfig.parse(
            ("{\"annotations\": {\"consul.hashicorp.com/connect-service\": \"dashboard\","
                    + " \"consul.hashicorp.com/connect-service-port\": \"9002\","
                    + " \"consul.hashicorp.com/service-tags\": \""
                    + tags
                    + "\","
                    + " \"consul.hashicorp.com/transparent-proxy\": \"false\"}}")
                .getBytes(),
            "")
        .mesh();
  }

  static List<String> catalogTags(RealConsul c, String service) {
    JsonNode nodes;
    try {
      nodes = Json.mapper().readTree(c.raw("/v1/catalog/service/" + service).body());
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    List<String> out = new ArrayList<>();
    if (nodes.size() != 1) return List.of("<" + nodes.size() + " instances>");
    nodes.get(0).path("ServiceTags").forEach(t -> out.add(t.asText()));
    return out;
  }

  /**
   * Our notifier on a live host whose commands are scripted, except `consul reload`, which really
   * runs.
   */
  static SystemdNotifier notifier(RealConsul agent, Path root, List<List<String>> ran) {
    FakeExec exec =
        new FakeExec()
            .on("systemctl is-active --quiet consul.service", argv -> FakeExec.ok(argv, ""))
            .on(
                "/usr/bin/consul reload",
                argv -> {
                  ran.add(argv);
                  // the very argument list the notifier chose, with the real binary, against this
                  // agent
                  List<String> real = new ArrayList<>(argv);
                  real.set(0, RealConsul.BINARY.toString());
                  RealConsul.Exec r =
                      agent.cli(real.subList(1, real.size()).toArray(String[]::new));
                  return new ExecResult(argv, r.code(), r.output(), "");
                });
    return new SystemdNotifier(Host.of(new HostFs(root, false), exec, true));
  }

  @Test
  void changedRegistration_thenReload_theCatalogShowsIt_andARemovedOneLeaves(@TempDir Path tmp)
      throws IOException {
    Path root = tmp.resolve("root");
    Files.createDirectories(root);
    try (RealConsul dev =
        RealConsul.dev(
            tmp,
            d ->
                Files.write(
                    d.resolve("service-registration.json"),
                    Json.render(Registration.document(mesh("demo,web"), "1.8.7"))))) {
      dev.awaitLeader();
      dev.waitUntil(
          "dashboard in the catalog with tags demo,web",
          Duration.ofSeconds(20),
          () -> catalogTags(dev, "dashboard").equals(List.of("demo", "web")),
          () -> dev.raw("/v1/catalog/service/dashboard").toString());

      Files.write(
          dev.configDir().resolve("service-registration.json"),
          Json.render(Registration.document(mesh("demo,web,e2e"), "1.8.7")));
      // before the reload the real agent keeps what it loaded
      assertThat(catalogTags(dev, "dashboard")).containsExactly("demo", "web");
      List<List<String>> ran = new ArrayList<>();
      List<String> lines = notifier(dev, root, ran).run(List.of(UnitNames.consulReload()));
      assertThat(ran).containsExactly(List.of("/usr/bin/consul", "reload"));
      assertThat(lines).containsExactly("consul reload");
      dev.waitUntil(
          "the new tags in the catalog",
          Duration.ofSeconds(20),
          () -> catalogTags(dev, "dashboard").equals(List.of("demo", "web", "e2e")));
      dev.waitUntil(
          "the sidecar's copied tags in the catalog",
          Duration.ofSeconds(20),
          () -> catalogTags(dev, "dashboard-sidecar-proxy").equals(List.of("demo", "web", "e2e")));

      Files.delete(dev.configDir().resolve("service-registration.json"));
      notifier(dev, root, ran).run(List.of(UnitNames.consulReload()));
      dev.waitUntil(
          "dashboard gone from the catalog",
          Duration.ofSeconds(20),
          () -> catalogTags(dev, "dashboard").equals(List.of("<0 instances>")));
      assertThat(dev.api().service("dashboard-sidecar-proxy")).isEmpty();
    }
  }
}
