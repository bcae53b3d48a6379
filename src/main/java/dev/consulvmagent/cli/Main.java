package dev.consulvmagent.cli;

import static dev.consulvmagent.cli.ExitCode.CHANGES_PENDING;
import static dev.consulvmagent.cli.ExitCode.CONFLICT;
import static dev.consulvmagent.cli.ExitCode.DEGRADED;
import static dev.consulvmagent.cli.ExitCode.FAILED;
import static dev.consulvmagent.cli.ExitCode.INTERNAL;
import static dev.consulvmagent.cli.ExitCode.INVALID_CONFIG;
import static dev.consulvmagent.cli.ExitCode.LOCKED;
import static dev.consulvmagent.cli.ExitCode.OK;
import static dev.consulvmagent.cli.ExitCode.USAGE;

import dev.consulvmagent.engine.EventSink;
import java.io.PrintWriter;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/** Entry point. Only main exits; commands return their exit code. */
@Command(
    name = "consul-vm-agent",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description =
        "Turns this Linux VM into a Consul service-mesh member with a transparent-proxy Envoy"
            + " sidecar.",
    synopsisSubcommandLabel = "COMMAND",
    exitCodeListHeading = "%nExit codes:%n")
public final class Main implements Callable<Integer> {
  @Spec CommandSpec spec;

  /** A subcommand, how to build it, and the exit codes it keeps (listed in its --help). */
  private record Sub(Supplier<Object> make, List<ExitCode> exitCodes) {}

  /** Subcommands in help order; each built only when needed. */
  private static final Map<String, Sub> SUBCOMMANDS = new LinkedHashMap<>();

  private static void sub(String name, Supplier<Object> make, ExitCode... codes) {
    SUBCOMMANDS.put(name, new Sub(make, List.of(codes)));
  }

  static {
    sub("validate", ValidateCommand::new, OK, USAGE, INVALID_CONFIG, INTERNAL);
    sub("plan", PlanCommand::new, OK, FAILED, USAGE, INVALID_CONFIG, INTERNAL, CHANGES_PENDING);
    sub("apply", ApplyCommand::new, OK, FAILED, USAGE, INVALID_CONFIG, INTERNAL, LOCKED);
    sub("status", StatusCommand::new, OK, DEGRADED, USAGE, INTERNAL);
    sub("uninstall", UninstallCommand::new, OK, FAILED, USAGE, INVALID_CONFIG, INTERNAL, LOCKED);
    sub("sidecar-init", SidecarInitCommand::new, OK, FAILED, USAGE, INVALID_CONFIG, INTERNAL);
    sub("sidecar-wait", SidecarWaitCommand::new, OK, FAILED, USAGE, INTERNAL);
    sub(
        "redirect-traffic",
        RedirectTrafficCommand::new,
        OK,
        FAILED,
        USAGE,
        INVALID_CONFIG,
        INTERNAL);
    sub("cleanup-iptables", CleanupIptablesCommand::new, OK, FAILED, USAGE, INTERNAL);
    sub("dns-redirect", DnsRedirectCommand::new, OK, FAILED, USAGE, INTERNAL);
    sub("watch", WatchCommand::new, OK, USAGE, INVALID_CONFIG, INTERNAL);
    sub("fleet", FleetCommand::new, OK, FAILED, USAGE, INVALID_CONFIG, INTERNAL, CONFLICT);
    sub("mesh", MeshCommand::new, OK, FAILED, USAGE, INVALID_CONFIG, INTERNAL);
    sub("version", VersionCommand::new, OK, USAGE);
    sub("help", CommandLine.HelpCommand::new, OK, USAGE);
  }

  /** No command: the usage, on stderr, as a usage error (a script never mistakes it for output). */
  @Override
  public Integer call() {
    CommandLine cl = spec.commandLine();
    cl.usage(cl.getErr());
    cl.getErr().flush();
    return USAGE.code();
  }

  /** The same as {@link Boot#main}, the jar's Main-Class. */
  public static void main(String[] args) {
    Boot.main(args);
  }

  /** Runs one command line ({@link Boot#run}: the boot-time forms never load picocli). */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    return Boot.run(args, out, err);
  }

  /** A command line {@link QuickArgs} does not take, through picocli; out and err redacted. */
  static int runPicocli(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cl = commandLine(args);
    cl.setOut(out);
    cl.setErr(err);
    return cl.execute(Boot.consulSpellings(args, optionNames(cl, args)));
  }

  /** The full command line (every subcommand's model), for help and tests. */
  public static CommandLine commandLine() {
    return commandLine(new String[0]);
  }

  /**
   * picocli builds a model of every option by reflection; a run of one subcommand (the no-op apply
   * at every boot) only pays for that one. --help, --version and mistakes get them all.
   */
  public static CommandLine commandLine(String[] args) {
    CommandLine cl = new CommandLine(new Main());
    cl.getCommandSpec().usageMessage().exitCodeList(ExitCode.helpList(List.of(ExitCode.values())));
    // `help COMMAND` needs the model of every command; any other command, its own only
    if (args.length > 0 && SUBCOMMANDS.containsKey(args[0]) && !args[0].equals("help")) {
      add(cl, args[0], SUBCOMMANDS.get(args[0]));
    } else {
      SUBCOMMANDS.forEach((name, sub) -> add(cl, name, sub));
    }
    cl.setExecutionExceptionHandler(Main::handle);
    cl.setParameterExceptionHandler(
        (ex, a) -> {
          PrintWriter err = ex.getCommandLine().getErr();
          err.println(ex.getMessage());
          // "Did you mean: plan?" for a mistyped command, the nearest options for an option
          UnmatchedArgumentException.printSuggestions(ex, err);
          err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
          return USAGE.code();
        });
    return cl;
  }

  /**
   * Options of the shared mixin that mean nothing for a command (validate downloads nothing and
   * takes no lock; plan and status take no lock; uninstall downloads nothing): not listed, not
   * accepted.
   */
  private static final Map<String, List<String>> NOT_FOR =
      Map.of(
          "validate", List.of("--mirror", "--lock-wait"),
          "plan", List.of("--lock-wait"),
          "status", List.of("--lock-wait"),
          "uninstall", List.of("--mirror"));

  private static void add(CommandLine cl, String name, Sub sub) {
    cl.addSubcommand(name, sub.make().get());
    CommandSpec s = cl.getSubcommands().get(name).getCommandSpec();
    for (String option : NOT_FOR.getOrDefault(name, List.of())) s.remove(s.findOption(option));
    s.versionProvider(new Version()); // `status --version` says it too, not nothing
    s.usageMessage().exitCodeListHeading("%nExit codes:%n");
    s.usageMessage().exitCodeList(ExitCode.helpList(sub.exitCodes()));
    // `fleet push`, `mesh init`, …: the codes of the command they belong to
    for (CommandLine nested : cl.getSubcommands().get(name).getSubcommands().values()) {
      nested.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n");
      nested.getCommandSpec().usageMessage().exitCodeList(ExitCode.helpList(sub.exitCodes()));
      nested.getCommandSpec().versionProvider(new Version());
    }
    if (s.options().stream()
        .anyMatch(o -> o.longestName().startsWith("--") && !o.usageHelp() && !o.versionHelp()))
      s.usageMessage()
          .footer(
              "%nConsul's and Terraform's spellings work too: -name for --name (-http-addr,"
                  + " -detailed-exitcode), -format=json for --output json.");
  }

  /**
   * Consul's and Terraform's CLIs spell long options with one dash ({@code -http-addr}, {@code
   * -format=json}, {@code -detailed-exitcode}); a command line copied from their docs works here:
   * {@code -name[=v]} is read as {@code --name[=v]} when the command has {@code --name} and no
   * {@code -name} of its own, and {@code -format} as {@code --output}. Options only, up to a {@code
   * --}; an option's value is never rewritten (it follows its option as a separate word, or after
   * {@code =}, and only words that name an option are touched).
   */
  static String[] consulSpellings(String[] args, Set<String> names) {
    return Boot.consulSpellings(args, names);
  }

  /** Every option name of the command the words name (`fleet push` → push's), else the top's. */
  private static Set<String> optionNames(CommandLine cl, String[] args) {
    CommandLine c = cl;
    for (String a : args) {
      if (a.equals("--")) break;
      if (c.getSubcommands().containsKey(a)) c = c.getSubcommands().get(a);
    }
    Set<String> names = new HashSet<>();
    for (OptionSpec o : c.getCommandSpec().options()) names.addAll(List.of(o.names()));
    return names;
  }

  private static int handle(Exception ex, CommandLine cl, CommandLine.ParseResult parse) {
    boolean trace =
        parse.hasMatchedOption("--stacktrace")
            || parse.subcommands().stream().anyMatch(p -> p.hasMatchedOption("--stacktrace"));
    return handle(ex, cl.getErr(), trace);
  }

  /** Maps an error to its exit code and a one-line message ({@link Boot#handle}). */
  static int handle(Exception ex, PrintWriter err, boolean trace) {
    return Boot.handle(ex, err, trace);
  }

  /** Progress: a run's events on stderr ({@link Boot#sink}). */
  static EventSink sink(PrintWriter err, Common common) {
    return Boot.sink(err, common);
  }

  /** Version from the jar manifest. */
  public static final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"consul-vm-agent " + (v == null ? "(development build)" : v)};
    }
  }
}
