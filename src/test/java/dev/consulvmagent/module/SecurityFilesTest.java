package dev.consulvmagent.module;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.artifact.Artifacts;
import dev.consulvmagent.artifact.Installer;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.engine.State;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.render.ConsulConfig;
import dev.consulvmagent.resource.AbsentResource;
import dev.consulvmagent.resource.DirectoryResource;
import dev.consulvmagent.resource.FileResource;
import dev.consulvmagent.secure.MeshFixture;
import dev.consulvmagent.secure.UserDataSecurity;
import dev.consulvmagent.spec.AgentSpec;
import dev.consulvmagent.spec.SpecLoader;
import dev.consulvmagent.spec.UserData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The secure mesh's files as apply would write them (board: "Secure-mesh contract"): modes, owners,
 * secrets marked sensitive so plan shows "(sensitive)", and the client's intro JWT only until
 * Consul has its auto-config state.
 */
class SecurityFilesTest {
  static final String PATH = "/etc/consul-vm-agent/agent.yaml";
  @TempDir Path tmp;
  MeshFixture f;

  @BeforeEach
  void mesh() {
    f = new MeshFixture(tmp.resolve("mesh"), "consul-server=192.0.2.10");
  }

  AgentSpec spec(String machine) throws Exception {
    byte[] ud =
        UserDataSecurity.render(
                Files.readAllBytes(Path.of("cloud-init/" + machine + ".yaml")),
                f.mesh,
                new UserDataSecurity.Request(
                    machine, Optional.empty(), Duration.ofHours(1), PATH, Instant.now()))
            .userData();
    return new SpecLoader().parse(UserData.extract(ud, PATH));
  }

  static List<Resource> resources(AgentSpec spec, Path root) {
    Host host = Host.forRoot(root, false);
    Context ctx =
        new Context(
            Artifacts.of(spec, Optional.empty()),
            Installer.lazy(EventSink.NONE),
            Optional.empty(),
            host.readOnly());
    return Catalog.resources(spec, ctx);
  }

  static Map<String, FileResource> files(List<Resource> rs) {
    Map<String, FileResource> out = new LinkedHashMap<>();
    for (Resource r : rs)
      if (r instanceof FileResource x && x.path().isPresent()) out.put(x.path().get(), x);
    return out;
  }

  @Test
  void server_keyAndSecretsAre0640RootConsul_andSensitive() throws Exception {
    AgentSpec s = spec("consul-server");
    Map<String, FileResource> fs = files(resources(s, tmp.resolve("root")));
    State key = fs.get(ConsulConfig.SERVER_KEY_FILE).desired();
    assertThat(key.get("mode")).isEqualTo("0640");
    assertThat(key.get("owner")).isEqualTo("root:consul");
    assertThat(key.display("content")).isEqualTo("(sensitive)");
    assertThat(new String(fs.get(ConsulConfig.SERVER_KEY_FILE).content(), StandardCharsets.UTF_8))
        .isEqualTo(f.file("servers/consul-server-key.pem"));
    assertThat(fs.get(ConsulConfig.CA_FILE).desired().get("mode")).isEqualTo("0644");
    assertThat(fs.get(ConsulConfig.SERVER_CERT_FILE).desired().get("mode")).isEqualTo("0640");
    // the tokens and the gossip key: secrets.json, every field shown as (sensitive)
    State secrets = fs.get("/etc/consul.d/secrets.json").desired();
    assertThat(secrets.fields().keySet())
        .contains("json.encrypt", "json.acl.tokens.initial_management", "json.acl.tokens.agent");
    for (String k : secrets.fields().keySet())
      if (k.startsWith("json.")) assertThat(secrets.display(k)).isEqualTo("(sensitive)");
    // nothing secret in the config itself
    String consulJson =
        new String(fs.get("/etc/consul.d/consul.json").content(), StandardCharsets.UTF_8);
    for (String secret : f.neverOnAClient("consul-server"))
      assertThat(consulJson).doesNotContain(secret);
    assertThat(fs).doesNotContainKey(ConsulConfig.INTRO_TOKEN_FILE);
  }

  @Test
  void client_introJwtIs0600Consul_untilConsulHasItsAutoConfig_thenRemoved() throws Exception {
    AgentSpec s = spec("counting");
    Path root = tmp.resolve("root");
    Map<String, FileResource> fs = files(resources(s, root));
    State jwt = fs.get(ConsulConfig.INTRO_TOKEN_FILE).desired();
    assertThat(jwt.get("mode")).isEqualTo("0600");
    assertThat(jwt.get("owner")).isEqualTo("consul:consul");
    assertThat(jwt.display("content")).isEqualTo("(sensitive)");
    assertThat(fs).doesNotContainKeys(ConsulConfig.SERVER_KEY_FILE, ConsulConfig.SERVER_CERT_FILE);
    assertThat(fs.get("/etc/consul.d/secrets.json")).isNull();

    // after the first join Consul keeps its own state; the JWT is then deleted, not rewritten
    Path state = root.resolve(ConsulConfig.AUTO_CONFIG_STATE.substring(1));
    Files.createDirectories(state.getParent());
    Files.writeString(state, "{}");
    List<Resource> after = resources(s, root);
    assertThat(files(after)).doesNotContainKey(ConsulConfig.INTRO_TOKEN_FILE);
    assertThat(after)
        .anyMatch(
            r ->
                r instanceof AbsentResource
                    && r.path().equals(Optional.of(ConsulConfig.INTRO_TOKEN_FILE)));
  }

  static String configDirMode(List<Resource> rs) {
    return rs.stream()
        .filter(
            r -> r instanceof DirectoryResource && r.path().equals(Optional.of("/etc/consul.d")))
        .findFirst()
        .orElseThrow()
        .desired()
        .get("mode");
  }

  @Test
  void client_envoyCanReachItsServiceToken_throughAConfigDirItCannotList() throws Exception {
    // the token's directory is 0750 root:envoy (secure/ServiceTokenResource); its parent must
    // let envoy search (o+x) but not read (o-r)
    assertThat(configDirMode(resources(spec("counting"), tmp.resolve("root")))).isEqualTo("0751");
    String yaml =
        Files.readString(Path.of("examples/counting.yaml")) + "security:\n  mode: insecure\n";
    AgentSpec insecure = new SpecLoader().parse(yaml.getBytes(StandardCharsets.UTF_8));
    assertThat(configDirMode(resources(insecure, tmp.resolve("root2")))).isEqualTo("0750");
  }

  @Test
  void insecure_writesNoSecurityFiles() throws Exception {
    String yaml =
        Files.readString(Path.of("examples/counting.yaml")) + "security:\n  mode: insecure\n";
    AgentSpec s = new SpecLoader().parse(yaml.getBytes(StandardCharsets.UTF_8));
    Map<String, FileResource> fs = files(resources(s, tmp.resolve("root")));
    assertThat(fs.keySet()).noneMatch(p -> p.startsWith("/etc/consul.d/tls"));
    assertThat(fs).doesNotContainKey(ConsulConfig.INTRO_TOKEN_FILE);
  }
}
