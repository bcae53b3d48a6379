package dev.consulvmagent.cli;

import dev.consulvmagent.app.ConsulFlags;
import dev.consulvmagent.app.Fleet;
import dev.consulvmagent.render.Json;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** fleet: the operator's commands for rollouts through Consul (README "Fleet rollouts"). */
@Command(
    name = "fleet",
    mixinStandardHelpOptions = true,
    description = "Roll a change out to a group of VMs through Consul's KV store.",
    subcommands = {
      FleetCommand.Push.class,
      FleetCommand.Status.class,
      FleetCommand.Pause.class,
      FleetCommand.Resume.class,
      FleetCommand.Promote.class,
      FleetCommand.Rollback.class,
      FleetCommand.Acl.class
    })
final class FleetCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return ExitCode.USAGE.code();
  }

  /** Options every fleet subcommand takes. */
  static final class GroupOptions {
    @Option(
        names = "--group",
        required = true,
        paramLabel = "GROUP",
        description = "The group (fleet.group of its VMs).")
    String group;

    @Option(
        names = "--kv-prefix",
        paramLabel = "PREFIX",
        defaultValue = "consul-vm-agent/",
        description = "KV prefix (fleet.kv_prefix; default ${DEFAULT-VALUE}).")
    String prefix;
  }

  static Fleet fleet(CommandSpec spec) {
    return new Fleet(Main.sink(spec.commandLine().getErr(), null));
  }

  @Command(
      name = "push",
      mixinStandardHelpOptions = true,
      description = "Push FILE (an overlay) as the group's next revision.")
  static final class Push implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ConsulOptions consul;
    @Mixin GroupOptions g;

    @Parameters(
        index = "0",
        paramLabel = "FILE",
        description = "The overlay (YAML): versions, app, service, dns.mode.")
    Path file;

    @Option(
        names = "--max-parallel",
        paramLabel = "N",
        description = "VMs applying at once (default 1).")
    Integer maxParallel;

    @Option(
        names = "--min-healthy-time",
        paramLabel = "DURATION",
        description = "Healthy this long to count (default 10s).")
    String minHealthyTime;

    @Option(
        names = "--healthy-deadline",
        paramLabel = "DURATION",
        description = "Healthy by then or failed (default 5m).")
    String healthyDeadline;

    @Option(
        names = "--auto-revert",
        description = "On failure, re-apply the VM's last healthy revision.")
    Boolean autoRevert;

    @Option(
        names = "--canary",
        paramLabel = "N",
        description = "N VMs first; the rest wait for fleet promote.")
    Integer canary;

    @Option(
        names = "--canary-percent",
        paramLabel = "P",
        description = "P%% of the group's VMs first.")
    Integer canaryPercent;

    @Option(names = "--auto-promote", description = "Promote once every canary is healthy.")
    Boolean autoPromote;

    @Option(
        names = "--base",
        paramLabel = "REVISION",
        description = "Refuse unless the group is at this revision.")
    Long base;

    @Option(
        names = "--validate-against",
        paramLabel = "CONFIG",
        description = "A VM config the merged result must be valid for (repeatable).")
    List<Path> configs = List.of();

    @Override
    public Integer call() {
      long rev =
          fleet(spec)
              .push(
                  consul.flags(),
                  g.prefix,
                  g.group,
                  file,
                  new Fleet.PolicyInput(
                      Optional.ofNullable(maxParallel),
                      Optional.ofNullable(minHealthyTime),
                      Optional.ofNullable(healthyDeadline),
                      Optional.ofNullable(autoRevert),
                      Optional.ofNullable(canary),
                      Optional.ofNullable(canaryPercent),
                      Optional.ofNullable(autoPromote)),
                  configs,
                  base == null ? OptionalLong.empty() : OptionalLong.of(base));
      spec.commandLine().getOut().println("group " + g.group + ": revision " + rev + " pushed");
      return ExitCode.OK.code();
    }
  }

  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = "Each group's revision and each VM's report.")
  static final class Status implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ConsulOptions consul;

    @Option(names = "--group", paramLabel = "GROUP", description = "Only this group.")
    String group;

    @Option(
        names = "--kv-prefix",
        paramLabel = "PREFIX",
        defaultValue = "consul-vm-agent/",
        description = "KV prefix.")
    String prefix;

    @Option(
        names = {"-o", "--output"},
        paramLabel = "FORMAT",
        defaultValue = "text",
        description = "text or json.")
    String output;

    @Override
    public Integer call() {
      if (!output.equals("text") && !output.equals("json"))
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--output must be text or json");
      List<Map<String, Object>> s =
          fleet(spec).status(consul.flags(), prefix, Optional.ofNullable(group));
      PrintWriter out = spec.commandLine().getOut();
      if (output.equals("json"))
        out.print(Json.text(group == null ? s : s.isEmpty() ? Map.of() : s.get(0)));
      else out.print(Fleet.table(s));
      out.flush();
      return ExitCode.OK.code();
    }
  }

  /**
   * A command on one group through Consul: the Consul flags, the group's, and one line saying what
   * it did.
   */
  abstract static class GroupCall implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ConsulOptions consul;
    @Mixin GroupOptions g;

    /** Does it; returns what the line after "group G: " says. */
    abstract String run(Fleet f, ConsulFlags c);

    @Override
    public Integer call() {
      String done = run(fleet(spec), consul.flags());
      spec.commandLine().getOut().println("group " + g.group + ": " + done);
      return ExitCode.OK.code();
    }
  }

  @Command(
      name = "pause",
      mixinStandardHelpOptions = true,
      description = "No VM of the group starts a revision until resume.")
  static final class Pause extends GroupCall {
    @Override
    String run(Fleet f, ConsulFlags c) {
      f.pause(c, g.prefix, g.group, true);
      return "paused";
    }
  }

  @Command(
      name = "resume",
      mixinStandardHelpOptions = true,
      description = "Lets a paused group go on.")
  static final class Resume extends GroupCall {
    @Override
    String run(Fleet f, ConsulFlags c) {
      f.pause(c, g.prefix, g.group, false);
      return "resumed";
    }
  }

  @Command(
      name = "promote",
      mixinStandardHelpOptions = true,
      description = "Lets every VM take the current revision (after the canaries).")
  static final class Promote extends GroupCall {
    @Override
    String run(Fleet f, ConsulFlags c) {
      return "revision " + f.promote(c, g.prefix, g.group) + " promoted";
    }
  }

  @Command(
      name = "rollback",
      mixinStandardHelpOptions = true,
      description = "Pushes an earlier revision again, as a new revision.")
  static final class Rollback extends GroupCall {
    @Option(
        names = "--to",
        paramLabel = "REVISION",
        description = "The revision to go back to (default: the one before).")
    Long to;

    @Override
    String run(Fleet f, ConsulFlags c) {
      OptionalLong back = to == null ? OptionalLong.empty() : OptionalLong.of(to);
      return "rolled back as revision " + f.rollback(c, g.prefix, g.group, back);
    }
  }

  @Command(
      name = "acl",
      mixinStandardHelpOptions = true,
      description =
          "Print the least-privilege ACL rules of a group's watcher on --node, or of its operator.")
  static final class Acl implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin GroupOptions g;

    @Option(
        names = "--node",
        paramLabel = "NODE",
        description = "The watcher's node (omit: the operator's rules).")
    String node;

    @Override
    public Integer call() {
      spec.commandLine()
          .getOut()
          .print(Fleet.aclRules(g.prefix, g.group, Optional.ofNullable(node)));
      return ExitCode.OK.code();
    }
  }
}
