package dev.consulvmagent.cli;

import dev.consulvmagent.app.ConsulAccess;
import dev.consulvmagent.app.Hosts;
import dev.consulvmagent.app.SidecarInit;
import dev.consulvmagent.app.SidecarVersion;
import dev.consulvmagent.engine.RunResult;
import dev.consulvmagent.sidecar.SidecarFiles;
import dev.consulvmagent.spec.MeshService;
import dev.consulvmagent.spec.ServiceConfig;
import dev.consulvmagent.spec.SpecLoader;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Drop-in for the seed's generate-sidecar-configs.py (same -f, --dry and --type options). */
@Command(
    name = "sidecar-init",
    mixinStandardHelpOptions = true,
    description =
        "Turn /srv/consul/service-config.json into /etc/consul.d/service-registration.json and"
            + " start envoy@<service>.")
final class SidecarInitCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = {"-f", "--filename"},
      paramLabel = "FILE",
      defaultValue = SidecarFiles.SERVICE_CONFIG,
      description = "The service config (default: ${DEFAULT-VALUE}, under --root when given).")
  String filename;

  @Option(
      names = "--dry",
      description = "Print what would be generated (needs --type) and change nothing.")
  boolean dry;

  // The seed's script (generate-sidecar-configs.py) makes --type required with --dry
  // (parser.error, exit 2) and prints, per type, what SeedDryRun documents.
  @Option(
      names = "--type",
      paramLabel = "TYPE",
      description =
          "With --dry: service-registration (the registration document),"
              + " redirect (the -exclude-* flags), connect-envoy (the extra 'consul connect envoy'"
              + " flags) or envoy (the envoy-extra-args value), as the seed's"
              + " generate-sidecar-configs.py prints them.")
  String type;

  @Option(
      names = "--full",
      description =
          "With --dry --type: print the full command line (redirect, connect-envoy) or the"
              + " systemctl call (envoy) that this agent runs, instead of the seed's fragment.")
  boolean full;

  @Option(
      names = "--root",
      paramLabel = "DIR",
      defaultValue = "/",
      description = "Write under DIR; enable but never start.")
  Path root;

  @Option(
      names = "--admin-port",
      paramLabel = "PORT",
      description = "Envoy admin port (default: the configured one, else 19000).")
  Integer adminPort;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FORMAT",
      defaultValue = "text",
      description = "${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}).")
  Output output;

  @Option(
      names = "--http-addr",
      paramLabel = "URL",
      description =
          "The Consul agent asked for its version (the registration is rendered for"
              + " it; default: $CONSUL_HTTP_ADDR, else the address apply derived from"
              + " consul.client_addr, else http://127.0.0.1:8500; not asked with a --root other"
              + " than / unless given).")
  String httpAddr;

  @Override
  public Integer call() {
    return run(spec.commandLine().getOut(), spec.commandLine().getErr());
  }

  /** The command itself, picocli or not ({@link Boot}: consul-sidecar-init at every boot). */
  int run(PrintWriter out, PrintWriter err) {
    Integer bad = usage(err);
    if (bad != null) return bad;
    SidecarInit init =
        new SidecarInit(
            Hosts.forRoot(root),
            ConsulAccess.of(Optional.ofNullable(httpAddr), Optional.empty()),
            Boot.sink(err, null));
    ServiceConfig cfg = init.read(filename);
    MeshService m = cfg.mesh();
    for (String w : cfg.warnings()) err.println("warning: " + w); // stdout stays the seed's
    err.flush();
    if (dry) {
      int admin = adminPort != null ? adminPort : init.adminPort(m.name());
      // only the registration and the full connect-envoy line depend on the Consul version
      boolean versioned =
          "service-registration".equals(type) || (full && "connect-envoy".equals(type));
      String version =
          versioned ? init.consulVersion(dry, m.name()) : SpecLoader.DEFAULT_CONSUL_VERSION;
      out.print(init.dry(type, full, cfg, admin, version));
      out.flush();
      return ExitCode.OK.code();
    }
    // what apply wrote is read under the run lock (SidecarInit#run)
    RunResult r = init.run(cfg, Optional.ofNullable(adminPort));
    int code = r.failed() ? ExitCode.FAILED.code() : ExitCode.OK.code();
    Render.result(out, err, r, output == Output.json, false, code);
    return code;
  }

  private static final List<String> TYPES =
      List.of("service-registration", "redirect", "connect-envoy", "envoy");

  /** Checked before the service config is read: a usage error wins over a config error. */
  private Integer usage(PrintWriter err) {
    if (dry && type == null) {
      err.println("--dry requires --type (service-registration, redirect, connect-envoy or envoy)");
    } else if (type != null && !TYPES.contains(type)) {
      err.println("--type must be service-registration, redirect, connect-envoy or envoy");
    } else if (full && !dry) {
      err.println("--full needs --dry and --type");
    } else if (httpAddr != null
        && !SidecarVersion.url(httpAddr).matches("https?://[^/\\s?#]+(/[^\\s?#]*)?")) {
      err.println("--http-addr must be host:port or an http:// or https:// URL, not " + httpAddr);
    } else {
      return null;
    }
    err.println("Try 'consul-vm-agent sidecar-init --help'.");
    err.flush();
    return ExitCode.USAGE.code();
  }
}
