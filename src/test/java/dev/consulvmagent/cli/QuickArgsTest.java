package dev.consulvmagent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The picocli-free boot path must read every command line it accepts exactly as picocli does.
 * Nothing here lists the options by hand: they come from picocli's model, so a new option is
 * compared as soon as it is declared.
 */
class QuickArgsTest {
  /** Sample values per option type: spaces, relative paths, URLs, bounds. */
  static final Map<String, List<String>> VALUES =
      Map.of(
          "Path", List.of("/etc/consul-vm-agent/agent.yaml", "rel/u d.txt", "/tmp/image root"),
          "String",
              List.of("json", "text", "http://mirror.internal:8080/", "file:///srv/artifacts"),
          "int", List.of("0", "120", "999999999"),
          "Output", List.of("json", "text"));

  /** Every option's value as picocli's model holds it after parsing, keyed by field. */
  static Map<String, Object> picocli(String[] args) {
    CommandLine.ParseResult pr = Main.commandLine(args).parseArgs(args);
    Map<String, Object> seen = new LinkedHashMap<>();
    for (OptionSpec o : pr.subcommand().commandSpec().options()) {
      if (o.usageHelp() || o.versionHelp()) continue;
      seen.put(((Field) o.userObject()).getName(), o.getValue());
    }
    return seen;
  }

  /** The same fields as QuickArgs set them. */
  static Map<String, Object> quick(QuickArgs.Parsed q) throws ReflectiveOperationException {
    Map<String, Object> seen = new LinkedHashMap<>();
    for (QuickArgsTable.Row r : QuickArgsTable.fromModel()) {
      if (!r.command().equals(q.command())) continue;
      Object owner = r.owner().equals("Common") ? q.common() : q.target();
      Field f = owner.getClass().getDeclaredField(r.field());
      f.setAccessible(true);
      seen.put(r.field(), f.get(owner));
    }
    return seen;
  }

  /** The spellings QuickArgs accepts for one option, with a value drawn for its type. */
  static List<List<String>> spellings(QuickArgsTable.Row r, Random random) {
    List<List<String>> forms = new ArrayList<>();
    for (String name : r.names()) {
      if (r.arity() == 0) {
        forms.add(List.of(name));
        continue;
      }
      List<String> values = VALUES.get(r.type());
      String v = values.get(random.nextInt(values.size()));
      forms.add(List.of(name, v));
      if (name.startsWith("--")) forms.add(List.of(name + "=" + v));
    }
    return forms;
  }

  @Test
  void theShippedTable_isWhatPicocliDeclares() {
    assertThat(QuickArgsTable.render(QuickArgsTable.load()))
        .isEqualTo(QuickArgsTable.render(QuickArgsTable.fromModel()));
    assertThat(QuickArgsTable.fromModel())
        .extracting(QuickArgsTable.Row::command)
        .containsAll(QuickArgsTable.COMMANDS);
  }

  @Test
  void everyAcceptedCommandLine_readsAsPicocliReadsIt() throws Exception {
    Random random = new Random(42);
    int compared = 0;
    for (String command : QuickArgsTable.COMMANDS) {
      List<QuickArgsTable.Row> rows =
          QuickArgsTable.fromModel().stream().filter(r -> r.command().equals(command)).toList();
      for (int round = 0; round < 150; round++) {
        List<List<String>> picked = new ArrayList<>();
        for (QuickArgsTable.Row r : rows) {
          if (round > 0 && random.nextBoolean()) continue; // round 0: every option at once
          List<List<String>> forms = spellings(r, random);
          picked.add(forms.get(random.nextInt(forms.size())));
        }
        Collections.shuffle(picked, random);
        List<String> argv = new ArrayList<>(List.of(command));
        picked.forEach(argv::addAll);
        String[] args = argv.toArray(String[]::new);
        Optional<QuickArgs.Parsed> q = QuickArgs.parse(args);
        assertThat(q).as(String.join(" ", args)).isPresent();
        assertThat(quick(q.get())).as(String.join(" ", args)).isEqualTo(picocli(args));
        compared++;
      }
      // and with no options at all: the same defaults
      String[] bare = {command};
      assertThat(quick(QuickArgs.parse(bare).orElseThrow())).isEqualTo(picocli(bare));
    }
    assertThat(compared).isEqualTo(450);
  }

  @Test
  void anythingElse_isLeftToPicocli() {
    for (String line :
        List.of(
            "",
            "--help",
            "--version",
            "apply --help",
            "apply -h",
            "status",
            "uninstall --plan",
            "apply --confg x",
            "apply --config",
            "apply --config a --config b",
            "apply -v --verbose",
            "apply -vo json",
            "apply -ojson",
            "apply -o=json",
            "apply --verbose=true",
            "apply --config -v",
            "apply --config @args.txt",
            "@args.txt",
            "apply --mirror ''",
            "apply --lock-wait ten",
            "apply --lock-wait 99999999999",
            "apply --detailed-exitcode",
            "apply --",
            "apply extra",
            "apply --root=")) {
      String[] args = line.isEmpty() ? new String[0] : line.replace("''", "").split(" ");
      if (line.contains("''")) args = new String[] {"apply", "--mirror", ""};
      assertThat(QuickArgs.parse(args)).as(line).isEmpty();
    }
  }

  @Test
  void errors_onTheQuickPath_getTheSameExitCodesAndMessages() throws Exception {
    Path missing = Path.of("/nonexistent/agent.yaml");
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        Main.run(
            new String[] {"validate", "--config", missing.toString()},
            new PrintWriter(out),
            new PrintWriter(err));
    assertThat(code).isEqualTo(ExitCode.INVALID_CONFIG.code());
    assertThat(err.toString())
        .contains("invalid configuration")
        .contains(missing.toString())
        .contains("Nothing was changed.")
        .doesNotContain("\tat ");
    StringWriter err2 = new StringWriter();
    Main.run(
        new String[] {"validate", "--stacktrace", "--config", missing.toString()},
        new PrintWriter(new StringWriter()),
        new PrintWriter(err2));
    assertThat(err2.toString()).contains("\tat dev.consulvmagent.");
    // and a usage error still gets picocli's message and exit code
    StringWriter err3 = new StringWriter();
    assertThat(
            Main.run(
                new String[] {"apply", "--confg", "x"},
                new PrintWriter(new StringWriter()),
                new PrintWriter(err3)))
        .isEqualTo(ExitCode.USAGE.code());
    assertThat(err3.toString()).contains("--confg");
    assertThat(Arrays.asList(ExitCode.OK.code(), ExitCode.USAGE.code())).doesNotContain(code);
  }

  @Test
  void aNegativeLockWait_isAUsageError() {
    StringWriter err = new StringWriter();
    int code =
        Main.run(
            new String[] {"apply", "--lock-wait=-1", "--config", "/nonexistent/agent.yaml"},
            new PrintWriter(new StringWriter()),
            new PrintWriter(err));
    assertThat(code).isEqualTo(ExitCode.USAGE.code());
    assertThat(err.toString()).contains("--lock-wait").contains("negative");
  }
}
