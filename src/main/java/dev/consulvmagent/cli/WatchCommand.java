package dev.consulvmagent.cli;

import dev.consulvmagent.app.Fleet;
import dev.consulvmagent.app.Hosts;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** watch: consul-vm-agent-watch.service's command (fleet rollouts). */
@Command(
    name = "watch",
    mixinStandardHelpOptions = true,
    description =
        "Follow this VM's fleet group in Consul and roll to each new revision (the"
            + " consul-vm-agent-watch.service command).")
final class WatchCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin Common common;
  @Mixin ConsulOptions consul;

  @Option(
      names = "--node",
      paramLabel = "NAME",
      description = "This VM's node name (default: consul.node_name, else the host name).")
  String node;

  @Option(
      names = "--rounds",
      paramLabel = "N",
      defaultValue = "-1",
      hidden = true,
      description = "Stop after N reads (tests).")
  long rounds;

  @Option(
      names = "--wait",
      paramLabel = "SECONDS",
      defaultValue = "300",
      converter = Common.Seconds.class,
      description = "Blocking-query wait, at most 600 (default ${DEFAULT-VALUE}).")
  int waitSeconds;

  @Option(
      names = "--slot-ttl",
      paramLabel = "SECONDS",
      defaultValue = "15",
      converter = Common.Seconds.class,
      description = "Semaphore session TTL, 10 to 86400 (default ${DEFAULT-VALUE}).")
  int slotTtl;

  @Override
  public Integer call() throws InterruptedException {
    if (waitSeconds > 600 || slotTtl < 10 || slotTtl > 86400)
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(), "--wait must be at most 600 and --slot-ttl between 10 and 86400");
    new Fleet(Main.sink(spec.commandLine().getErr(), common))
        .watch(
            Hosts.forRun(common.toRunOptions()),
            common.toRunOptions(),
            consul.flags(),
            new Fleet.WatchOptions(
                Optional.ofNullable(node),
                rounds,
                Duration.ofSeconds(waitSeconds),
                Duration.ofSeconds(slotTtl)));
    return ExitCode.OK.code();
  }
}
