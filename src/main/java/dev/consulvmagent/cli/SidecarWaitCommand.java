package dev.consulvmagent.cli;

import dev.consulvmagent.app.ConsulAccess;
import dev.consulvmagent.app.Hosts;
import dev.consulvmagent.app.Mesh;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "sidecar-wait",
    mixinStandardHelpOptions = true,
    description =
        "Wait until the local Consul agent answers, knows a leader, and has SERVICE and its sidecar"
            + " registered.")
final class SidecarWaitCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "SERVICE", description = "The service name (envoy@SERVICE).")
  String service;

  @Option(
      names = "--timeout",
      defaultValue = "150",
      paramLabel = "SECONDS",
      description = "Give up after this long (default ${DEFAULT-VALUE}).")
  int timeout;

  @Mixin ConsulOptions consul;

  @Override
  public Integer call() {
    return run(spec.commandLine().getErr());
  }

  /** The command itself, picocli or not ({@link Boot}: envoy@'s ExecStartPre at every boot). */
  int run(PrintWriter err) {
    new Mesh(Hosts.live(), ConsulAccess.of(consul.flags()))
        .sidecarWait(service, Duration.ofSeconds(timeout), Boot.sink(err, null));
    return ExitCode.OK.code();
  }
}
