package dev.consulvmagent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.testing.Roots;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every broken config: exit 3, a message naming the field, and the root byte-for-byte unchanged.
 */
class CliBrokenConfigTest {
  @TempDir Path tmp;

  static Stream<Arguments> corpus() {
    byte[] garbage = new byte[4096];
    new Random(7).nextBytes(garbage);
    StringBuilder huge = new StringBuilder("consul:\n  role: server\n  extra_config:\n");
    while (huge.length() < 3 * 1024 * 1024)
      huge.append("    k").append(huge.length()).append(": value-value-value-value\n");
    return Stream.of(
        Arguments.of("empty", new byte[0], "empty"),
        Arguments.of("syntax", "consul: {role: server\n".getBytes(), "YAML syntax error"),
        Arguments.of("unknown key", "consul: {role: server}\nenvoi: {}\n".getBytes(), "envoi"),
        Arguments.of(
            "wrong type",
            "consul: {role: server, retry_join: 192.0.2.10}\n".getBytes(),
            "consul.retry_join"),
        Arguments.of(
            "bad port",
            "consul: {role: server}\nenvoy: {admin_port: 0}\n".getBytes(),
            "envoy.admin_port"),
        Arguments.of(
            "shell metacharacters",
            "consul: {role: server}\napp: {name: 'x$(reboot)', url: 'https://a.example/x', sha256: x}\n"
                .getBytes(),
            "app.name"),
        Arguments.of("java object tag", "consul: !!java.io.File [/etc/passwd]\n".getBytes(), "tag"),
        Arguments.of("multi-megabyte", huge.toString().getBytes(), "larger than 1 MiB"),
        Arguments.of("binary garbage", garbage, "config"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("corpus")
  void brokenConfig_exits3_namesTheField_changesNothing(String name, byte[] content, String field)
      throws Exception {
    Path root = Roots.withUsers(Files.createDirectories(tmp.resolve("root")));
    Files.createDirectories(root.resolve("etc/consul.d"));
    Files.writeString(root.resolve("etc/consul.d/consul.json"), "{\"keep\": true}\n");
    Path cfg = tmp.resolve("agent.yaml");
    Files.write(cfg, content);
    Map<String, String> before = Roots.snapshot(root);
    for (String cmd : new String[] {"validate", "plan", "apply"}) {
      CliApplyTest.Run r =
          CliApplyTest.run(cmd, "--config", cfg.toString(), "--root", root.toString());
      assertThat(r.code()).as(cmd + ": " + r.err()).isEqualTo(ExitCode.INVALID_CONFIG.code());
      assertThat(r.err()).contains(field).contains("Nothing was changed");
    }
    assertThat(Roots.snapshot(root)).isEqualTo(before);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("corpus")
  void usageErrors_exit2(String name, byte[] content, String field) {
    if (!name.equals("empty")) return;
    assertThat(CliApplyTest.run("apply", "--no-such-flag").code()).isEqualTo(ExitCode.USAGE.code());
    assertThat(CliApplyTest.run("frobnicate").code()).isEqualTo(ExitCode.USAGE.code());
    CliApplyTest.Run v = CliApplyTest.run("--version");
    assertThat(v.code()).isZero();
    assertThat(v.out()).startsWith("consul-vm-agent");
  }
}
