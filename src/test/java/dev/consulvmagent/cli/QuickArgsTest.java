package dev.consulvmagent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

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

  /**
   * Every option's and positional parameter's value as picocli's model holds it after parsing,
   * keyed by the field's class and name.
   */
  static Map<String, Object> picocli(String[] args) {
    CommandLine.ParseResult pr = Main.commandLine(args).parseArgs(args);
    Map<String, Object> seen = new TreeMap<>();
    for (OptionSpec o : pr.subcommand().commandSpec().options()) {
      if (o.usageHelp() || o.versionHelp()) continue;
      seen.put(key((Field) o.userObject()), o.getValue());
    }
    for (PositionalParamSpec p : pr.subcommand().commandSpec().positionalParameters())
      seen.put(key((Field) p.userObject()), p.getValue());
    return seen;
  }

  static String key(Field f) {
    return f.getDeclaringClass().getSimpleName() + "." + f.getName();
  }

  /**
   * The same fields as QuickArgs set them (options only picocli reads: as the command made them).
   */
  static Map<String, Object> quick(QuickArgs.Parsed q) throws ReflectiveOperationException {
    Map<String, Object> seen = new TreeMap<>();
    for (QuickArgsTable.Row r : QuickArgsTable.fromModel()) {
      if (!r.command().equals(q.command())) continue;
      Object owner = QuickArgs.owner(r, q.target(), q.common());
      Field f = owner.getClass().getDeclaredField(r.field());
      f.setAccessible(true);
      seen.put(key(f), f.get(owner));
    }
    return seen;
  }

  static boolean positional(QuickArgsTable.Row r) {
    return r.names().get(0).startsWith(QuickArgsTable.POSITIONAL);
  }

  /** redirect-traffic's --service: without it the command line goes to picocli. */
  static boolean unitsService(QuickArgsTable.Row r) {
    return r.command().equals("redirect-traffic") && r.field().equals("service");
  }

  /** A value for r drawn from {@link #VALUES}. */
  static String value(QuickArgsTable.Row r, Random random) {
    List<String> values = VALUES.get(r.type());
    return values.get(random.nextInt(values.size()));
  }

  /** The spellings QuickArgs accepts for one option, with a value drawn for its type. */
  static List<List<String>> spellings(QuickArgsTable.Row r, Random random) {
    List<List<String>> forms = new ArrayList<>();
    if (positional(r)) return List.of(List.of(value(r, random)));
    for (String name : r.names()) {
      if (r.arity() == 0) {
        forms.add(List.of(name));
        continue;
      }
      String v = value(r, random);
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
      // the options QuickArgs reads; one only picocli reads sends the line to picocli (below)
      List<QuickArgsTable.Row> rows =
          QuickArgsTable.fromModel().stream()
              .filter(r -> r.command().equals(command) && QuickArgsTable.quick(r))
              .toList();
      for (int round = 0; round < 150; round++) {
        List<List<String>> picked = new ArrayList<>();
        for (QuickArgsTable.Row r : rows) {
          // round 0: every option at once; what the quick path needs (a positional parameter,
          // redirect-traffic's --service): always
          if (round > 0 && !positional(r) && !unitsService(r) && random.nextBoolean()) continue;
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
      // and with no options at all (the required positional parameters only): the same defaults
      List<String> bare = new ArrayList<>(List.of(command));
      rows.stream().filter(QuickArgsTest::positional).forEach(r -> bare.add("svc"));
      if (command.equals("redirect-traffic")) bare.add("--service=svc");
      String[] b = bare.toArray(String[]::new);
      assertThat(quick(QuickArgs.parse(b).orElseThrow())).as(bare.toString()).isEqualTo(picocli(b));
    }
    assertThat(compared).isEqualTo(150 * QuickArgsTable.COMMANDS.size());
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
            "apply --root=",
            // the units' commands: a missing or extra positional parameter, an option only picocli
            // reads (lists, an Integer), Consul's one-dash spelling with "=", no --service
            "sidecar-wait",
            "sidecar-wait a b",
            "sidecar-wait --timeout",
            "sidecar-wait -- a",
            "sidecar-wait @args.txt",
            "sidecar-init --admin-port 19001",
            "sidecar-init extra",
            "redirect-traffic --dry-run",
            "redirect-traffic --proxy-uid 0 --proxy-id web-sidecar-proxy",
            "redirect-traffic --service web --exclude-uid 5",
            "redirect-traffic --service web -proxy-id=x",
            "cleanup-iptables --service",
            "dns-redirect extra",
            "dns-redirect --remove --remove")) {
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
  void aUnitsCommand_failsTheSameWay_onBothPaths() {
    // nothing listens on port 1: sidecar-wait gives up at once, through Boot and through picocli
    String[] args = {"sidecar-wait", "web", "--timeout", "0", "--http-addr", "127.0.0.1:1"};
    assertThat(QuickArgs.parse(args)).isPresent();
    // a mixin none of whose options is given is there all the same (picocli makes it)
    Object bare = QuickArgs.parse(new String[] {"sidecar-wait", "web"}).orElseThrow().target();
    assertThat(((SidecarWaitCommand) bare).consul).isNotNull();
    StringWriter quick = new StringWriter();
    StringWriter pico = new StringWriter();
    int q = Main.run(args, new PrintWriter(new StringWriter()), new PrintWriter(quick));
    int p = Main.runPicocli(args, new PrintWriter(new StringWriter()), new PrintWriter(pico));
    assertThat(q).isEqualTo(p).isEqualTo(ExitCode.FAILED.code());
    assertThat(quick.toString()).contains("error: gave up after 0s waiting for");
    assertThat(lastLine(quick)).isEqualTo(lastLine(pico));
  }

  private static String lastLine(StringWriter w) {
    List<String> lines = w.toString().lines().toList();
    return lines.get(lines.size() - 1);
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
