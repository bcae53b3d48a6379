package dev.consulvmagent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
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

/** The picocli-free boot path must read every command line it accepts exactly as picocli does. */
class QuickArgsTest {
  /** Each option in the spellings QuickArgs accepts, keyed by the option it sets. */
  static final Map<String, List<List<String>>> FORMS = new LinkedHashMap<>();

  static {
    FORMS.put("config", List.of(List.of("--config", "/etc/consul-vm-agent/agent.yaml"), List.of("--config=rel/agent.yaml")));
    FORMS.put("user-data", List.of(List.of("--user-data", "/var/lib/cloud/instance/user-data.txt"), List.of("--user-data=u d.txt")));
    FORMS.put("root", List.of(List.of("--root", "/tmp/image root"), List.of("--root=/mnt")));
    FORMS.put("mirror", List.of(List.of("--mirror", "http://mirror.internal:8080/"), List.of("--mirror=file:///srv/artifacts")));
    FORMS.put("output", List.of(List.of("-o", "json"), List.of("--output", "text"), List.of("--output=json")));
    FORMS.put("verbose", List.of(List.of("-v"), List.of("--verbose")));
    FORMS.put("stacktrace", List.of(List.of("--stacktrace")));
    FORMS.put("lock-wait", List.of(List.of("--lock-wait", "0"), List.of("--lock-wait=120")));
    FORMS.put("detailed", List.of(List.of("--detailed-exitcode")));
  }

  record Seen(Object config, Object userData, Object root, String mirror, String output, boolean verbose, boolean stacktrace,
      int lockWait, boolean detailed) {
    static Seen of(Common c, boolean detailed) {
      return new Seen(c.config, c.userData, c.root, c.mirror, c.output, c.verbose, c.stacktrace, c.lockWait, detailed);
    }
  }

  static Seen picocli(String[] args) {
    CommandLine.ParseResult pr = Main.commandLine(args).parseArgs(args);
    Object cmd = pr.subcommand().commandSpec().userObject();
    if (cmd instanceof ApplyCommand a) return Seen.of(a.common, false);
    if (cmd instanceof PlanCommand p) return Seen.of(p.common, p.detailed);
    return Seen.of(((ValidateCommand) cmd).common, false);
  }

  @Test
  void everyAcceptedCommandLine_readsAsPicocliReadsIt() {
    Random random = new Random(42);
    int compared = 0;
    for (String command : List.of("apply", "plan", "validate")) {
      for (int round = 0; round < 150; round++) {
        List<List<String>> picked = new ArrayList<>();
        for (Map.Entry<String, List<List<String>>> e : FORMS.entrySet()) {
          if (e.getKey().equals("detailed") && !command.equals("plan")) continue;
          if (round > 0 && random.nextBoolean()) continue; // round 0: every option at once
          picked.add(e.getValue().get(random.nextInt(e.getValue().size())));
        }
        Collections.shuffle(picked, random);
        List<String> argv = new ArrayList<>(List.of(command));
        picked.forEach(argv::addAll);
        String[] args = argv.toArray(String[]::new);
        Optional<QuickArgs.Parsed> quick = QuickArgs.parse(args);
        assertThat(quick).as(String.join(" ", args)).isPresent();
        assertThat(Seen.of(quick.get().common(), quick.get().detailedExitCode())).as(String.join(" ", args)).isEqualTo(picocli(args));
        compared++;
      }
    }
    assertThat(compared).isEqualTo(450);
    // and with no options at all: the same defaults
    assertThat(Seen.of(QuickArgs.parse(new String[] {"apply"}).orElseThrow().common(), false)).isEqualTo(picocli(new String[] {"apply"}));
  }

  @Test
  void anythingElse_isLeftToPicocli() {
    for (String line : List.of(
        "", "--help", "--version", "apply --help", "apply -h", "status", "uninstall --plan", "apply --confg x", "apply --config",
        "apply --config a --config b", "apply -v --verbose", "apply -vo json", "apply -ojson", "apply -o=json", "apply --verbose=true",
        "apply --config -v", "apply --config @args.txt", "@args.txt", "apply --mirror ''", "apply --lock-wait ten",
        "apply --lock-wait 99999999999", "apply --detailed-exitcode", "apply --", "apply extra", "apply --root=")) {
      String[] args = line.isEmpty() ? new String[0] : line.replace("''", "").split(" ");
      if (line.contains("''")) args = new String[] {"apply", "--mirror", ""};
      assertThat(QuickArgs.parse(args)).as(line).isEmpty();
    }
  }

  @Test
  void errors_onTheQuickPath_getTheSameExitCodesAndMessages() throws Exception {
    java.nio.file.Path missing = java.nio.file.Path.of("/nonexistent/agent.yaml");
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(new String[] {"validate", "--config", missing.toString()}, new PrintWriter(out), new PrintWriter(err));
    assertThat(code).isEqualTo(ExitCodes.INVALID_CONFIG);
    assertThat(err.toString()).contains("invalid configuration").contains(missing.toString()).contains("Nothing was changed.")
        .doesNotContain("\tat ");
    StringWriter err2 = new StringWriter();
    Main.run(new String[] {"validate", "--stacktrace", "--config", missing.toString()}, new PrintWriter(new StringWriter()), new PrintWriter(err2));
    assertThat(err2.toString()).contains("\tat dev.consulvmagent.");
    // and a usage error still gets picocli's message and exit code
    StringWriter err3 = new StringWriter();
    assertThat(Main.run(new String[] {"apply", "--confg", "x"}, new PrintWriter(new StringWriter()), new PrintWriter(err3))).isEqualTo(ExitCodes.USAGE);
    assertThat(err3.toString()).contains("--confg");
    assertThat(Arrays.asList(ExitCodes.OK, ExitCodes.USAGE)).doesNotContain(code);
  }
}
