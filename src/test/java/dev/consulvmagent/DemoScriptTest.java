package dev.consulvmagent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * scripts/demo as a newcomer first meets it: --help explains it, and a command missing its machine
 * (or naming one that is not there) says which machines there are. These paths need no root and
 * start nothing.
 */
class DemoScriptTest {
  record Run(int code, String out, String err) {}

  static Run demo(String... args) throws Exception {
    List<String> argv = new ArrayList<>(List.of("scripts/demo"));
    argv.addAll(List.of(args));
    Process p = new ProcessBuilder(argv).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), out, err);
  }

  @Test
  void help_explainsTheDemo_itsModes_andHowToLookAround() throws Exception {
    for (String h : List.of("--help", "-h", "help")) {
      Run r = demo(h);
      assertThat(r.code()).as(h).isZero();
      assertThat(r.out())
          .contains("scripts/demo exec M CMD...")
          .contains("scripts/demo exec dashboard consul-vm-agent status")
          .contains("scripts/demo request")
          .contains("--doubles runs offline")
          .contains("`consul members`")
          .contains("nsenter")
          .doesNotContain("For tests"); // the tests-only options stay in the script
    }
  }

  @Test
  void aCommandWithoutItsMachine_listsTheMachines() throws Exception {
    for (List<String> args :
        List.of(List.of("exec"), List.of("shell", "nosuch"), List.of("logs"), List.of("restart"))) {
      Run r = demo(args.toArray(String[]::new));
      assertThat(r.code()).as(args.toString()).isEqualTo(2);
      assertThat(r.err())
          .as(args.toString())
          .contains("usage: scripts/demo " + args.get(0) + " MACHINE")
          .contains("machines: consul-server dashboard counting");
    }
    assertThat(demo("shell", "nosuch").err()).contains("no machine 'nosuch'");
    Run noCommand = demo("exec", "dashboard");
    assertThat(noCommand.code()).isEqualTo(2);
    assertThat(noCommand.err()).contains("scripts/demo exec dashboard consul-vm-agent status");
  }

  @Test
  void anUnknownOption_isAUsageError_withTheUsage() throws Exception {
    Run r = demo("--bogus");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("unknown option --bogus").contains("scripts/demo [up]");
  }
}
