package dev.consulvmagent.render;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's archive at a bake, run for real with a stand-in {@code java} that logs each call
 * and writes the files the real one would (a class list, an archive): the bake's apply and the
 * boot's other commands each write a class list, one static archive is dumped from their union with
 * the agent's own classes, and nothing of the lists is left; any other run uses or makes the
 * archive as before, and a bake into another root (--root) makes none for this machine.
 */
class UnitsLauncherBakeTest {
  @TempDir Path tmp;

  /** Runs the launcher with args; returns the stand-in java's calls, one line each. */
  private List<String> run(String... args) throws Exception {
    Path log = tmp.resolve("calls");
    // the stand-in: logs its arguments, writes the class list or archive it is asked for
    String java =
        "#!/bin/sh\n"
            + "echo \"$*\" >>"
            + log
            + "\n"
            + "for a in \"$@\"; do case $a in\n"
            + "  -XX:DumpLoadedClassList=*) printf '# a list\\n"
            + "x/Y id: 7\\n"
            + "' >\"${a#*=}\" ;;\n"
            + "  -XX:SharedArchiveFile=*) case \"$*\" in *-Xshare:dump*) : >\"${a#*=}\" ;; esac"
            + " ;;\n"
            + "  -XX:ArchiveClassesAtExit=*) : >\"${a#*=}\" ;;\n"
            + "esac; done\n"
            + "case \"$*\" in *CdsClassList*) echo dev/consulvmagent/cli/Boot ;; esac\n";
    LauncherRun.Result r = LauncherRun.run(tmp, java, Map.of(), args);
    assertThat(r.exitCode()).as(r.output()).isZero();
    return Files.readAllLines(log, StandardCharsets.UTF_8);
  }

  private List<String> cacheFiles() throws Exception {
    try (Stream<Path> s = Files.list(tmp.resolve("cache"))) {
      return s.map(f -> f.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void bake_archivesEveryBootCommand_fromOneUnionList() throws Exception {
    List<String> calls = run("apply", "--bake", "--config", "/x.yaml");
    assertThat(calls.get(0))
        .contains("-XX:DumpLoadedClassList=")
        .doesNotContain("SharedArchiveFile")
        .doesNotContain("ArchiveClassesAtExit")
        .endsWith("dev.consulvmagent.cli.Boot apply --bake --config /x.yaml");
    for (String command :
        List.of("sidecar-wait", "sidecar-init", "redirect-traffic", "dns-redirect", "cleanup"))
      assertThat(calls)
          .anySatisfy(
              c ->
                  assertThat(c)
                      .contains("-XX:DumpLoadedClassList=")
                      .contains("dev.consulvmagent.cli.Boot " + command));
    assertThat(calls)
        .anySatisfy(
            c ->
                assertThat(c)
                    .endsWith("dev.consulvmagent.cli.CdsClassList " + tmp.resolve("agent.jar")));
    String dump = calls.get(calls.size() - 1);
    assertThat(dump).contains("-Xshare:dump").contains("-XX:SharedClassListFile=");
    // one archive, keyed to the jar; the lists are gone
    assertThat(cacheFiles()).singleElement().asString().startsWith("cds-").endsWith(".jsa");

    // the image's next run maps it
    Files.delete(tmp.resolve("calls"));
    assertThat(run("sidecar-wait", "counting").get(0))
        .contains("-XX:SharedArchiveFile=" + tmp.resolve("cache").resolve(cacheFiles().get(0)));
  }

  @Test
  void bakeIntoAnotherRoot_isAnOrdinaryRun() throws Exception {
    List<String> calls = run("apply", "--bake", "--root", "/img");
    assertThat(calls).singleElement().asString().contains("-XX:ArchiveClassesAtExit=");
    assertThat(String.join("\n", calls)).doesNotContain("DumpLoadedClassList");
  }

  @Test
  void anOrdinaryApply_makesItsDynamicArchiveAsBefore() throws Exception {
    List<String> calls = run("apply", "--config", "/x.yaml");
    assertThat(calls).singleElement().asString().contains("-XX:ArchiveClassesAtExit=");
    assertThat(cacheFiles()).singleElement().asString().endsWith(".jsa");
  }
}
