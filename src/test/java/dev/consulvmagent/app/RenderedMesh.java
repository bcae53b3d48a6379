package dev.consulvmagent.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.consul.AclApi;
import dev.consulvmagent.engine.Engine;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.engine.Planned;
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
import dev.consulvmagent.testing.SecureCluster;
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

/**
 * A secure mesh as the operator makes it, on REAL Consul 1.8.7 (test fixture): machines' configs
 * made by {@code mesh init} and {@code mesh user-data} (meshops' code, as the operator runs it),
 * the Consul configs the agent renders from them (render.ConsulConfig; only loopback ports, data
 * dirs and the paths of the TLS files and the intro JWT are changed for the test), machine roots,
 * and apply's cluster step (SecureMesh) on each. It keeps every secret it rendered and everything
 * the runs reported, for {@link #assertNoSecretReported}. In app, next to SecureMesh, whose cluster
 * step it runs; a cluster without the rendering is testing.SecureCluster.
 */
final class RenderedMesh {
  static final String PATH = "/etc/consul-vm-agent/agent.yaml";

  /** The one server's machine and node name. */
  static final String SERVER = "srv";

  private final Path tmp;
  private final MeshDir mesh;
  final List<String> reported = new ArrayList<>();
  final List<String> secrets = new ArrayList<>();

  private RenderedMesh(Path tmp, MeshDir mesh) {
    this.tmp = tmp;
    this.mesh = mesh;
  }

  /** {@code mesh init} in tmp/mesh for one server, {@value #SERVER} on 127.0.0.1. */
  static RenderedMesh init(Path tmp) {
    RealConsul.require();
    Path dir = tmp.resolve("mesh");
    MeshDir.init(
        dir,
        "dc1",
        "consul",
        List.of(MeshDir.ServerName.parse(SERVER + "=127.0.0.1")),
        Instant.now());
    return new RenderedMesh(tmp, MeshDir.open(dir));
  }

  private static byte[] template(String agentYaml) {
    StringBuilder b = new StringBuilder("#cloud-config\nwrite_files:\n");
    b.append("  - path: ").append(PATH).append("\n    permissions: '0600'\n    content: |\n");
    for (String l : agentYaml.split("\n")) b.append("      ").append(l).append('\n');
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  private AgentSpec render(
      String machine, String yaml, List<String> meshServices, List<String> fleetGroups) {
    UserDataSecurity.Rendered r =
        UserDataSecurity.render(
            template(yaml),
            mesh,
            new UserDataSecurity.Request(
                machine,
                Optional.empty(),
                Duration.ofHours(1),
                PATH,
                Instant.now(),
                meshServices,
                fleetGroups));
    return new SpecLoader().parse(UserData.extract(r.userData(), PATH));
  }

  /**
   * The server's spec (mesh user-data for {@value #SERVER}); meshServices: the services that may
   * keep their own intentions (--mesh-service); fleetGroups: the groups whose watchers get a role.
   */
  AgentSpec server(List<String> meshServices, List<String> fleetGroups) {
    AgentSpec s =
        render(
            SERVER,
            "consul:\n  version: \"1.8.7\"\n  role: server\n  datacenter: dc1\n"
                + "  node_name: srv\n  bind_addr: 127.0.0.1\n  bootstrap_expect: 1\n  ui: false\n"
                + "envoy:\n  version: \"1.14.5\"\n",
            meshServices,
            fleetGroups);
    secrets.add(s.security().managementToken().orElseThrow().value());
    secrets.add(s.security().serverAgentToken().orElseThrow().value());
    secrets.add(s.security().gossipKey().orElseThrow().value());
    return s;
  }

  /** A client machine's spec (mesh user-data for machine) from its agent.yaml. */
  AgentSpec client(String machine, String yaml) {
    AgentSpec s = render(machine, yaml, List.of(), List.of());
    secrets.add(s.security().introToken().orElseThrow().value());
    return s;
  }

  /** A client's agent.yaml: Consul and Envoy on node, then more (its service, its fleet). */
  static String clientYaml(String node, String more) {
    return "consul:\n  version: \"1.8.7\"\n  role: client\n  datacenter: dc1\n  node_name: "
        + node
        + "\n  bind_addr: 127.0.0.1\n  retry_join: [127.0.0.1]\n"
        + "envoy:\n  version: \"1.14.5\"\n"
        + more;
  }

  /** The server's agent, with the config apply renders for srv. */
  RealConsul startServer(AgentSpec srv) {
    return RealConsul.named(
        tmp.resolve(SERVER),
        SERVER,
        List.of("-server"),
        config(srv, tmp.resolve(SERVER + "-files"), null));
  }

  /** Client node's agent, joining server (auto_config with its intro JWT). */
  RealConsul startClient(String node, AgentSpec spec, RealConsul server) {
    return RealConsul.named(
        tmp.resolve(node),
        node,
        List.of("-retry-join=127.0.0.1:" + server.ports().serfLan()),
        config(spec, tmp.resolve(node + "-files"), server));
  }

  /**
   * Waits for the server's leader and its ACLs (bootstrapped from the rendered management token);
   * returns an AclApi with that token.
   */
  static AclApi awaitAcls(AgentSpec srv, RealConsul server) {
    Secret mgmt = srv.security().managementToken().orElseThrow();
    AclApi admin = new AclApi(SecureMesh.local(server.httpAddr(), Optional.of(mgmt)));
    SecureCluster.awaitAcls(server, admin, mgmt);
    return admin;
  }

  /**
   * The agent config apply renders for spec, as files in the test agent's config dir: loopback
   * ports and dirs come from RealConsul's flags, TLS files and the intro JWT from the spec.
   */
  private static RealConsul.ConfigWriter config(AgentSpec s, Path files, RealConsul server) {
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

  /** A fresh machine root tmp/name on which no process may run. */
  Host root(String name) throws Exception {
    return RecordingHost.withoutProcesses(tmp.resolve(name));
  }

  /**
   * A fresh machine root tmp/rootName on which spec's cluster step has run against agent (once it
   * has a leader); the step must succeed.
   */
  Host applied(String rootName, AgentSpec spec, RealConsul agent) throws Exception {
    agent.awaitLeader();
    Host host = root(rootName);
    RunResult r = clusterStep(spec, host, agent);
    assertThat(r.failed()).as(r.error()).isFalse();
    return host;
  }

  /** apply's cluster step for spec on host against agent; what it plans and reports is kept. */
  RunResult clusterStep(AgentSpec spec, Host host, RealConsul agent) {
    List<Resource> rs = SecureMesh.resources(spec, host, agent.httpAddr());
    Engine e = new Engine(EventSink.NONE);
    List<Planned> plan = e.plan(rs, host);
    reported.add(Json.compact(plan.stream().map(p -> p.change().toString()).toList()));
    RunResult r = e.apply(plan, host, n -> List.of(), Instant.now());
    reported.add(Json.compact(r.outcomes().stream().map(Object::toString).toList()));
    reported.add(String.valueOf(r.error()));
    return r;
  }

  /** No secret kept in {@link #secrets} appears in anything {@link #reported}. */
  void assertNoSecretReported() {
    String all = String.join("\n", reported);
    for (String s : secrets) assertThat(all).doesNotContain(s);
  }
}
