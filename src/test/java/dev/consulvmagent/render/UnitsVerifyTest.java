package dev.consulvmagent.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.consulvmagent.spec.AppSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every rendered unit passes `systemd-analyze verify` (only the not-yet-installed programs may be
 * missing).
 */
class UnitsVerifyTest {
  private static final Pattern MISSING =
      Pattern.compile(".*: Command (\\S+) is not executable: No such file or directory");
  private static final List<String> OURS =
      List.of("/usr/bin/consul", "/usr/local/bin/consul-vm-agent", "/usr/local/bin/web-service");

  @Test
  void renderedUnits_passSystemdAnalyzeVerify(@TempDir Path dir) throws Exception {
    assumeTrue(
        Files.isExecutable(Path.of("/usr/bin/systemd-analyze")), "systemd-analyze not installed");
    AppSpec app =
        new AppSpec(
            "web",
            "https://example.invalid/web.zip",
            Optional.of("0".repeat(64)),
            Optional.empty(),
            "web-service",
            Optional.empty(),
            List.of("-listen", "0.0.0.0:9090", "100% \"quoted\" $HOME"),
            Map.of("PORT", "9090", "GREETING", "a b%c$d"),
            Optional.of(9090));
    Files.writeString(dir.resolve("consul.service"), Units.consul());
    Files.writeString(dir.resolve("envoy@web.service"), Units.envoyTemplate());
    Files.writeString(dir.resolve("consul-sidecar-init.service"), Units.sidecarInit());
    Files.writeString(dir.resolve("web.service"), Units.app(app));
    Files.writeString(dir.resolve("consul-vm-agent-watch.service"), Units.fleetWatch());
    Files.writeString(dir.resolve(Units.INSTANCE_UNIT), Units.instance());
    Files.writeString(dir.resolve("consul-dns-redirect.service"), Units.dnsRedirect());
    List<String> argv = new ArrayList<>(List.of("systemd-analyze", "verify", "--man=no"));
    try (var s = Files.list(dir)) {
      s.sorted().forEach(p -> argv.add(p.toString()));
    }
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    p.waitFor();
    List<String> problems = new ArrayList<>();
    for (String line : out.split("\n")) {
      if (line.isBlank()) continue;
      Matcher m = MISSING.matcher(line);
      if (m.matches() && OURS.contains(m.group(1))) continue;
      problems.add(line);
    }
    assertThat(problems).isEmpty();
  }

  @Test
  void appUnit_quotesArgumentsAndEnvironment_forSystemd() {
    AppSpec app =
        new AppSpec(
            "web",
            "https://x.invalid/w",
            Optional.of("0".repeat(64)),
            Optional.empty(),
            "web",
            Optional.empty(),
            List.of("100% \"q\" $HOME"),
            Map.of("A", "x y"),
            Optional.empty());
    assertThat(Units.app(app))
        .contains(
            "Environment=\"A=x y\"\n",
            "ExecStart=/usr/local/bin/web \"100%% \\\"q\\\" $$HOME\"\n",
            "DynamicUser=yes");
  }
}
