package dev.consulvmagent.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CLI as the launcher runs it (render/Units.launcher: -XX:+UseSerialGC -Xss512k -Xmx96m) on
 * hostile input: exit 3 with the field named, never an OutOfMemoryError, a StackOverflowError, exit
 * 4 or a hang; and a device or FIFO as --config/--user-data is refused, not read forever.
 */
class CliHostileInputTest {
  @TempDir Path tmp;

  record Result(int code, String err) {}

  /** A separate JVM with the launcher's small-VM flags and this test's classpath. */
  static Result runSmallJvm(String... args) throws Exception {
    List<String> argv =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC",
                "-Xss512k",
                "-Xmx96m",
                "-cp",
                System.getProperty("java.class.path"),
                "dev.consulvmagent.cli.Main"));
    argv.addAll(List.of(args));
    Process p = new ProcessBuilder(argv).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    byte[] err = p.getErrorStream().readNBytes(64 * 1024);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("no answer within 60 s: " + String.join(" ", args));
    }
    return new Result(p.exitValue(), new String(err, StandardCharsets.UTF_8));
  }

  static Stream<Arguments> configBombs() {
    StringBuilder scalar =
        new StringBuilder("consul:\n  role: server\n  extra_config:\n    x: &a '")
            .append("y".repeat(2000))
            .append("'\n    z: [");
    for (int i = 0; i < 150_000; i++) scalar.append("*a,");
    scalar.append("*a]\n");
    StringBuilder deep = new StringBuilder("consul: {role: server}\n");
    deep.append("a0: &a0 ").append("[".repeat(38)).append("x").append("]".repeat(38)).append('\n');
    for (int i = 1; i < 15; i++) {
      deep.append("a")
          .append(i)
          .append(": &a")
          .append(i)
          .append(' ')
          .append("[".repeat(38))
          .append("*a")
          .append(i - 1)
          .append("]".repeat(38))
          .append('\n');
    }
    return Stream.of(
        Arguments.of(
            "half a million scalars",
            "consul: {role: server, extra_config: {x: [" + "1,".repeat(500_000) + "1]}}\n",
            "more than 100000 values"),
        Arguments.of("150000 scalar aliases", scalar.toString(), "more than 100000 values"),
        Arguments.of(
            "50000 aliases of a 2000-character scalar",
            "consul: {role: server, extra_config: {x: &a '"
                + "y".repeat(2000)
                + "', z: ["
                + "*a,".repeat(50_000)
                + "*a]}}\n",
            "MiB of text"),
        Arguments.of("aliases 570 levels deep", deep.toString(), "levels"),
        Arguments.of(
            "CR in environment",
            "consul: {role: server}\napp: {name: web, url: 'https://x.example/w', sha256: "
                + "0".repeat(64)
                + ", environment: {A: \"x\\rExecStartPre=+/bin/sh\"}}\n",
            "app.environment.A"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("configBombs")
  void configBombs_exit3_inTheLaunchersHeap(String name, String yaml, String expected)
      throws Exception {
    Path cfg = Files.writeString(tmp.resolve("agent.yaml"), yaml);
    Result r = runSmallJvm("validate", "--config", cfg.toString());
    assertThat(r.err())
        .doesNotContain("OutOfMemoryError")
        .doesNotContain("StackOverflowError")
        .contains(expected);
    assertThat(r.code()).as(r.err()).isEqualTo(ExitCode.INVALID_CONFIG.code());
  }

  @Test
  void userDataBombs_exit3_inTheLaunchersHeap() throws Exception {
    Path p = Files.write(tmp.resolve("ud"), HostileUserData.gzipBombOfParts());
    Result r = runSmallJvm("validate", "--user-data", p.toString());
    assertThat(r.err()).doesNotContain("OutOfMemoryError");
    assertThat(r.code()).as(r.err()).isEqualTo(ExitCode.INVALID_CONFIG.code());
  }

  /**
   * A Jinja part under --root DIR is rendered with DIR's instance data; a hostile template or
   * instance data is exit 3 in the launcher's heap, and no secret of the data is printed.
   */
  @Test
  void jinjaUserData_withHostileInstanceDataOrTemplate_exit3_inTheLaunchersHeap() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("root"));
    Path run = Files.createDirectories(root.resolve("run/cloud-init"));
    Path data = run.resolve("instance-data-sensitive.json");
    String head =
        "## template: jinja\n"
            + "#cloud-config\n"
            + "write_files:\n"
            + "  - path: /etc/consul-vm-agent/agent.yaml\n"
            + "    content: |\n";
    Path ud =
        Files.writeString(
            tmp.resolve("ud"),
            head
                + "      consul: {role: server, node_name: '{{ v1.local_hostname }}'}\n"
                + "      security: {mode: insecure}\n");
    // no instance data: one exit-3 message naming the part and the file
    Result r = runSmallJvm("validate", "--root", root.toString(), "--user-data", ud.toString());
    assertThat(r.code()).as(r.err()).isEqualTo(ExitCode.INVALID_CONFIG.code());
    assertThat(r.err()).contains("part 1").contains("instance-data-sensitive.json");
    // the instance data there: rendered
    Files.writeString(data, "{\"v1\": {\"local_hostname\": \"web-1\"}}");
    r = runSmallJvm("validate", "--root", root.toString(), "--user-data", ud.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).doesNotContain("SLF4J");
    // a value of the sensitive file the config refuses: named, never quoted (a review found the
    // error quoting it to the terminal, cloud-init's log and last-run.json)
    Files.writeString(data, "{\"v1\": {\"local_hostname\": \"SUPER secret\"}}");
    r = runSmallJvm("validate", "--root", root.toString(), "--user-data", ud.toString());
    assertThat(r.code()).as(r.err()).isEqualTo(ExitCode.INVALID_CONFIG.code());
    assertThat(r.err()).contains("consul.node_name").contains("not shown").doesNotContain("SUPER");
    // the same from the redacted instance-data.json (what a reader without root gets): quoted
    Files.delete(data);
    Path open =
        Files.writeString(
            run.resolve("instance-data.json"), "{\"v1\": {\"local_hostname\": \"SUPER secret\"}}");
    r = runSmallJvm("validate", "--root", root.toString(), "--user-data", ud.toString());
    assertThat(r.code()).as(r.err()).isEqualTo(ExitCode.INVALID_CONFIG.code());
    assertThat(r.err()).contains("consul.node_name").contains("SUPER secret");
    Files.delete(open);
    // malformed, with a secret: exit 3 without the secret
    Files.writeString(data, "{\"v1\": {\"token\": s3cr3t-value");
    r = runSmallJvm("validate", "--root", root.toString(), "--user-data", ud.toString());
    assertThat(r.code()).as(r.err()).isEqualTo(ExitCode.INVALID_CONFIG.code());
    assertThat(r.err()).contains("is not JSON").doesNotContain("s3cr3t");
    // as large as allowed, of tiny values: refused before it is a tree
    Files.writeString(data, "{\"a\": [" + "1,".repeat(2 * 1024 * 1024 - 10) + "1]}");
    r = runSmallJvm("validate", "--root", root.toString(), "--user-data", ud.toString());
    assertThat(r.err()).doesNotContain("OutOfMemoryError").contains("JSON values");
    assertThat(r.code()).as(r.err()).isEqualTo(ExitCode.INVALID_CONFIG.code());
    // a template that renders gigabytes
    Files.writeString(data, "{\"v1\": {\"local_hostname\": \"" + "x".repeat(100_000) + "\"}}");
    Path bomb =
        Files.writeString(
            tmp.resolve("bomb"),
            head + "      x: '{% for i in range(100000) %}{{ v1.local_hostname }}{% endfor %}'\n");
    r = runSmallJvm("validate", "--root", root.toString(), "--user-data", bomb.toString());
    assertThat(r.err()).doesNotContain("OutOfMemoryError").contains("output too big");
    assertThat(r.code()).as(r.err()).isEqualTo(ExitCode.INVALID_CONFIG.code());
  }

  @Test
  void devZero_asConfigOrUserData_isRefused() throws Exception {
    assumeTrue(Files.exists(Path.of("/dev/zero")));
    for (String flag : new String[] {"--config", "--user-data"}) {
      Result r = runSmallJvm("validate", flag, "/dev/zero");
      assertThat(r.code()).as(r.err()).isEqualTo(ExitCode.INVALID_CONFIG.code());
      assertThat(r.err()).contains("not a regular file");
    }
  }

  @Test
  void fifo_asConfigOrUserData_isRefused_withoutWaitingForAWriter() throws Exception {
    Path fifo = tmp.resolve("fifo");
    Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
    assumeTrue(mk.waitFor(10, TimeUnit.SECONDS) && mk.exitValue() == 0, "mkfifo not available");
    for (String flag : new String[] {"--config", "--user-data"}) {
      Result r = runSmallJvm("validate", flag, fifo.toString());
      assertThat(r.code()).as(r.err()).isEqualTo(ExitCode.INVALID_CONFIG.code());
      assertThat(r.err()).contains("not a regular file");
    }
    Path root = Files.createDirectories(tmp.resolve("root"));
    Result r = runSmallJvm("sidecar-init", "-f", fifo.toString(), "--root", root.toString());
    assertThat(r.code()).as(r.err()).isEqualTo(ExitCode.INVALID_CONFIG.code());
    assertThat(r.err()).contains("not a regular file");
    try (var files = Files.list(root)) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void directory_asConfig_isRefused() throws Exception {
    Result r = runSmallJvm("validate", "--config", tmp.toString());
    assertThat(r.code()).as(r.err()).isEqualTo(ExitCode.INVALID_CONFIG.code());
    assertThat(r.err()).contains("directory");
  }

  /** Builders shared with the spec tests' corpus. */
  static final class HostileUserData {
    static byte[] gzipBombOfParts() throws Exception {
      ByteArrayOutputStream gz = new ByteArrayOutputStream();
      try (GZIPOutputStream g = new GZIPOutputStream(gz)) {
        g.write(("#cloud-config\nx: '" + "a".repeat(1000 * 1000) + "'\n").getBytes());
      }
      String part =
          // application/x-gzip: the part type cloud-init decompresses (user_data.DECOMP_TYPES)
          "--XYZ\nContent-Type: application/x-gzip\nContent-Transfer-Encoding: base64\n\n"
              + Base64.getMimeEncoder().encodeToString(gz.toByteArray())
              + "\n";
      StringBuilder b =
          new StringBuilder(
              "Content-Type: multipart/mixed; boundary=\"XYZ\"\nMIME-Version: 1.0\n\n");
      for (int i = 0; i < 90; i++) b.append(part);
      return b.append("--XYZ--\n").toString().getBytes();
    }
  }
}
