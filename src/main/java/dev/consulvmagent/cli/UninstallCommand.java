package dev.consulvmagent.cli;

import dev.consulvmagent.app.Hosts;
import dev.consulvmagent.app.Uninstall;
import dev.consulvmagent.engine.RunResult;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "uninstall",
    mixinStandardHelpOptions = true,
    description =
        "Remove everything the agent created (units, rules, registration, binaries, files, users it"
            + " added) and nothing else.")
final class UninstallCommand implements Callable<Integer> {
  @Mixin Common common;
  @Spec CommandSpec spec;

  @Option(names = "--plan", description = "Only show what would be removed.")
  boolean planOnly;

  @Override
  public Integer call() {
    Uninstall u =
        new Uninstall(
            Hosts.forRun(common.toRunOptions()), Main.sink(spec.commandLine().getErr(), common));
    RunResult r = u.run(common.toRunOptions(), planOnly);
    int code = r.failed() ? ExitCode.FAILED.code() : ExitCode.OK.code();
    Render.result(
        spec.commandLine().getOut(),
        spec.commandLine().getErr(),
        r,
        common.json(),
        common.verbose,
        code);
    return code;
  }
}
