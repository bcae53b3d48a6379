package dev.consulvmagent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.testing.Examples;
import dev.consulvmagent.testing.Roots;
import dev.consulvmagent.testing.TestMirror;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18: with a specific consul.client_addr the agent's HTTP API listens there only (Consul's
 * -client, docs/agent/options "client_addr"), so every command and Envoy must reach it there. apply
 * waits for the agent at the address the config implies; the Envoy env file that Envoy's {@code
 * consul connect envoy} and sidecar-init's reload wait read must say the same address, and
 * sidecar-init must not rewrite it to another.
 */
class ConsulAddressAgreementTest {
  static TestMirror mirror;
  @TempDir Path tmp;

  @BeforeAll
  static void start() {
    mirror = Examples.mirror();
  }

  private static int run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
    assertThat(code).as(String.join(" ", args) + "\n" + out + err).isZero();
    return code;
  }

  @Test
  void applyAndSidecarInit_reachConsulWhereClientAddrSays() throws Exception {
    Path root = Roots.forApply(tmp.resolve("root"));
    String text =
        Files.readString(Path.of("examples", "counting.yaml"))
            .replace("  datacenter: dc1\n", "  datacenter: dc1\n  client_addr: 127.0.0.2\n");
    Path cfg = tmp.resolve("counting.yaml");
    // a specific client_addr is an insecure mesh's: a secure one serves HTTP on 127.0.0.1 only
    Files.writeString(
        cfg, text + "downloads:\n  verify_signatures: false\nsecurity:\n  mode: insecure\n");
    run("apply", "--config", cfg.toString(), "--root", root.toString(), "--mirror", mirror.url());
    Path env = root.resolve("etc/consul-vm-agent/envoy/counting.env");
    assertThat(Files.readAllLines(env)).contains("CONSUL_HTTP_ADDR=http://127.0.0.2:8500");

    run("sidecar-init", "--root", root.toString());
    assertThat(Files.readAllLines(env)).contains("CONSUL_HTTP_ADDR=http://127.0.0.2:8500");
  }

  @Test
  void anAddressConsulWouldRefuse_isAUsageError_namingTheFlag() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        Main.run(
            new String[] {"sidecar-wait", "web", "--timeout", "1", "--http-addr", "ftp://h:1"},
            new PrintWriter(out),
            new PrintWriter(err));
    assertThat(code).as(err.toString()).isEqualTo(2);
    assertThat(err.toString()).contains("-http-addr").contains("unknown protocol scheme 'ftp'");
  }
}
