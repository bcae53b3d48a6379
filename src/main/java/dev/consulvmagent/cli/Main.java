package dev.consulvmagent.cli;

import dev.consulvmagent.app.Failures;
import dev.consulvmagent.app.LockHeldException;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.spec.SpecException;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;

/** Entry point. Only main exits; commands return their exit code. */
@Command(
    name = "consul-vm-agent",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description =
        "Turns this Linux VM into a Consul service-mesh member with a transparent-proxy Envoy"
            + " sidecar.",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:success (converged, or plan computed)",
      "1:apply failed (a resource, download or command failed)",
      "2:usage error",
      "3:invalid configuration (nothing was changed)",
      "4:internal error",
      "5:another run holds the lock",
      "6:fleet push: someone pushed first (nothing pushed)",
      "10:plan --detailed-exitcode: changes are pending"
    })
public final class Main {
  /** Subcommands in help order; each built only when needed. */
  private static final Map<String, Supplier<Object>> SUBCOMMANDS = new LinkedHashMap<>();

  static {
    SUBCOMMANDS.put("validate", ValidateCommand::new);
    SUBCOMMANDS.put("plan", PlanCommand::new);
    SUBCOMMANDS.put("apply", ApplyCommand::new);
    SUBCOMMANDS.put("status", StatusCommand::new);
    SUBCOMMANDS.put("uninstall", UninstallCommand::new);
    SUBCOMMANDS.put("sidecar-init", SidecarInitCommand::new);
    SUBCOMMANDS.put("sidecar-wait", SidecarWaitCommand::new);
    SUBCOMMANDS.put("redirect-traffic", RedirectTrafficCommand::new);
    SUBCOMMANDS.put("cleanup-iptables", CleanupIptablesCommand::new);
    SUBCOMMANDS.put("dns-redirect", DnsRedirectCommand::new);
    SUBCOMMANDS.put("watch", WatchCommand::new);
    SUBCOMMANDS.put("fleet", FleetCommand::new);
    SUBCOMMANDS.put("mesh", MeshCommand::new);
  }

  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /**
   * Runs one command line. The boot-time forms (apply, plan, validate with the common options) take
   * {@link QuickArgs}; everything else, and anything it does not recognise, goes to picocli.
   */
  public static int run(String[] args, PrintWriter rawOut, PrintWriter rawErr) {
    // every line of output, whoever writes it: a mirror's user:password never shows
    PrintWriter out = dev.consulvmagent.engine.Redact.printWriter(rawOut);
    PrintWriter err = dev.consulvmagent.engine.Redact.printWriter(rawErr);
    try {
      return runRedacted(args, out, err);
    } finally {
      out.flush();
      err.flush();
    }
  }

  private static int runRedacted(String[] args, PrintWriter out, PrintWriter err) {
    java.util.Optional<QuickArgs.Parsed> quick = QuickArgs.parse(args);
    if (quick.isPresent()) {
      QuickArgs.Parsed q = quick.get();
      try {
        return switch (q.command()) {
          case "apply" -> ApplyCommand.run(q.common(), out, err);
          case "plan" -> PlanCommand.run(q.common(), q.detailedExitCode(), out, err);
          default -> ValidateCommand.run(q.common(), out, err);
        };
      } catch (Exception e) {
        return handle(e, err, q.common().stacktrace);
      } finally {
        out.flush();
        err.flush();
      }
    }
    CommandLine cl = commandLine(args);
    cl.setOut(out);
    cl.setErr(err);
    return cl.execute(args);
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
    if (args.length > 0 && SUBCOMMANDS.containsKey(args[0])) {
      cl.addSubcommand(args[0], SUBCOMMANDS.get(args[0]).get());
    } else {
      SUBCOMMANDS.forEach((name, make) -> cl.addSubcommand(name, make.get()));
    }
    cl.setExecutionExceptionHandler(Main::handle);
    cl.setParameterExceptionHandler(
        (ex, a) -> {
          PrintWriter err = ex.getCommandLine().getErr();
          err.println(ex.getMessage());
          err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
          return ExitCodes.USAGE;
        });
    return cl;
  }

  private static int handle(Exception ex, CommandLine cl, CommandLine.ParseResult parse) {
    boolean trace =
        parse.hasMatchedOption("--stacktrace")
            || parse.subcommands().stream().anyMatch(p -> p.hasMatchedOption("--stacktrace"));
    return handle(ex, cl.getErr(), trace);
  }

  /** Maps an error to its exit code and a one-line message (the stack trace only on request). */
  static int handle(Exception ex, PrintWriter err, boolean trace) {
    int code;
    if (ex instanceof SpecException) {
      err.println("invalid configuration: " + ex.getMessage());
      err.println("Nothing was changed.");
      code = ExitCodes.INVALID_CONFIG;
    } else if (ex instanceof dev.consulvmagent.app.Fleet.UsageException) {
      err.println(ex.getMessage());
      code = ExitCodes.USAGE;
    } else if (ex instanceof dev.consulvmagent.app.Fleet.ConflictException) {
      err.println("error: " + ex.getMessage());
      code = ExitCodes.CONFLICT;
    } else if (ex instanceof LockHeldException) {
      err.println(ex.getMessage());
      code = ExitCodes.LOCKED;
    } else if (Failures.usage(ex)) {
      err.println("error: " + ex.getMessage());
      code = ExitCodes.USAGE;
    } else if (Failures.operational(ex) || ex instanceof java.io.UncheckedIOException) {
      err.println("error: " + ex.getMessage());
      code = ExitCodes.FAILED;
    } else {
      err.println(
          "internal error: " + ex + " (please report it; rerun with --stacktrace for details)");
      code = ExitCodes.INTERNAL;
    }
    if (trace) ex.printStackTrace(err);
    err.flush();
    return code;
  }

  /** Progress: a run's events on stderr (cloud-init's output log and journald keep them). */
  static EventSink sink(PrintWriter err, Common common) {
    return new ConsoleSink(err, common != null && common.verbose, System.console() != null);
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
