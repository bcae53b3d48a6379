package dev.consulvmagent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.testing.RealConsul;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commands that talk to Consul read its flags and environment as Consul's CLI does (a real
 * 1.8.7 agent answers the scheme-less address operators export), and no flag or environment value
 * ends in exit 4: what cannot be an endpoint is a usage error (2), an endpoint that does not answer
 * a failure (1). Each run is a real process, so the environment is really the process's.
 */
class CliConsulFlagsRealTest {
  @TempDir Path tmp;

  record Run(int code, String out, String err) {}

  static Run run(Map<String, String> env, String... args) throws Exception {
    List<String> argv =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                "dev.consulvmagent.cli.Main"));
    argv.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(argv);
    pb.environment().keySet().removeIf(k -> k.startsWith("CONSUL_"));
    pb.environment().putAll(env);
    pb.redirectErrorStream(false);
    Process p = pb.start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    byte[] err = p.getErrorStream().readAllBytes();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Run(
        p.exitValue(),
        new String(out, StandardCharsets.UTF_8),
        new String(err, StandardCharsets.UTF_8));
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void theSchemeLessAddress_consulsOwnForm_reachesTheRealAgent() throws Exception {
    RealConsul.require();
    try (RealConsul consul = RealConsul.dev(tmp.resolve("consul"), d -> {})) {
      consul.awaitLeader();
      String hostPort = "127.0.0.1:" + consul.ports().http();
      Path cfg = tmp.resolve("absent.yaml"); // no config: the doctor still asks Consul
      for (Run r :
          List.of(
              run(Map.of("CONSUL_HTTP_ADDR", hostPort), "status", "--config", cfg.toString()),
              run(Map.of(), "status", "-http-addr", hostPort, "--config", cfg.toString()),
              run(Map.of(), "status", "--http-addr=http://" + hostPort, "--config", cfg.toString()),
              run(
                  Map.of("CONSUL_HTTP_ADDR", "127.0.0.1:1"), // the flag wins over the variable
                  "status",
                  "-http-addr=" + hostPort,
                  "--config",
                  cfg.toString()))) {
        assertThat(r.err()).doesNotContain("internal error");
        assertThat(r.out()).contains("ok    consul agent    Consul 1.8.7");
        assertThat(r.code()).as("the missing config fails its check").isEqualTo(1);
      }
    }
  }

  @Test
  void noFlagOrEnvironmentValue_endsInExit4() throws Exception {
    String nobody = "127.0.0.1:" + freePort();
    Path cfg = tmp.resolve("absent.yaml");
    record Case(Map<String, String> env, List<String> flags, int code) {}
    List<Case> cases =
        List.of(
            new Case(Map.of("CONSUL_HTTP_ADDR", nobody), List.of(), 1),
            new Case(Map.of("CONSUL_HTTP_ADDR", "http://" + nobody), List.of(), 1),
            new Case(Map.of("CONSUL_HTTP_ADDR", nobody, "CONSUL_HTTP_SSL", "true"), List.of(), 1),
            new Case(Map.of("CONSUL_HTTP_ADDR", nobody, "CONSUL_HTTP_SSL", "maybe"), List.of(), 1),
            new Case(Map.of("CONSUL_HTTP_ADDR", "unix:///nonexistent/consul.sock"), List.of(), 1),
            new Case(Map.of("CONSUL_HTTP_ADDR", "ftp://" + nobody), List.of(), 2),
            new Case(Map.of("CONSUL_HTTP_ADDR", "not an address"), List.of(), 2),
            new Case(Map.of("CONSUL_HTTP_ADDR", "127.0.0.1:99999"), List.of(), 2),
            new Case(Map.of("CONSUL_HTTP_TOKEN_FILE", "/nonexistent/token"), List.of(), 2),
            new Case(Map.of("CONSUL_CLIENT_CERT", "/etc/hostname"), List.of(), 2),
            new Case(Map.of(), List.of("-http-addr", "unix://relative"), 2),
            new Case(Map.of(), List.of("-token-file", tmp.toString()), 2));
    for (Case c : cases) {
      List<String> args = new ArrayList<>(List.of("status", "--config", cfg.toString()));
      args.addAll(c.flags());
      Run r = run(c.env(), args.toArray(String[]::new));
      String what = c.env() + " " + c.flags() + ": " + r.err();
      assertThat(r.err()).as(what).doesNotContain("internal error");
      assertThat(r.code()).as(what).isEqualTo(c.code());
    }
    // sidecar-wait, the unit's ExecStartPre: the same reading, the same verdicts
    assertThat(run(Map.of("CONSUL_HTTP_ADDR", nobody), "sidecar-wait", "web", "--timeout", "1"))
        .satisfies(r -> assertThat(r.code()).as(r.err()).isEqualTo(1));
    assertThat(run(Map.of("CONSUL_HTTP_ADDR", "ftp://x"), "sidecar-wait", "web", "--timeout", "1"))
        .satisfies(r -> assertThat(r.code()).as(r.err()).isEqualTo(2));
  }
}
