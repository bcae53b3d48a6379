package dev.consulvmagent.cli;

import dev.consulvmagent.app.RunOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import picocli.CommandLine.Option;

/** Options shared by plan, apply and validate. */
public final class Common {
  @Option(
      names = "--config",
      paramLabel = "FILE",
      description =
          "Agent config (YAML). Default: "
              + RunOptions.DEFAULT_CONFIG
              + ". With --user-data: the write_files path to take from it.")
  Path config;

  @Option(
      names = "--user-data",
      paramLabel = "FILE",
      description =
          "A whole cloud-init user-data file (#cloud-config or MIME multipart); "
              + "the config is its write_files entry for the config path.")
  Path userData;

  @Option(
      names = "--root",
      paramLabel = "DIR",
      defaultValue = "/",
      description =
          "Apply under DIR instead of /: enable but never start "
              + "services, never touch the network stack (baking images, tests).")
  Path root;

  @Option(
      names = "--bake",
      description =
          "Make a base image under --root (or / in an image builder): Consul, Envoy, the agent,"
              + " users and units installed and enabled, nothing started, nothing per-instance"
              + " (no consul.json, node name, secrets, app or service: they come at boot).")
  boolean bake;

  @Option(
      names = "--mirror",
      paramLabel = "URL",
      description = "Download from URL instead of the public hosts, keeping their paths.")
  String mirror;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FORMAT",
      defaultValue = "text",
      description = "${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}).")
  Output output;

  @Option(
      names = {"-v", "--verbose"},
      description = "More detail.")
  boolean verbose;

  @Option(names = "--stacktrace", description = "Print stack traces of errors.")
  boolean stacktrace;

  @Option(
      names = "--lock-wait",
      paramLabel = "SECONDS",
      defaultValue = "10",
      converter = Common.Seconds.class,
      description =
          "How long to wait for another run to finish (default ${DEFAULT-VALUE}); then exit 5.")
  int lockWait;

  /** A whole number of seconds, 0 or more (a negative wait is a usage error, exit 2). */
  static final class Seconds implements picocli.CommandLine.ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
      int n;
      try {
        n = Integer.parseInt(value);
      } catch (NumberFormatException e) {
        throw new picocli.CommandLine.TypeConversionException("'" + value + "' is not a number");
      }
      if (n < 0) {
        throw new picocli.CommandLine.TypeConversionException("'" + value + "' is negative");
      }
      return n;
    }
  }

  RunOptions toRunOptions() {
    return new RunOptions(
        Optional.ofNullable(config),
        Optional.ofNullable(userData),
        root,
        Optional.ofNullable(mirror),
        RunOptions.runningJar(),
        Duration.ofSeconds(lockWait),
        bake);
  }

  boolean json() {
    return output == Output.json;
  }
}
