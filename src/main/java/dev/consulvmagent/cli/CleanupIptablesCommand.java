package dev.consulvmagent.cli;

import dev.consulvmagent.app.Hosts;
import dev.consulvmagent.app.TrafficRules;
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
    TrafficRules rules = new TrafficRules(Hosts.live());
    if (dryRun) {
      spec.commandLine().getOut().print(rules.cleanupScript());
    } else {
      boolean removed = rules.cleanup();
      spec.commandLine()
          .getOut()
          .println(
              removed
                  ? "Removed traffic redirection rules"
                  : "No traffic redirection rules to remove");
    }
    spec.commandLine().getOut().flush();
    return ExitCode.OK.code();
  }
}
