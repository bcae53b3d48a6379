package dev.consulvmagent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.testing.Ports;
import dev.consulvmagent.testing.Roots;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The drop-in for the seed's generate-sidecar-configs.py: -f, --dry, --type, --root. */
class SidecarInitCommandTest {
  @TempDir Path tmp;

  private Path seedConfig(String json) throws Exception {
    Path f = tmp.resolve("service-config.json");
    Files.writeString(f, json);
    return f;
  }

  @Test
  void dryFull_printsTheFullCommandLines_andWritesNothing() throws Exception {
    Path f = seedConfig("{\"name\": \"counting\", \"port\": 9003}");
    // hermetic: whatever Consul listens on this machine's 8500 is not asked
    String down = Ports.nothingListening();
    // and under a root of its own: this machine's /usr/bin/consul (the real 1.8.7 here) is not
    // asked its version either (app/SidecarVersion), the default version is rendered for
    String r = Files.createDirectories(tmp.resolve("r")).toString();
    CliApplyTest.Run reg =
        sidecarInit(f, r, "--dry", "--full", "--type", "service-registration", "--http-addr", down);
    assertThat(reg.code()).isZero();
    assertThat(reg.out())
        .contains(
            "\"sidecar_service\"",
            "\"mode\" : \"transparent\"",
            "\"dialed_directly\" : true",
            "\"port\" : 9003");
    assertThat(
            sidecarInit(f, r, "--dry", "--type", "service-registration", "--http-addr", down).out())
        .isEqualTo(reg.out());
    assertThat(
            sidecarInit(f, r, "--dry", "--full", "--type", "connect-envoy", "--http-addr", down)
                .out())
        .startsWith("consul connect envoy -sidecar-for=counting -admin-bind=127.0.0.1:19000");
    assertThat(sidecarInit(f, r, "--dry", "--full", "--type", "redirect").out())
        .contains("-proxy-id=counting-sidecar-proxy");
    assertThat(sidecarInit(f, r, "--dry", "--full", "--type", "envoy").out())
        .contains("envoy@counting.service");
    try (var s = Files.list(tmp)) {
      assertThat(s.count()).isEqualTo(2); // the seed's config and the empty root
    }
    try (var s = Files.list(Path.of(r))) {
      assertThat(s.count()).isZero();
    }
  }

  /** sidecar-init -f f --root r, then args. */
  private static CliApplyTest.Run sidecarInit(Path f, String r, String... args) {
    List<String> a = new ArrayList<>(List.of("sidecar-init", "-f", f.toString(), "--root", r));
    a.addAll(List.of(args));
    return CliApplyTest.run(a.toArray(String[]::new));
  }

  /** The seed: {@code parser.error("--dry requries --type to be specified.")}, argparse exits 2. */
  @Test
  void dryWithoutType_orBadType_isAUsageError_onStderr() throws Exception {
    Path f = seedConfig("{\"name\": \"counting\", \"port\": 9003}");
    for (String[] args :
        List.of(
            new String[] {"--dry"},
            new String[] {"--dry", "--full"},
            new String[] {"--dry", "--type", "bogus"},
            new String[] {"--full", "--type", "envoy"},
            new String[] {"--http-addr", "unix:///run/consul.sock"},
            new String[] {"--http-addr", "http://a b"})) {
      List<String> line = new ArrayList<>(List.of("sidecar-init", "-f", f.toString()));
      line.addAll(List.of(args));
      CliApplyTest.Run r = CliApplyTest.run(line.toArray(String[]::new));
      assertThat(r.code()).as(line.toString()).isEqualTo(ExitCode.USAGE.code());
      assertThat(r.out()).isEmpty();
      assertThat(r.err()).contains(args[0].equals("--http-addr") ? "--http-addr" : "--type");
    }
    CliApplyTest.Run r = CliApplyTest.run("sidecar-init", "-f", f.toString(), "--dry");
    assertThat(r.err()).contains("--dry requires --type");
  }

  @Test
  void unknownAnnotations_oneWarningOnStderr_stdoutAsTheSeed() throws Exception {
    Path f = SeedDropInTest.VECTORS.resolve("04-unknown-annotations.json");
    CliApplyTest.Run r =
        CliApplyTest.run("sidecar-init", "-f", f.toString(), "--dry", "--type", "redirect");
    assertThat(r.code()).isZero();
    assertThat(r.out()).isEqualTo("-exclude-inbound-port=22\n");
    assertThat(r.err().lines().filter(l -> l.startsWith("warning: "))).hasSize(1);
    assertThat(r.err())
        .contains(
            "consul.hashicorp.com/enable-sidecar-proxy-lifecycle",
            "consul.hashicorp.com/connect-servce")
        .doesNotContain("prometheus.io", "app.kubernetes.io");
  }

  @Test
  void simpleForm_unknownKey_exits3_namingIt() throws Exception {
    Path f = seedConfig("{\"name\": \"web\", \"port\": 80, \"prot\": 81}");
    CliApplyTest.Run r =
        CliApplyTest.run("sidecar-init", "-f", f.toString(), "--dry", "--type", "redirect");
    assertThat(r.code()).isEqualTo(ExitCode.INVALID_CONFIG.code());
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).contains("prot", "unknown key");
  }

  @Test
  void malformedAnnotation_exits3_andWritesNothing() throws Exception {
    Path root = Roots.withUsers(Files.createDirectories(tmp.resolve("root")));
    Path f =
        seedConfig(
            "{\"annotations\": {\"consul.hashicorp.com/connect-service\": \"web\","
                + " \"consul.hashicorp.com/connect-service-port\": \"8080\","
                + " \"consul.hashicorp.com/connect-service-upstreams\": \"db\"}}");
    var before = Roots.snapshot(root);
    CliApplyTest.Run r =
        CliApplyTest.run("sidecar-init", "-f", f.toString(), "--root", root.toString());
    assertThat(r.code()).isEqualTo(ExitCode.INVALID_CONFIG.code());
    assertThat(r.err())
        .contains(
            "consul.hashicorp.com/connect-service-upstreams",
            "upstream structured incorrectly: db");
    assertThat(Roots.snapshot(root)).isEqualTo(before);
  }

  @Test
  void underRoot_writesRegistrationAndEnablesEnvoy_neverStarts_andIsIdempotent() throws Exception {
    Path root = Roots.withUsers(Files.createDirectories(tmp.resolve("root")));
    Files.createDirectories(root.resolve("srv/consul"));
    Files.writeString(
        root.resolve("srv/consul/service-config.json"), "{\"name\": \"counting\", \"port\": 9003}");
    CliApplyTest.Run r = CliApplyTest.run("sidecar-init", "--root", root.toString());
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    assertThat(Files.readString(root.resolve("etc/consul.d/service-registration.json")))
        .contains("\"name\" : \"counting\"");
    assertThat(
            Files.readSymbolicLink(
                root.resolve("etc/systemd/system/multi-user.target.wants/envoy@counting.service")))
        .isEqualTo(Path.of("/etc/systemd/system/envoy@.service"));
    assertThat(r.out()).contains("skipped (--root): start envoy@counting.service");
    var converged = Roots.snapshot(root);
    assertThat(CliApplyTest.run("sidecar-init", "--root", root.toString()).out())
        .contains("No changes");
    assertThat(Roots.snapshot(root)).isEqualTo(converged);
  }

  /** No agent answers: the env file apply wrote names the version, else the default is used. */
  @Test
  void agentDown_versionFromApplysEnvFile_elseTheDefault_andTheProgressLineSaysWhich()
      throws Exception {
    Path root = Files.createDirectories(tmp.resolve("root"));
    Path f = seedConfig("{\"name\": \"counting\", \"port\": 9003}");
    String down = Ports.nothingListening();
    String[] dry = {
      "sidecar-init",
      "-f",
      f.toString(),
      "--root",
      root.toString(),
      "--http-addr",
      down,
      "--dry",
      "--type",
      "service-registration"
    };
    CliApplyTest.Run none = CliApplyTest.run(dry);
    assertThat(none.code()).as(none.err()).isZero();
    assertThat(none.err())
        .contains(
            "rendering for Consul 1.16.6 (the default: the agent did not"
                + " answer: cannot reach the Consul agent at "
                + down);
    assertThat(none.out()).contains("\"mode\" : \"transparent\"");
    Path env = Files.createDirectories(root.resolve("etc/consul-vm-agent/envoy"));
    Files.writeString(env.resolve("counting.env"), "MANAGED_CONSUL_VERSION=1.8.7\n");
    CliApplyTest.Run applied = CliApplyTest.run(dry);
    // 1.8.7 has no transparent proxy (the seed's default): refused, naming the field
    assertThat(applied.code()).isEqualTo(ExitCode.INVALID_CONFIG.code());
    assertThat(applied.err())
        .contains(
            "rendering for Consul 1.8.7 (the one apply rendered for, in"
                + " /etc/consul-vm-agent/envoy/counting.env; the agent did not answer",
            "consul.version");
    // --root that is not / and no --http-addr: no agent is asked
    CliApplyTest.Run notAsked =
        CliApplyTest.run(
            "sidecar-init",
            "-f",
            f.toString(),
            "--root",
            tmp.resolve("empty").toString(),
            "--dry",
            "--type",
            "service-registration");
    assertThat(notAsked.err()).contains("no agent was asked (--root is not this machine)");
    // host:port, as Consul's CLI takes $CONSUL_HTTP_ADDR, means http
    CliApplyTest.Run bare =
        CliApplyTest.run(
            "sidecar-init",
            "-f",
            f.toString(),
            "--root",
            root.toString(),
            "--http-addr",
            down.substring("http://".length()),
            "--dry",
            "--type",
            "service-registration");
    assertThat(bare.err()).contains("cannot reach the Consul agent at " + down);
    // the types whose output does not depend on the version ask nothing
    assertThat(
            CliApplyTest.run(
                    "sidecar-init",
                    "-f",
                    f.toString(),
                    "--root",
                    root.toString(),
                    "--http-addr",
                    down,
                    "--dry",
                    "--type",
                    "redirect")
                .err())
        .isEmpty();
  }
}
