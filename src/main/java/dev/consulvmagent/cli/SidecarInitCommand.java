package dev.consulvmagent.cli;

import dev.consulvmagent.app.Hosts;
import dev.consulvmagent.app.SidecarFlow;
import dev.consulvmagent.engine.RunResult;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.render.Json;
import dev.consulvmagent.sidecar.MeshService;
import dev.consulvmagent.sidecar.Registration;
import dev.consulvmagent.sidecar.ServiceConfig;
import dev.consulvmagent.sidecar.SidecarFiles;
import dev.consulvmagent.render.UnitNames;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Drop-in for the seed's generate-sidecar-configs.py (same -f, --dry and --type options). */
@Command(name = "sidecar-init", mixinStandardHelpOptions = true,
    description = "Turn /srv/consul/service-config.json into /etc/consul.d/service-registration.json and start envoy@<service>.",
    exitCodeListHeading = "%nExit codes:%n", exitCodeList = {"0:done", "1:failed", "2:usage error", "3:invalid service config (nothing written)"})
final class SidecarInitCommand implements Callable<Integer> {
  enum Type {
    service_registration, redirect, connect_envoy, envoy
  }

  @Spec CommandSpec spec;

  @Option(names = {"-f", "--filename"}, paramLabel = "FILE", defaultValue = SidecarFiles.SERVICE_CONFIG,
      description = "The service config (default: ${DEFAULT-VALUE}, under --root when given).")
  String filename;

  @Option(names = "--dry", description = "Print what would be generated (see --type) and change nothing.")
  boolean dry;

  @Option(names = "--type", paramLabel = "TYPE", defaultValue = "service-registration",
      description = "With --dry: service-registration, redirect, connect-envoy or envoy.")
  String type;

  @Option(names = "--root", paramLabel = "DIR", defaultValue = "/", description = "Write under DIR; enable but never start.")
  Path root;

  @Option(names = "--admin-port", paramLabel = "PORT", description = "Envoy admin port (default: the configured one, else 19000).")
  Integer adminPort;

  @Option(names = {"-o", "--output"}, defaultValue = "text", description = "text or json.")
  String output;

  @Override
  public Integer call() {
    Path file = filename.equals(SidecarFiles.SERVICE_CONFIG) ? Hosts.forRoot(root, false).fs().resolve(filename) : Path.of(filename);
    ServiceConfig cfg = SidecarFlow.readServiceConfig(file);
    MeshService m = cfg.mesh();
    int admin = adminPort != null ? adminPort : SidecarFlow.adminPort(root, m.name());
    PrintWriter out = spec.commandLine().getOut();
    if (dry) {
      switch (type) {
        case "service-registration" -> out.print(new String(Json.render(Registration.document(m)), StandardCharsets.UTF_8));
        case "redirect" -> out.println(String.join(" ", Registration.redirectArgs(m,
            Hosts.forRoot(root, false).users().uid("envoy").orElse(101))));
        case "connect-envoy" -> out.println("consul " + String.join(" ", Registration.connectEnvoyArgs(m, "127.0.0.1:" + admin)));
        case "envoy" -> out.println(String.join(" ", List.of("systemctl", "enable", "--now", UnitNames.envoy(m.name()))));
        default -> {
          spec.commandLine().getErr().println("--type must be service-registration, redirect, connect-envoy or envoy");
          return ExitCodes.USAGE;
        }
      }
      out.flush();
      return ExitCodes.OK;
    }
    RunResult r = new SidecarFlow(Main.sink(spec.commandLine().getErr(), null)).init(cfg, root, admin);
    int code = r.failed() ? ExitCodes.FAILED : ExitCodes.OK;
    Render.result(out, r, "json".equals(output), false, code);
    return code;
  }
}
