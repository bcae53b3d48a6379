package dev.consulvmagent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.consulvmagent.engine.Change;
import dev.consulvmagent.engine.Outcome;
import dev.consulvmagent.engine.RunResult;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue #12.16: errors go to stderr; stdout carries only results (and stays parseable). */
class ErrorStreamTest {
  @TempDir Path tmp;

  private static RunResult failed(String mode) {
    Outcome o =
        new Outcome(
            "file:/etc/x", Change.Kind.CREATE, Outcome.Status.FAILED, List.of(), "disk full");
    return new RunResult(
        mode, Instant.EPOCH, Instant.EPOCH, List.of(o), List.of(), true, "file:/etc/x: disk full");
  }

  @Test
  void applyFailed_goesToStderr_textAndJson() {
    for (boolean json : new boolean[] {false, true}) {
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      Render.result(
          new PrintWriter(out),
          new PrintWriter(err),
          failed("apply"),
          json,
          false,
          ExitCode.FAILED.code());
      assertThat(out.toString()).doesNotContain("Apply failed");
      assertThat(err.toString()).isEqualTo("Apply failed: file:/etc/x: disk full\n");
    }
  }

  @Test
  void configErrors_goToStderr_nothingOnStdout() throws Exception {
    Path missing = tmp.resolve("missing.json");
    CliApplyTest.Run r =
        CliApplyTest.run("sidecar-init", "-f", missing.toString(), "--dry", "--type", "envoy");
    assertThat(r.code()).isEqualTo(ExitCode.INVALID_CONFIG.code());
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).contains("does not exist");
    Path bad = Files.writeString(tmp.resolve("bad.yaml"), "consul: [");
    for (String cmd : List.of("validate", "plan", "apply")) {
      CliApplyTest.Run v =
          CliApplyTest.run(cmd, "--config", bad.toString(), "--root", tmp.toString());
      assertThat(v.code()).as(cmd + v.err()).isEqualTo(ExitCode.INVALID_CONFIG.code());
      assertThat(v.out()).as(cmd).isEmpty();
      assertThat(v.err()).as(cmd).contains("invalid configuration");
    }
    Path warn =
        Files.writeString(
            tmp.resolve("warn.yaml"),
            "consul: {role: server}\nservice:\n"
                + "  annotations: {consul.hashicorp.com/connect-service: web,"
                + " consul.hashicorp.com/x: y}\n"
                + "security: {mode: insecure}\n");
    CliApplyTest.Run w = CliApplyTest.run("validate", "--config", warn.toString(), "-o", "json");
    assertThat(w.code()).as(w.err()).isZero();
    JsonNode verdict = new ObjectMapper().readTree(w.out());
    assertThat(verdict.path("valid").asBoolean()).isTrue();
    assertThat(verdict.path("warnings").toString()).contains("consul.hashicorp.com/x");
    assertThat(w.err()).startsWith("warning: ").contains("consul.hashicorp.com/x");
    CliApplyTest.Run u = CliApplyTest.run("sidecar-init", "--no-such-option");
    assertThat(u.code()).isEqualTo(ExitCode.USAGE.code());
    assertThat(u.out()).isEmpty();
    assertThat(u.err()).contains("--no-such-option");
  }
}
