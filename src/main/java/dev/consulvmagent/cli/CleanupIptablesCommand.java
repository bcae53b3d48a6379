package dev.consulvmagent.cli;

import dev.consulvmagent.app.Hosts;
import dev.consulvmagent.app.TrafficRules;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "cleanup-iptables",
    mixinStandardHelpOptions = true,
    description =
        "Remove only our jumps and CONSUL_* chains from the nat table; every other rule survives.")
final class CleanupIptablesCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--service",
      paramLabel = "NAME",
      description = "Accepted for envoy@NAME's ExecStopPost; the chains are per host.")
  String service;

  @Option(
      names = "--dry-run",
      description = "Print the iptables-restore script and change nothing.")
  boolean dryRun;

  @Override
  public Integer call() {
    return run(spec.commandLine().getOut());
  }

  /** The command itself, picocli or not ({@link Boot}: envoy@'s ExecStopPost). */
  int run(PrintWriter out) {
    TrafficRules rules = new TrafficRules(Hosts.live());
    if (dryRun) {
      out.print(rules.cleanupScript());
    } else {
      boolean removed = rules.cleanup();
      out.println(
          removed ? "Removed traffic redirection rules" : "No traffic redirection rules to remove");
    }
    out.flush();
    return ExitCode.OK.code();
  }
}
