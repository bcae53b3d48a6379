package dev.consulvmagent.cli;

import dev.consulvmagent.app.Agent;
import dev.consulvmagent.app.ConsulAccess;
import dev.consulvmagent.app.Hosts;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.spec.AgentSpec;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(
    name = "validate",
    mixinStandardHelpOptions = true,
    description = "Check the configuration only; touches nothing.",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:valid", "2:usage error", "3:invalid configuration"})
final class ValidateCommand implements Callable<Integer> {
  @Mixin Common common;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    return run(common, spec.commandLine().getOut(), spec.commandLine().getErr());
  }

  static int run(Common common, PrintWriter out, PrintWriter err) {
    AgentSpec s =
        new Agent(Hosts.forRun(common.toRunOptions()), ConsulAccess.NONE, EventSink.NONE)
            .load(common.toRunOptions());
    // warnings (ignored annotations) on stderr: stdout stays the verdict, -o json parseable
    s.service().ifPresent(x -> x.warnings().forEach(w -> err.println("warning: " + w)));
    err.flush();
    if (common.json()) {
      out.println("{\"valid\": true}");
    } else {
      out.println(
          "Valid: consul "
              + s.consul().version()
              + " ("
              + s.consul().role().name().toLowerCase()
              + "), envoy "
              + s.envoy().version()
              + s.app().map(a -> ", app " + a.name()).orElse("")
              + s.service().map(x -> ", service " + x.mesh().name()).orElse(""));
    }
    out.flush();
    return ExitCodes.OK;
  }
}
