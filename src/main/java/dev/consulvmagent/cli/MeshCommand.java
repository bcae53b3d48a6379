package dev.consulvmagent.cli;

import dev.consulvmagent.app.MeshOperator;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code mesh}: the operator's commands for a secure mesh (issue 19); no Consul needed. */
@Command(
    name = "mesh",
    mixinStandardHelpOptions = true,
    description =
        "Make a mesh's secrets once (init) and complete each machine's user-data with only what"
            + " it needs (user-data). Runs on the operator's machine; needs no Consul.",
    subcommands = {MeshCommand.Init.class, MeshCommand.UserDataCmd.class})
final class MeshCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return ExitCode.USAGE.code();
  }

  @Command(
      name = "init",
      mixinStandardHelpOptions = true,
      description = {
        "Make the mesh's secrets in DIR (0700; files 0600): the Consul CA, the gossip key, the"
            + " intro-JWT signing key pair, the management and server agent tokens, and a"
            + " certificate for each --server. Existing files are never overwritten: run it again"
            + " to add a server.",
        "For day-2 work: CONSUL_HTTP_TOKEN_FILE=DIR/management.token consul ..."
      })
  static final class Init implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR", description = "The mesh's secrets directory.")
    Path dir;

    @Option(
        names = "--server",
        paramLabel = "NAME[=ADDR,...]",
        description =
            "A Consul server (its node name) to make a certificate for; ADDR: IP addresses and"
                + " DNS names it is reached by (127.0.0.1, localhost and server.<dc>.<domain>"
                + " are always in). Repeatable.")
    List<String> servers = new ArrayList<>();

    @Option(
        names = "--datacenter",
        defaultValue = "dc1",
        description = "Default: ${DEFAULT-VALUE}.")
    String datacenter;

    @Option(names = "--domain", defaultValue = "consul", description = "Default: ${DEFAULT-VALUE}.")
    String domain;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      try {
        for (MeshOperator.InitLine l : MeshOperator.init(dir, datacenter, domain, servers)) {
          out.println(
              (l.created() ? "created " : "kept    ")
                  + l.file()
                  + (l.note().isEmpty() ? "" : " (" + l.note() + ")"));
        }
      } catch (MeshOperator.MeshFailure e) {
        err.println("error: " + e.getMessage());
        return e.exitCode();
      }
      out.flush();
      return ExitCode.OK.code();
    }
  }

  @Command(
      name = "user-data",
      mixinStandardHelpOptions = true,
      description = {
        "Render one machine's complete user-data: the --template (a #cloud-config such as"
            + " cloud-init/counting.yaml) with a security: section holding only what that"
            + " machine needs. A server gets its certificate and key, the gossip key, the JWT"
            + " public key and its ACL tokens; a client only the CA certificate and a"
            + " short-lived intro JWT bound to its node name and service.",
        "Written to -o FILE (0600), or to standard output only when that is not a terminal."
      })
  static final class UserDataCmd implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR", description = "The mesh's secrets directory.")
    Path dir;

    @Option(
        names = "--machine",
        required = true,
        paramLabel = "NAME",
        description = "The machine's node name (consul.node_name in the template).")
    String machine;

    @Option(
        names = "--template",
        required = true,
        paramLabel = "FILE",
        description = "The secret-free user-data to complete.")
    Path template;

    @Option(
        names = "--service",
        paramLabel = "S",
        description = "The service the JWT is bound to (default: the template's service).")
    String service;

    @Option(
        names = "--ttl",
        defaultValue = "24h",
        description = "The intro JWT's lifetime, 5m..30d. Default: ${DEFAULT-VALUE}.")
    String ttl;

    @Option(
        names = "--mesh-service",
        paramLabel = "S",
        description =
            "For a server: a service allowed to manage its own intentions (security.services)."
                + " Default: the services of the client templates beside --template. Repeatable.")
    List<String> meshServices = new ArrayList<>();

    @Option(
        names = {"-o", "--output"},
        paramLabel = "FILE",
        description = "Write here (0600).")
    Path output;

    @Override
    public Integer call() {
      PrintWriter err = spec.commandLine().getErr();
      try {
        MeshOperator.UserDataResult r =
            MeshOperator.userData(
                dir,
                machine,
                template,
                Optional.ofNullable(service),
                ttl,
                meshServices,
                Optional.ofNullable(output),
                System.out);
        err.println(
            "user-data for "
                + r.role()
                + " "
                + machine
                + " written to "
                + r.where()
                + "; security: "
                + String.join(", ", r.keys()));
      } catch (MeshOperator.MeshFailure e) {
        err.println("error: " + e.getMessage());
        return e.exitCode();
      }
      err.flush();
      return ExitCode.OK.code();
    }
  }
}
