package dev.consulvmagent.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.consul.AclApi;
import dev.consulvmagent.consul.IntentionApi;
import dev.consulvmagent.engine.Engine;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.engine.RunResult;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.render.ConsulConfig;
import dev.consulvmagent.render.Json;
import dev.consulvmagent.secure.MeshDir;
import dev.consulvmagent.secure.UserDataSecurity;
import dev.consulvmagent.spec.AgentSpec;
import dev.consulvmagent.spec.Secret;
import dev.consulvmagent.spec.SpecLoader;
import dev.consulvmagent.spec.UserData;
import dev.consulvmagent.testing.RealConsul;
import dev.consulvmagent.testing.RecordingHost;
import dev.consulvmagent.testing.Roots;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract end to end on REAL Consul 1.8.7: machines' configs made by {@code mesh init} and
 * {@code mesh user-data} (meshops' code, as the operator runs it), the Consul configs the agent
 * renders from them (render.ConsulConfig; only loopback ports, data dirs and the paths of the TLS
 * files and the intro JWT are changed for the test), and apply's cluster step (SecureMesh) on each:
 * the server's bootstrap, then the clients' logins with the JWTs mesh user-data minted, and their
 * intentions. Every secret of the mesh is grepped for in what the runs reported.
 */
// root group: the service token file is chowned to group envoy (CAP_CHOWN); as any other
// user the chown cannot happen and the token resource never converges
@Tag("root")
class SecureApplyRealTest {
  static final String PATH = "/etc/consul-vm-agent/agent.yaml";
  @TempDir Path tmp;
  final List<String> reported = new ArrayList<>();

  static byte[] template(String agentYaml) {
    StringBuilder b = new StringBuilder("#cloud-config\nwrite_files:\n");
    b.append("  - path: ").append(PATH).append("\n    permissions: '0600'\n    content: |\n");
    for (String l : agentYaml.split("\n")) b.append("      ").append(l).append('\n');
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  static AgentSpec rendered(MeshDir mesh, String machine, String yaml) {
    return rendered(mesh, machine, yaml, List.of());
  }

  /** meshServices: for a server, the services that may keep their own intentions. */
  static AgentSpec rendered(MeshDir mesh, String machine, String yaml, List<String> meshServices) {
    UserDataSecurity.Rendered r =
        UserDataSecurity.render(
            template(yaml),
            mesh,
            new UserDataSecurity.Request(
                machine, Optional.empty(), Duration.ofHours(1), PATH, Instant.now(), meshServices));
    return new SpecLoader().parse(UserData.extract(r.userData(), PATH));
  }

  static String client(String node, String service, int port, String allowFrom) {
    return "consul:\n  version: \"1.8.7\"\n  role: client\n  datacenter: dc1\n  node_name: "
        + node
        + "\n  bind_addr: 127.0.0.1\n  retry_join: [127.0.0.1]\n"
        + "envoy:\n  version: \"1.14.5\"\n"
        + "service:\n  name: "
        + service
        + "\n  port: "
        + port
        + "\n  transparent_proxy: false\n"
        + "  intentions:\n    allow_from: ["
        + allowFrom
        + "]\n";
  }

  /**
   * The agent config apply renders for spec, as files in the test agent's config dir: loopback
   * ports and dirs come from RealConsul's flags, TLS files and the intro JWT from the spec.
   */
  RealConsul.ConfigWriter config(AgentSpec s, Path files, RealConsul server) {
    return dir -> {
      Map<String, Object> cfg = new LinkedHashMap<>(ConsulConfig.agent(s.consul(), s.security()));
      for (String k :
          List.of("data_dir", "bind_addr", "client_addr", "advertise_addr", "ports", "addresses"))
        cfg.remove(k);
      cfg.remove("retry_join");
      Files.createDirectories(files);
      Files.writeString(files.resolve("ca.pem"), s.security().caCert().orElseThrow());
      cfg.put("ca_file", files.resolve("ca.pem").toString());
      if (s.security().serverCert().isPresent()) {
        Files.writeString(files.resolve("server.pem"), s.security().serverCert().get());
        Files.writeString(files.resolve("server-key.pem"), s.security().serverKey().get().value());
        cfg.put("cert_file", files.resolve("server.pem").toString());
        cfg.put("key_file", files.resolve("server-key.pem").toString());
      }
      if (server != null) {
        Files.writeString(
            files.resolve("intro.jwt"), s.security().introToken().orElseThrow().value());
        Map<String, Object> ac = new LinkedHashMap<>();
        ac.put("enabled", true);
        ac.put("intro_token_file", files.resolve("intro.jwt").toString());
        ac.put("server_addresses", List.of("127.0.0.1:" + server.ports().server()));
        cfg.put("auto_config", ac);
      }
      Files.write(dir.resolve("consul.json"), Json.render(cfg));
      Map<String, Object> secrets = ConsulConfig.secrets(s.consul(), s.security());
      if (!secrets.isEmpty()) Files.write(dir.resolve("secrets.json"), Json.render(secrets));
    };
  }

  Host root(String name) throws Exception {
    Path r = tmp.resolve(name);
    Roots.withUsers(r);
    return new RecordingHost(
        r,
        (argv, timeout, stdin) -> {
          throw new AssertionError("no process expected: " + argv);
        });
  }

  RunResult clusterStep(AgentSpec spec, Host host, RealConsul agent) {
    List<Resource> rs = SecureMesh.resources(spec, host, agent.httpAddr());
    Engine e = new Engine(EventSink.NONE);
    var plan = e.plan(rs, host);
    reported.add(Json.compact(plan.stream().map(p -> p.change().toString()).toList()));
    RunResult r = e.apply(plan, host, n -> List.of(), Instant.now());
    reported.add(Json.compact(r.outcomes().stream().map(Object::toString).toList()));
    reported.add(String.valueOf(r.error()));
    return r;
  }

  @Test
  void renderedMesh_bootstrapsLogsInAndAllowsOnlyDeclaredCalls() throws Exception {
    RealConsul.require();
    Path meshDir = tmp.resolve("mesh");
    MeshDir.init(
        meshDir,
        "dc1",
        "consul",
        List.of(MeshDir.ServerName.parse("srv=127.0.0.1")),
        Instant.now());
    MeshDir mesh = MeshDir.open(meshDir);
    AgentSpec srv =
        rendered(
            mesh,
            "srv",
            "consul:\n  version: \"1.8.7\"\n  role: server\n  datacenter: dc1\n"
                + "  node_name: srv\n  bind_addr: 127.0.0.1\n  bootstrap_expect: 1\n  ui: false\n"
                + "envoy:\n  version: \"1.14.5\"\n",
            // mesh user-data --mesh-service: the services that may keep their own intentions
            List.of("counting", "dashboard"));
    AgentSpec counting =
        rendered(mesh, "counting", client("counting", "counting", 9003, "dashboard"));
    AgentSpec dashboard = rendered(mesh, "dashboard", client("dashboard", "dashboard", 9002, ""));
    List<String> secrets = new ArrayList<>();
    secrets.add(srv.security().managementToken().orElseThrow().value());
    secrets.add(srv.security().serverAgentToken().orElseThrow().value());
    secrets.add(srv.security().gossipKey().orElseThrow().value());
    secrets.add(counting.security().introToken().orElseThrow().value());
    secrets.add(dashboard.security().introToken().orElseThrow().value());

    try (RealConsul server =
            RealConsul.named(
                tmp.resolve("srv"),
                "srv",
                List.of("-server"),
                config(srv, tmp.resolve("srv-files"), null));
        RealConsul c1 =
            RealConsul.named(
                tmp.resolve("counting"),
                "counting",
                List.of("-retry-join=127.0.0.1:" + server.ports().serfLan()),
                config(counting, tmp.resolve("counting-files"), server));
        RealConsul c2 =
            RealConsul.named(
                tmp.resolve("dashboard"),
                "dashboard",
                List.of("-retry-join=127.0.0.1:" + server.ports().serfLan()),
                config(dashboard, tmp.resolve("dashboard-files"), server))) {
      server.awaitLeader();
      Host serverRoot = root("srv-root");
      Secret mgmt = srv.security().managementToken().get();
      AclApi admin = new AclApi(SecureMesh.local(server.httpAddr(), Optional.of(mgmt)));
      server.waitUntil(
          "ACLs bootstrapped from the rendered token",
          Duration.ofSeconds(30),
          () -> {
            try {
              return admin.tokenSelf(mgmt).isPresent();
            } catch (RuntimeException e) {
              return false;
            }
          });
      RunResult boot = clusterStep(srv, serverRoot, server);
      assertThat(boot.failed()).as(boot.error()).isFalse();
      assertThat(clusterStep(srv, serverRoot, server).changed()).isZero();

      c1.awaitLeader();
      c2.awaitLeader();
      Host countingRoot = root("counting-root");
      Host dashboardRoot = root("dashboard-root");
      RunResult d = clusterStep(dashboard, dashboardRoot, c2);
      assertThat(d.failed()).as(d.error()).isFalse();
      RunResult c = clusterStep(counting, countingRoot, c1);
      for (Host h : List.of(countingRoot, dashboardRoot))
        for (String svc : List.of("counting", "dashboard"))
          h.fs()
              .readIfExists("/etc/consul.d/tokens/" + svc + ".token")
              .ifPresent(b -> secrets.add(new String(b, StandardCharsets.UTF_8).strip()));
      assertThat(SecureMesh.intentionServices(srv.security())).contains("counting", "dashboard");
      assertThat(c.failed()).as(c.error()).isFalse();
      IntentionApi intentions =
          new IntentionApi(SecureMesh.local(server.httpAddr(), Optional.of(mgmt)));
      String td = intentions.trustDomain();
      assertThat(intentions.authorize("counting", "dashboard", td).authorized()).isTrue();
      assertThat(intentions.authorize("dashboard", "counting", td).authorized()).isFalse();
      assertThat(clusterStep(counting, countingRoot, c1).changed()).isZero();
      Secret token =
          new Secret(
              new String(
                      countingRoot.fs().read("/etc/consul.d/tokens/counting.token"),
                      StandardCharsets.UTF_8)
                  .strip());
      assertThat(admin.tokenSelf(token).orElseThrow().serviceIdentities())
          .containsExactly("counting");
      String all = String.join("\n", reported);
      for (String s : secrets) assertThat(all).doesNotContain(s);
    }
  }
}
