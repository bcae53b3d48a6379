package dev.consulvmagent.render;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's JIT choice, run for real with a stand-in {@code java} that prints its arguments:
 * apply keeps C2 unless its unit says CONSUL_VM_AGENT_C1=1 (the baked image's instance unit, which
 * sets it); every other command is C1 only.
 */
class UnitsLauncherTierTest {
  @TempDir Path tmp;

  private String javaArgs(List<String> env, String... args) throws Exception {
    Map<String, String> vars = new HashMap<>();
    for (String kv : env) vars.put(kv.split("=")[0], kv.split("=")[1]);
    return LauncherRun.run(tmp, "#!/bin/sh\necho \"$@\"\n", vars, args).output();
  }

  @Test
  void apply_keepsC2_unlessItsUnitSaysC1() throws Exception {
    // C2, for what is hot only (its thresholds raised): the download's hashing loops
    assertThat(javaArgs(List.of(), "apply"))
        .contains("-XX:Tier4InvocationThreshold=50000")
        .doesNotContain("TieredStopAtLevel");
    assertThat(javaArgs(List.of("CONSUL_VM_AGENT_C1=1"), "apply"))
        .contains("-XX:TieredStopAtLevel=1")
        .doesNotContain("Tier4");
    assertThat(javaArgs(List.of(), "sidecar-init")).contains("-XX:TieredStopAtLevel=1");
  }

  @Test
  void runsTheMainClassFromTheClassPath_withTheArgumentsLast() throws Exception {
    // -cp, not -jar (which indexes the whole jar first); the command's words come after it
    String apply = javaArgs(List.of(), "apply", "--config", "/x y.yaml");
    assertThat(apply)
        .contains(" -cp " + tmp.resolve("agent.jar") + " dev.consulvmagent.cli.Boot apply --config")
        .doesNotContain("-jar");
    assertThat(javaArgs(List.of(), "status"))
        .contains(" dev.consulvmagent.cli.Boot status")
        .doesNotContain("-jar");
  }

  @Test
  void instanceUnit_saysC1() {
    assertThat(Units.instance()).contains("\nEnvironment=CONSUL_VM_AGENT_C1=1\n");
  }
}
