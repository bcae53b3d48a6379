package dev.consulvmagent.cli;

import dev.consulvmagent.app.Agent;
import dev.consulvmagent.app.ConsulAccess;
import dev.consulvmagent.app.Hosts;
import dev.consulvmagent.engine.RunResult;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "plan",
    mixinStandardHelpOptions = true,
    description =
        "Show what apply would change and why, field by field (secrets redacted). Changes nothing.")
final class PlanCommand implements Callable<Integer> {
  @Mixin Common common;
  @Spec CommandSpec spec;

  @Option(names = "--detailed-exitcode", description = "Exit 10 when changes are pending.")
  boolean detailed;

  @Override
  public Integer call() {
    return run(common, detailed, spec.commandLine().getOut(), spec.commandLine().getErr());
  }

  static int run(Common common, boolean detailed, PrintWriter out, PrintWriter err) {
    RunResult r =
        new Agent(Hosts.forRun(common.toRunOptions()), ConsulAccess.NONE, Boot.sink(err, common))
            .plan(common.toRunOptions());
    int code = detailed && r.pending() > 0 ? ExitCode.CHANGES_PENDING.code() : ExitCode.OK.code();
    Render.result(out, err, r, common.json(), common.verbose, code);
    return code;
  }
}
