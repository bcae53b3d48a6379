package dev.consulvmagent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** validate refuses what the configured Consul version lacks: exit 3 naming consul.version. */
class CliConsulVersionTest {
  @Test
  void transparentProxyWithConsul187_exits3_namingConsulVersion(@TempDir Path dir)
      throws Exception {
    Path cfg = dir.resolve("agent.yaml");
    Files.writeString(
        cfg,
        "consul:\n  version: \"1.8.7\"\n  role: server\nenvoy:\n  version: \"1.14.5\"\n"
            + "service:\n  name: web\n  port: 9090\n");
    CliApplyTest.Run r = CliApplyTest.run("validate", "--config", cfg.toString());
    assertThat(r.code()).as(r.err()).isEqualTo(ExitCode.INVALID_CONFIG.code());
    assertThat(r.err()).contains("consul.version").contains("1.8.7").contains("transparent proxy");
  }
}
