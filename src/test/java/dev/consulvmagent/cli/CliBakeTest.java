package dev.consulvmagent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.app.Agent;
import dev.consulvmagent.app.ConsulAccess;
import dev.consulvmagent.app.Hosts;
import dev.consulvmagent.app.InstanceReady;
import dev.consulvmagent.app.RunOptions;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.engine.Planned;
import dev.consulvmagent.render.ConsulConfig;
import dev.consulvmagent.render.Units;
import dev.consulvmagent.secure.MeshFixture;
import dev.consulvmagent.spec.AgentSpec;
import dev.consulvmagent.spec.SpecLoader;
import dev.consulvmagent.spec.UserData;
import dev.consulvmagent.testing.Examples;
import dev.consulvmagent.testing.Roots;
import dev.consulvmagent.testing.TestMirror;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * apply --bake makes a base image in a temp root (the seed's prebuilt-image environment); then two
 * copies of it are "booted" the way the instance unit does at first boot: their own agent.yaml and
 * the seed's /srv/consul/service-config.json, as cloud-init's write_files leaves them, then apply.
 */
class CliBakeTest {
  static TestMirror mirror;
  @TempDir Path tmp;

  record Run(int code, String out, String err) {}

  @BeforeAll
  static void start() {
    mirror = Examples.mirror();
  }

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
    return new Run(code, out.toString(), err.toString());
  }

  private static final String BASE =
      """
      consul:
        version: "1.16.6"
      envoy:
        version: "1.26.8"
      downloads:
        verify_signatures: false
      """;

  /** The instance's own agent config: the counting machine without its service: block. */
  private static String instance(String node, String ip) throws IOException {
    String t = Files.readString(Path.of("examples", "counting.yaml"));
    int svc = t.indexOf("service:\n");
    int dns = t.indexOf("dns:\n");
    t = t.substring(0, svc) + t.substring(dns);
    return t.replace("node_name: counting", "node_name: " + node)
            .replace("bind_addr: 192.0.2.12", "bind_addr: " + ip)
        + "downloads:\n  verify_signatures: false\nsecurity:\n  mode: insecure\n";
  }

  /** The seed's service config, as the seed's user-data writes it (its own formatting). */
  private static final String SERVICE_CONFIG =
      "{\n    \"name\": \"counting\",\n    \"port\": 9003\n}\n";

  private Path write(String name, String text) throws IOException {
    Path p = tmp.resolve(name);
    Files.writeString(p, text);
    return p;
  }

  /** apply --bake of cfg under root from the mirror at mirrorUrl, then extra. */
  static String[] bakeArgs(Path cfg, Path root, String mirrorUrl, String... extra) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "apply",
                "--bake",
                "--config",
                cfg.toString(),
                "--root",
                root.toString(),
                "--mirror",
                mirrorUrl));
    a.addAll(List.of(extra));
    return a.toArray(String[]::new);
  }

  private Run bake(Path cfg, Path root, String... extra) {
    return run(bakeArgs(cfg, root, mirror.url(), extra));
  }

  /** An instance's apply of cfg under root, from the test mirror. */
  private static Run applyAt(Object cfg, Path root) {
    return run(
        "apply", "--config", cfg.toString(), "--root", root.toString(), "--mirror", mirror.url());
  }

  private Path baked() throws Exception {
    Path image = Roots.forApply(tmp.resolve("image"));
    Run r = bake(write("base.yaml", BASE), image);
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    return image;
  }

  @Test
  void bake_installsAndEnablesEverythingShared_andNothingPerInstance() throws Exception {
    Path image = baked();
    assertThat(image.resolve("usr/bin/consul")).isExecutable();
    assertThat(image.resolve("usr/bin/envoy")).isExecutable();
    assertThat(image.resolve("usr/local/bin/consul-vm-agent")).isExecutable();
    assertThat(image.resolve("etc/systemd/system/envoy@.service")).exists();
    for (String unit :
        List.of(
            "consul.service", "consul-sidecar-init.service", "consul-vm-agent-instance.service")) {
      assertThat(
              Files.readSymbolicLink(
                  image.resolve("etc/systemd/system/multi-user.target.wants/" + unit)))
          .isEqualTo(Path.of("/etc/systemd/system/" + unit));
    }
    // nothing per-instance: no agent config, node, secrets, app, service, registration, node-id
    assertThat(image.resolve("etc/consul.d")).isEmptyDirectory();
    assertThat(image.resolve("var/lib/consul")).isEmptyDirectory();
    assertThat(image.resolve("etc/consul-vm-agent/agent.yaml")).doesNotExist();
    assertThat(image.resolve("srv/consul/service-config.json")).doesNotExist();
    assertThat(image.resolve("etc/consul-vm-agent/envoy")).isEmptyDirectory();
    try (Stream<Path> units = Files.list(image.resolve("etc/systemd/system"))) {
      assertThat(units.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder(
              "consul.service",
              "envoy@.service",
              "consul-sidecar-init.service",
              "consul-vm-agent-instance.service",
              "consul-dns-redirect.service",
              "envoy@.service.d",
              "multi-user.target.wants");
    }
    // the instance unit: after cloud-init wrote the instance's config, before Consul starts
    String unit =
        Files.readString(image.resolve("etc/systemd/system/consul-vm-agent-instance.service"));
    assertThat(unit)
        .contains(
            "ConditionPathExists=/etc/consul-vm-agent/agent.yaml",
            "After=network-online.target cloud-init.service",
            "Before=consul.service consul-sidecar-init.service",
            "ExecStart=/usr/local/bin/consul-vm-agent apply");
    // the marker names the versions and never the mirror (its URL may carry a password)
    String marker = Files.readString(image.resolve("etc/consul-vm-agent/image.yaml"));
    assertThat(marker).contains("version: \"1.16.6\"", "version: \"1.26.8\"");
    assertThat(marker).doesNotContain(mirror.url(), "127.0.0.1");
    // and a re-bake changes nothing
    Run again = bake(write("base.yaml", BASE), image, "--output", "json");
    assertThat(again.out()).contains("\"changed\" : 0");
  }

  @Test
  void bake_refusesPerInstanceSettings_allAtOnce_andChangesNothing() throws Exception {
    Path image = Roots.forApply(tmp.resolve("image"));
    Map<String, String> before = Roots.snapshot(image);
    Path cfg =
        write(
            "base.yaml",
            Files.readString(Path.of("examples", "counting.yaml"))
                .replace(
                    "retry_join: [192.0.2.10]",
                    "retry_join: [192.0.2.10]\n"
                        + "  encrypt: \"pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=\""));
    Run r = bake(cfg, image);
    assertThat(r.code()).isEqualTo(ExitCode.INVALID_CONFIG.code());
    assertThat(r.err())
        .contains(
            "consul.node_name",
            "consul.bind_addr",
            "consul.retry_join",
            "consul.encrypt",
            "app",
            "service",
            "per-instance");
    assertThat(r.out() + r.err()).doesNotContain("pUqJrVyVRj5jsiYEkM");
    assertThat(Roots.snapshot(image)).isEqualTo(before);
  }

  @Test
  void bake_refusesTheSecureMeshSecrets_theyArePerInstance() throws Exception {
    Path image = Roots.forApply(tmp.resolve("image"));
    Path cfg =
        write(
            "base.yaml",
            BASE + "security:\n  gossip_key: \"pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=\"\n");
    Run r = bake(cfg, image);
    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(ExitCode.INVALID_CONFIG.code());
    assertThat(r.err()).contains("security.gossip_key");
    assertThat(r.out() + r.err()).doesNotContain("pUqJrVyVRj5jsiYEkM");
  }

  @Test
  void twoInstancesOfOneImage_bootWithTheirOwnSettings_downloadingOnlyTheApp() throws Exception {
    Path image = baked();
    Map<String, String> consulJson = new HashMap<>();
    for (String[] m :
        List.of(
            new String[] {"counting", "192.0.2.12"}, new String[] {"counting2", "192.0.2.13"})) {
      Path root = tmp.resolve("boot-" + m[0]);
      copyTree(image, root);
      // what cloud-init's write_files leaves before the instance unit runs
      Files.writeString(root.resolve("etc/consul-vm-agent/agent.yaml"), instance(m[0], m[1]));
      Files.createDirectories(root.resolve("srv/consul"));
      Files.writeString(root.resolve("srv/consul/service-config.json"), SERVICE_CONFIG);
      mirror.requests.clear();
      String cfg = root.resolve("etc/consul-vm-agent/agent.yaml").toString();
      Run first = applyAt(cfg, root);
      assertThat(first.code()).as(first.out() + first.err()).isZero();
      assertThat(mirror.requests)
          .as("the image has Consul and Envoy: only the app is downloaded")
          .isNotEmpty()
          .allMatch(p -> p.contains("counting-service"), "the app's download");
      consulJson.put(m[0], Files.readString(root.resolve("etc/consul.d/consul.json")));
      // the seed's service config made the registration and the sidecar's settings
      assertThat(root.resolve("etc/consul.d/service-registration.json")).exists();
      assertThat(Files.readString(root.resolve("etc/consul.d/service-registration.json")))
          .contains("\"sidecar_service\"", "\"name\" : \"counting\"");
      assertThat(root.resolve("etc/consul-vm-agent/envoy/counting.env")).exists();
      // the seed's file is input: never rewritten (its own formatting stays)
      assertThat(root.resolve("srv/consul/service-config.json")).hasContent(SERVICE_CONFIG);
      // the instance unit stays (not a leftover), and a re-run changes nothing
      assertThat(root.resolve("etc/systemd/system/consul-vm-agent-instance.service")).exists();
      Run plan = run("plan", "--config", cfg, "--root", root.toString(), "--detailed-exitcode");
      assertThat(plan.code()).as(plan.out()).isZero();
      assertThat(root.resolve("var/lib/consul")).isEmptyDirectory();
    }
    assertThat(consulJson.get("counting")).contains("\"node_name\" : \"counting\"");
    assertThat(consulJson.get("counting2")).contains("\"node_name\" : \"counting2\"");
  }

  /**
   * The first boot's ready signal (app/InstanceReady) comes after everything Consul and Envoy read
   * and before what only the app and systemd need: on the image's real catalog, Consul's config,
   * the registration, Envoy's settings and its enablement are converged before it, the app's unit
   * after... or before, as the catalog orders it, but never the other way round for the inputs. And
   * the image holds the envoy@ drop-in that orders sidecar-init after the sidecar.
   */
  @Test
  void firstBoot_readyAfterConsulsAndEnvoysInputs() throws Exception {
    Path image = baked();
    assertThat(image.resolve(Units.ENVOY_BEFORE_SIDECAR_INIT.substring(1)))
        .hasContent(Units.envoyBeforeSidecarInit());
    Path root = tmp.resolve("boot");
    copyTree(image, root);
    Files.writeString(
        root.resolve("etc/consul-vm-agent/agent.yaml"), instance("counting", "192.0.2.12"));
    Files.createDirectories(root.resolve("srv/consul"));
    Files.writeString(root.resolve("srv/consul/service-config.json"), SERVICE_CONFIG);
    // what the instance apply of an earlier version left: removed (after the signal)
    Path old = root.resolve(Units.OLD_SIDECAR_INIT_AFTER_ENVOY.substring(1));
    Files.createDirectories(old.getParent());
    Files.writeString(old, "[Unit]\nAfter=envoy@counting.service\n");
    RunOptions o =
        new RunOptions(
            Optional.of(root.resolve("etc/consul-vm-agent/agent.yaml")),
            Optional.empty(),
            root,
            Optional.of(mirror.url()),
            Optional.empty());
    List<Planned> plan =
        new Agent(Hosts.forRoot(root), ConsulAccess.NONE, EventSink.NONE).prepare(o).plan();
    int ready = InstanceReady.lastInput(plan);
    List<String> keys = plan.stream().map(p -> p.change().key()).toList();
    List<String> changed =
        plan.stream().filter(p -> p.change().actionable()).map(p -> p.change().key()).toList();
    assertThat(keys.get(ready))
        .isEqualTo("link:/etc/systemd/system/multi-user.target.wants/envoy@counting.service");
    assertThat(changed)
        .contains(
            "file:/etc/consul.d/consul.json",
            "file:/etc/consul.d/service-registration.json",
            "file:/etc/consul-vm-agent/envoy/counting.env",
            "link:/etc/systemd/system/multi-user.target.wants/envoy@counting.service",
            "file:/etc/systemd/system/counting.service",
            "absent:" + Units.OLD_SIDECAR_INIT_AFTER_ENVOY);
    for (int i = 0; i < keys.size(); i++) {
      String k = keys.get(i);
      if (k.contains("consul.d") || k.contains("/var/lib/consul") || k.contains("/envoy"))
        assertThat(i).as(k + " converges before the signal").isLessThanOrEqualTo(ready);
      if (k.contains("after-envoy") || k.contains("dns") || k.contains("watch"))
        assertThat(i).as(k + " converges after the signal").isGreaterThan(ready);
    }
    Run applied = applyAt(root.resolve("etc/consul-vm-agent/agent.yaml"), root);
    assertThat(applied.code()).as(applied.out() + applied.err()).isZero();
    assertThat(old).doesNotExist();
  }

  /**
   * A secure instance with the seed's service config (cloud-init/prebuilt-image/counting.yaml
   * rendered by mesh user-data): its Consul config is the secure mesh's (TLS, auto_config with its
   * intro JWT), not the insecure one a copy of the spec without its security block gave (seen in
   * scripts/e2e prebuilt-image-secure: the client could not join the encrypted server).
   */
  @Test
  void aSecureInstanceWithTheSeedsServiceConfig_keepsItsSecurity() throws Exception {
    Path image = baked();
    MeshFixture f = new MeshFixture(tmp.resolve("mesh"), "consul-server=192.0.2.10");
    Path template = tmp.resolve("counting-template.yaml");
    Files.writeString(
        template,
        Files.readString(Path.of("cloud-init/prebuilt-image/counting.yaml"))
            .replace("      consul:\n", "      consul:\n        version: \"1.16.6\"\n")
            .replace(
                "      dns:\n        mode: auto\n",
                "      dns:\n"
                    + "        mode: auto\n"
                    + "      downloads:\n"
                    + "        verify_signatures: false\n"));
    Path ud = tmp.resolve("counting-ud.yaml");
    Run r = run(f.userDataArgs("counting", template, ud));
    assertThat(r.code()).as(r.err()).isZero();
    Path root = tmp.resolve("boot");
    copyTree(image, root);
    // what cloud-init's write_files leaves before the instance unit runs
    byte[] userData = Files.readAllBytes(ud);
    Path cfg = root.resolve("etc/consul-vm-agent/agent.yaml");
    Files.write(cfg, UserData.extract(userData, "/etc/consul-vm-agent/agent.yaml"));
    Files.createDirectories(root.resolve("srv/consul"));
    Files.write(
        root.resolve("srv/consul/service-config.json"),
        UserData.extract(userData, "/srv/consul/service-config.json"));
    Run applied = applyAt(cfg, root);
    assertThat(applied.code()).as(applied.out() + applied.err()).isZero();
    // (the registration waits for the service token: the cluster step's login, live hosts only)
    String consul = Files.readString(root.resolve("etc/consul.d/consul.json"));
    assertThat(consul).contains("\"auto_config\"", "\"verify_outgoing\" : true");
    assertThat(root.resolve(ConsulConfig.CA_FILE.substring(1))).exists();
    assertThat(root.resolve(ConsulConfig.INTRO_TOKEN_FILE.substring(1))).exists();
  }

  @Test
  void aServiceConfigTheAgentWroteItself_isNotInput_aRemovedServiceStaysRemoved() throws Exception {
    Path root = Roots.forApply(tmp.resolve("root"));
    String full =
        Files.readString(Path.of("examples", "counting.yaml"))
            + "downloads:\n  verify_signatures: false\nsecurity:\n  mode: insecure\n";
    Path cfg = write("counting.yaml", full);
    assertThat(applyAt(cfg, root).code()).isZero();
    assertThat(root.resolve("etc/consul.d/service-registration.json")).exists();
    Path noService = write("counting.yaml", instance("counting", "192.0.2.12"));
    Run r = applyAt(noService, root);
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    assertThat(root.resolve("etc/consul.d/service-registration.json")).doesNotExist();
  }

  @ParameterizedTest
  @ValueSource(strings = {"consul-server", "dashboard", "counting"})
  void theShippedInstanceUserData_carriesOnlyWhatIsPerInstance(String m) throws Exception {
    Path file = Path.of("cloud-init", "prebuilt-image", m + ".yaml");
    byte[] ud = Files.readAllBytes(file);
    String text = new String(ud, StandardCharsets.UTF_8);
    // no packages, no runcmd: the image has everything, its instance unit runs the agent
    assertThat(text).startsWith("#cloud-config\n").doesNotContain("\npackages:", "\nruncmd:");
    AgentSpec spec =
        new SpecLoader().parse(UserData.extract(ud, "/etc/consul-vm-agent/agent.yaml"));
    assertThat(spec.service()).as("the service comes the seed's way").isEmpty();
    assertThat(spec.consul().nodeName()).contains(m);
    if (!m.equals("consul-server")) {
      var svc = SpecLoader.serviceConfig(UserData.extract(ud, "/srv/consul/service-config.json"));
      assertThat(svc.mesh().name()).isEqualTo(m);
      assertThat(spec.app()).isPresent();
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> all = Files.walk(from)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        Path d = to.resolve(from.relativize(p).toString());
        if (Files.isSymbolicLink(p)) Files.createSymbolicLink(d, Files.readSymbolicLink(p));
        else if (Files.isDirectory(p)) Files.createDirectories(d);
        else Files.copy(p, d, StandardCopyOption.COPY_ATTRIBUTES);
      }
    }
  }
}
