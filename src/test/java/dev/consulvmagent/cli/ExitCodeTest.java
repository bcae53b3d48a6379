package dev.consulvmagent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** One exit-code list: the README's table and every --help come from ExitCode. */
class ExitCodeTest {
  @Test
  void theReadmeTable_isTheEnum() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    int at = readme.indexOf("### Exit codes\n\n");
    assertThat(at).as("README has an Exit codes section").isPositive();
    String section = readme.substring(at + "### Exit codes\n\n".length());
    assertThat(section)
        .as("README's exit-code table (regenerate it from ExitCode.markdownTable())")
        .startsWith(ExitCode.markdownTable());
  }

  @Test
  void everyCommandsHelp_listsOnlyCodesOfTheEnum_inItsWords() {
    CommandLine cl = Main.commandLine();
    for (Map.Entry<String, CommandLine> e : cl.getSubcommands().entrySet()) {
      Map<String, String> listed = e.getValue().getCommandSpec().usageMessage().exitCodeList();
      assertThat(listed).as(e.getKey()).containsKeys("0", "2");
      listed.forEach(
          (code, text) -> {
            for (String meaning : text.split("; (?=[a-z]+:)")) {
              assertThat(ExitCode.values())
                  .as(e.getKey() + " " + code + " " + meaning)
                  .anyMatch(
                      c -> c.code() == Integer.parseInt(code) && c.description().equals(meaning));
            }
          });
    }
  }

  @Test
  void status_promisesOnlyWhatItKeeps() {
    Map<String, String> status =
        Main.commandLine()
            .getSubcommands()
            .get("status")
            .getCommandSpec()
            .usageMessage()
            .exitCodeList();
    // the doctor reports an invalid config as a failing check (1), never locks, never plans 10
    assertThat(status).containsOnlyKeys("0", "1", "2", "4");
    assertThat(status.get("1")).isEqualTo(ExitCode.DEGRADED.description());
    Map<String, String> plan =
        Main.commandLine()
            .getSubcommands()
            .get("plan")
            .getCommandSpec()
            .usageMessage()
            .exitCodeList();
    assertThat(plan).containsKey("10").doesNotContainKey("5");
  }
}
