package dev.consulvmagent.cli;

import static dev.consulvmagent.cli.ExitCode.CONFLICT;
import static dev.consulvmagent.cli.ExitCode.FAILED;
import static dev.consulvmagent.cli.ExitCode.INTERNAL;
import static dev.consulvmagent.cli.ExitCode.INVALID_CONFIG;
import static dev.consulvmagent.cli.ExitCode.LOCKED;
import static dev.consulvmagent.cli.ExitCode.USAGE;

import dev.consulvmagent.app.Failures;
import dev.consulvmagent.app.Fleet;
import dev.consulvmagent.app.LockHeldException;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.engine.Redact;
import dev.consulvmagent.spec.SpecException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.Set;

/**
 * The jar's Main-Class, free of picocli: the boot-time command lines ({@link QuickArgs}: apply,
 * plan, validate with the common options, and the units' sidecar-wait, sidecar-init,
 * redirect-traffic --service, cleanup-iptables and dns-redirect) run without loading it; anything
 * else goes to {@link Main}. picocli is compiled for Java 5, so the class-data archive cannot hold
 * it and every run that touches {@link Main} (whose model types its code names) parses and verifies
 * it anew.
 */
public final class Boot {
  private Boot() {}

  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /**
   * Runs one command line. The boot-time forms take {@link QuickArgs}; everything else, and
   * anything it does not recognise, goes to picocli.
   */
  public static int run(String[] args, PrintWriter rawOut, PrintWriter rawErr) {
    // every line of output, whoever writes it: a mirror's user:password never shows
    PrintWriter out = Redact.printWriter(rawOut);
    PrintWriter err = Redact.printWriter(rawErr);
    try {
      Optional<QuickArgs.Parsed> quick =
          QuickArgs.parse(consulSpellings(args, QuickArgs.optionNames(args)));
      if (quick.isEmpty()) return Main.runPicocli(args, out, err);
      QuickArgs.Parsed q = quick.get();
      try {
        Object t = q.target();
        if (t instanceof ApplyCommand) return ApplyCommand.run(q.common(), args, out, err);
        if (t instanceof PlanCommand)
          return PlanCommand.run(q.common(), q.detailedExitCode(), out, err);
        if (t instanceof ValidateCommand) return ValidateCommand.run(q.common(), out, err);
        if (t instanceof SidecarWaitCommand c) return c.run(err);
        if (t instanceof SidecarInitCommand c) return c.run(out, err);
        if (t instanceof RedirectTrafficCommand c) return c.run(out, err);
        if (t instanceof CleanupIptablesCommand c) return c.run(out);
        if (t instanceof DnsRedirectCommand c) return c.run(out);
        throw new IllegalStateException("quick-args: no runner for " + q.command());
      } catch (Exception e) {
        return handle(e, err, q.common().stacktrace);
      }
    } finally {
      out.flush();
      err.flush();
    }
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
    String[] out = args.clone();
    for (int i = 0; i < out.length; i++) { // a command's name never starts with "-"
      String a = out[i];
      if (a.equals("--")) break;
      if (!a.startsWith("-") || a.startsWith("--") || a.length() < 3) continue;
      int eq = a.indexOf('=');
      String name = eq < 0 ? a : a.substring(0, eq);
      String rest = eq < 0 ? "" : a.substring(eq);
      if (names.contains(name)) continue;
      String dashed = name.equals("-format") ? "--output" : "-" + name;
      if (names.contains(dashed)) out[i] = dashed + rest;
    }
    return out;
  }

  /** Maps an error to its exit code and a one-line message (the stack trace only on request). */
  static int handle(Exception ex, PrintWriter err, boolean trace) {
    int code;
    if (ex instanceof SpecException) {
      err.println("invalid configuration: " + ex.getMessage());
      err.println("Nothing was changed.");
      code = INVALID_CONFIG.code();
    } else if (Failures.usage(ex)) {
      err.println("usage error: " + ex.getMessage());
      code = USAGE.code();
    } else if (ex instanceof Fleet.UsageException) {
      err.println(ex.getMessage());
      code = USAGE.code();
    } else if (ex instanceof Fleet.ConflictException) {
      err.println("error: " + ex.getMessage());
      code = CONFLICT.code();
    } else if (ex instanceof LockHeldException) {
      err.println(ex.getMessage());
      code = LOCKED.code();
    } else if (Failures.operational(ex) || ex instanceof UncheckedIOException) {
      err.println("error: " + ex.getMessage());
      code = FAILED.code();
    } else {
      err.println(
          "internal error: " + ex + " (please report it; rerun with --stacktrace for details)");
      code = INTERNAL.code();
    }
    if (trace) ex.printStackTrace(err);
    err.flush();
    return code;
  }

  /** Progress: a run's events on stderr (cloud-init's output log and journald keep them). */
  static EventSink sink(PrintWriter err, Common common) {
    return new ConsoleSink(err, common != null && common.verbose, System.console() != null);
  }
}
