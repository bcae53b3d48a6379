package dev.consulvmagent.cli;

import dev.consulvmagent.app.ConsulAccess;
import dev.consulvmagent.app.Doctor;
import dev.consulvmagent.app.Hosts;
import dev.consulvmagent.app.Mesh;
import dev.consulvmagent.render.Json;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description =
        "Is this VM correctly in the mesh? Consul, registration, health, Envoy, traffic rules, DNS,"
            + " last run.")
final class StatusCommand implements Callable<Integer> {
  @Mixin Common common;
  @Spec CommandSpec spec;

  @Mixin ConsulOptions consul;

  @Override
  public Integer call() {
    List<Doctor.Check> checks =
        new Mesh(Hosts.forRun(common.toRunOptions()), ConsulAccess.of(consul.flags()))
            .status(common.toRunOptions());
    int code = Doctor.exitCode(checks) == 0 ? ExitCode.OK.code() : ExitCode.DEGRADED.code();
    PrintWriter out = spec.commandLine().getOut();
    if (common.json()) {
      out.print(Json.text(Doctor.toJson(checks)));
    } else {
      for (Doctor.Check c : checks) {
        out.printf("%-5s %-15s %s%n", c.verdict().name().toLowerCase(), c.name(), c.detail());
        if (!c.hint().isEmpty() && c.verdict() != Doctor.Verdict.OK)
          out.printf("      %-15s → %s%n", "", c.hint());
      }
      out.println(
          code == 0 ? "Healthy: this VM is in the mesh." : "Degraded: see the checks above.");
    }
    out.flush();
    return code;
  }
}
