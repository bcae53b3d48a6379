package dev.consulvmagent.cli;

import dev.consulvmagent.app.Agent;
import dev.consulvmagent.app.ConsulAccess;
import dev.consulvmagent.app.Hosts;
import dev.consulvmagent.engine.RunResult;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(
    name = "apply",
    mixinStandardHelpOptions = true,
    description =
        "Converge the host to the configuration, then re-observe and fail if anything did not"
            + " converge.")
final class ApplyCommand implements Callable<Integer> {
  @Mixin Common common;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    return run(common, spec.commandLine().getOut(), spec.commandLine().getErr());
  }

  static int run(Common common, PrintWriter out, PrintWriter err) {
    RunResult r =
        new Agent(
                Hosts.forRun(common.toRunOptions()),
                ConsulAccess.of(Optional.empty(), Optional.empty()),
                Boot.sink(err, common))
            .apply(common.toRunOptions());
    int code = r.failed() ? ExitCode.FAILED.code() : ExitCode.OK.code();
    Render.result(out, err, r, common.json(), common.verbose, code);
    return code;
  }
}
