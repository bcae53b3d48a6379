package dev.consulvmagent.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.consulvmagent.sidecar.Registration;
import dev.consulvmagent.spec.AgentSpec;
import dev.consulvmagent.spec.MeshService;
import dev.consulvmagent.spec.SpecLoader;
import dev.consulvmagent.testing.Examples;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The REAL {@code consul validate} (Debian's Consul 1.8.7 at /usr/bin/consul) accepts every
 * /etc/consul.d the agent renders for 1.8.7: each shipped example, and registrations for a range of
 * annotation sets. 1.8.7 rejects every key it does not know (real-consul.md), so a key written for
 * a newer version fails here. Skips loudly without the binary; fails in CI (CI set).
 */
class ConsulValidateRealTest {
  static final Path CONSUL = Path.of("/usr/bin/consul");
  static final String VERSION = "1.8.7";
  @TempDir Path tmp;

  @BeforeAll
  static void realConsul() throws Exception {
    requireRealConsul();
  }

  /** Skips (loudly) without /usr/bin/consul on a developer machine; fails in CI. */
  static void requireRealConsul() throws IOException, InterruptedException {
    String why = null;
    if (!Files.isExecutable(CONSUL)) {
      why =
          CONSUL + " is missing: install Debian bullseye's consul 1.8.7 (see README, test set-up)";
    } else {
      Process p =
          new ProcessBuilder(CONSUL.toString(), "version").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(20, TimeUnit.SECONDS) || !out.contains("Consul v" + VERSION)) {
        why = CONSUL + " is not Consul v" + VERSION + ": " + out.lines().findFirst().orElse("");
      }
    }
    if (why == null) return;
    if (System.getenv("CI") != null) fail("CI is set and the real Consul is unusable: " + why);
    System.err.println("SKIPPED (real Consul tests): " + why);
    assumeTrue(false, why);
  }

  /** examples/NAME.yaml rewritten for Consul 1.8.7 (no transparent proxy: explicit upstreams). */
  static String example18(String name) throws IOException {
    String text =
        Files.readString(Path.of("examples", name + ".yaml"))
            .replace("version: \"1.16.6\"", "version: \"" + VERSION + "\"")
            .replace("version: \"1.26.8\"", "version: \"1.14.5\"");
    if (name.equals("counting"))
      text =
          text.replace(
              "service:\n  name: counting\n",
              "service:\n  name: counting\n  transparent_proxy: false\n");
    if (name.equals("dashboard")) {
      text =
          text.replace(
              "consul.hashicorp.com/transparent-proxy: \"true\"",
              "consul.hashicorp.com/transparent-proxy: \"false\"\n"
                  + "    consul.hashicorp.com/connect-service-upstreams: counting:9001");
    }
    assertThat(text).contains(VERSION);
    return text + Examples.INSECURE;
  }

  /** What ConsulModule and SidecarFiles write into /etc/consul.d for this spec. */
  static Path renderConsulD(AgentSpec spec, Path dir) throws IOException {
    Path d = Files.createDirectories(dir.resolve("etc/consul.d"));
    Files.write(d.resolve("consul.json"), Json.render(ConsulConfig.agent(spec.consul())));
    Map<String, Object> secrets = ConsulConfig.secrets(spec.consul());
    if (!secrets.isEmpty()) Files.write(d.resolve("secrets.json"), Json.render(secrets));
    if (spec.service().isPresent()) {
      MeshService m = spec.service().get().mesh();
      Files.write(
          d.resolve("service-registration.json"),
          Json.render(Registration.document(m, spec.consul().version())));
    }
    return d;
  }

  static void assertValid(Path consulD) throws Exception {
    // consul validate looks into a server's data directory (it stats <data_dir>/mdb and fails on
    // a permission error: hashicorp/consul agent/config/builder.go, builder.Validate), and
    // Debian's /var/lib/consul is 0700 consul: as a normal user every server config would fail.
    // That is this machine, not the config: a last file (read last, its scalars win) gives a
    // data directory of the test's own; the rendered files stay exactly as written.
    Path data = Files.createDirectories(consulD.resolveSibling(consulD.getFileName() + "-data"));
    Files.write(
        consulD.resolve("zz-test-data-dir.json"), Json.render(Map.of("data_dir", data.toString())));
    Process p =
        new ProcessBuilder(CONSUL.toString(), "validate", consulD.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    StringBuilder files = new StringBuilder();
    try (Stream<Path> s = Files.list(consulD)) {
      for (Path f : s.sorted().toList())
        files.append(f.getFileName()).append(": ").append(Files.readString(f)).append('\n');
    }
    assertThat(p.exitValue()).as("consul validate said:\n%s\nfor:\n%s", out, files).isZero();
    assertThat(out).contains("Configuration is valid!");
  }

  @ParameterizedTest
  @ValueSource(strings = {"consul-server", "dashboard", "counting"})
  void everyExample_renderedFor187_passesRealConsulValidate(String example) throws Exception {
    AgentSpec spec = new SpecLoader().parse(example18(example).getBytes(StandardCharsets.UTF_8));
    Path d = renderConsulD(spec, tmp);
    assertThat(Files.readString(d.resolve("consul.json"))).doesNotContain("ui_config");
    // the clients' short join interval (consul.retry_interval) is a key 1.8.7 knows
    if (!example.equals("consul-server"))
      assertThat(Files.readString(d.resolve("consul.json"))).contains("\"retry_interval\"");
    assertValid(d);
  }

  @ParameterizedTest
  @ValueSource(strings = {"consul-server", "dashboard", "counting"})
  void everyExample_withSecretsAndUiOff_passesRealConsulValidate(String example) throws Exception {
    // (duplicate keys are refused: drop the server example's own ui first)
    String text =
        example18(example)
            .replace("  ui: true\n", "")
            .replace(
                "  datacenter: dc1\n",
                "  datacenter: dc1\n"
                    + "  ui: false\n"
                    + "  encrypt: pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=\n"
                    + "  acl_token: 4f1e2f7c-9a55-4d3b-8c1e-2b7f0a6d9e11\n");
    assertValid(renderConsulD(new SpecLoader().parse(text.getBytes(StandardCharsets.UTF_8)), tmp));
  }

  static Stream<Arguments> annotationSets() {
    return Stream.of(
        Arguments.of("minimal", Map.of()),
        Arguments.of(
            "tags and meta",
            Map.of(
                "service-tags",
                "demo,web, v1 ",
                "service-meta-team",
                "seed",
                "service-meta-version",
                "1.2")),
        Arguments.of(
            "upstreams with datacenter and prepared query",
            Map.of(
                "connect-service-upstreams",
                "counting:9001,billing:9005:dc2,prepared_query:geo:9006,api.svc.dc3.dc:9007")),
        Arguments.of(
            "exclusions and extra args",
            Map.of(
                "transparent-proxy-exclude-inbound-ports",
                "22,9100",
                "transparent-proxy-exclude-outbound-ports",
                "443",
                "transparent-proxy-exclude-outbound-cidrs",
                "10.0.0.0/8",
                "transparent-proxy-exclude-uids",
                "998",
                "envoy-extra-args",
                "--log-level debug")),
        Arguments.of(
            "proxy config map",
            Map.of(
                "proxy-config-map",
                "{\"protocol\": \"http\", \"local_connect_timeout_ms\": 2000}")),
        Arguments.of("consul dns", Map.of("consul-dns", "true")),
        Arguments.of("no sidecar", Map.of("connect-inject", "false")),
        Arguments.of(
            "virtual ip (no effect without transparent proxy)", Map.of("@virtual", "10.0.0.5")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("annotationSets")
  void registrations_forAnnotationSets_passRealConsulValidate(
      String name, Map<String, String> extra) throws Exception {
    // bind_addr: consul validate refuses to guess among several private addresses (seen with
    // the demo's bridge up: "Multiple private IPv4 addresses found")
    StringBuilder y =
        new StringBuilder(
            "consul:\n  version: \""
                + VERSION
                + "\"\n  role: server\n"
                + "  bind_addr: 127.0.0.1\n"
                + "envoy:\n  version: \"1.14.5\"\nservice:\n  annotations:\n"
                + "    consul.hashicorp.com/connect-service: web\n"
                + "    consul.hashicorp.com/connect-service-port: \"9090\"\n"
                + "    consul.hashicorp.com/transparent-proxy: \"false\"\n");
    for (Map.Entry<String, String> e : extra.entrySet()) {
      String key =
          e.getKey().equals("@virtual")
              ? "alpha.consul.hashicorp.com/virtual-ip"
              : "consul.hashicorp.com/" + e.getKey();
      y.append("    ").append(key).append(": '").append(e.getValue()).append("'\n");
    }
    AgentSpec spec = new SpecLoader().parse(y.toString().getBytes(StandardCharsets.UTF_8));
    Path d = renderConsulD(spec, tmp);
    String reg = Files.readString(d.resolve("service-registration.json"));
    for (String unknownTo18 : List.of("\"mode\"", "transparent_proxy", "\"virtual\""))
      assertThat(reg).doesNotContain(unknownTo18);
    assertValid(d);
  }

  @ParameterizedTest
  @ValueSource(strings = {"ui_config", "service-mode"})
  void theRealBinary_rejectsWhatNewerVersionsWrite_soTheseTestsCanFail(String what)
      throws Exception {
    Path d = Files.createDirectories(tmp.resolve("neg"));
    String json =
        what.equals("ui_config")
            ? "{\"data_dir\": \"/var/lib/consul\", \"ui_config\": {\"enabled\": true}}"
            : "{\"service\": {\"name\": \"web\", \"port\": 1, \"connect\": {\"sidecar_service\":"
                + " {\"proxy\": {\"mode\": \"transparent\"}}}}}";
    Files.writeString(d.resolve("x.json"), json);
    Process p =
        new ProcessBuilder(CONSUL.toString(), "validate", d.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(30, TimeUnit.SECONDS);
    assertThat(p.exitValue()).isNotZero();
    assertThat(out).contains("invalid config key");
  }
}
