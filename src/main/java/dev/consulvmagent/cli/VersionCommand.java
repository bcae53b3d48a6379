package dev.consulvmagent.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** `consul-vm-agent version`, as `consul version` and `terraform version` spell it. */
@Command(
    name = "version",
    mixinStandardHelpOptions = true,
    description = "Print the version (the same as --version).")
final class VersionCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    for (String line : new Main.Version().getVersion()) spec.commandLine().getOut().println(line);
    spec.commandLine().getOut().flush();
    return ExitCode.OK.code();
  }
}
