package dev.consulvmagent.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.artifact.Artifacts;
import dev.consulvmagent.artifact.Installer;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.host.HostFs;
import dev.consulvmagent.host.ProcessExec;
import dev.consulvmagent.module.Catalog;
import dev.consulvmagent.module.Context;
import dev.consulvmagent.spec.AgentSpec;
import dev.consulvmagent.spec.SpecLoader;
import dev.consulvmagent.testing.Examples;
import dev.consulvmagent.testing.Roots;
import dev.consulvmagent.testing.TestMirror;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The engine alone (no CLI, no app) applies an example's full catalog to a temp root (a --root: not
 * live, real file system and processes, downloads from the local mirror of test doubles), then
 * applies it again: the second plan and apply find nothing to change, and the early downloads of
 * {@link Engine#planForApply} left nothing staged.
 */
class EngineCatalogTest {
  static TestMirror mirror;
  @TempDir Path tmp;

  @BeforeAll
  static void start() {
    mirror = Examples.mirror();
  }

  private static AgentSpec spec(String example) throws Exception {
    String text = Files.readString(Path.of("examples", example + ".yaml"));
    return new SpecLoader()
        .parse(
            (text + "downloads:\n  verify_signatures: false\n").getBytes(StandardCharsets.UTF_8));
  }

  /** spec's catalog, downloading from the test mirror. */
  private static List<Resource> catalog(AgentSpec spec, Host host) {
    Context ctx =
        new Context(
            Artifacts.of(spec, Optional.of(mirror.url())),
            Installer.lazy(EventSink.NONE),
            Optional.empty(),
            host.readOnly());
    return Catalog.resources(spec, ctx);
  }

  private static RunResult applyOnce(AgentSpec spec, Host host) {
    Engine engine = new Engine(EventSink.NONE);
    List<String> recorded = new ArrayList<>();
    ApplyPlan plan = engine.planForApply(catalog(spec, host), host, recorded::addAll);
    return engine.apply(plan, host, n -> List.of(), Instant.now(), recorded::addAll);
  }

  @ParameterizedTest
  @ValueSource(strings = {"consul-server", "dashboard", "counting"})
  void fullCatalogTwice_secondChangesNothing(String example) throws Exception {
    Path root = Roots.forApply(tmp.resolve("root"));
    Host host = Host.of(new HostFs(root, false), new ProcessExec(), false);
    AgentSpec spec = spec(example);

    RunResult first = applyOnce(spec, host);
    assertThat(first.failed()).as(first.error()).isFalse();
    assertThat(first.changed()).isPositive();

    RunResult second = applyOnce(spec, host);
    assertThat(second.failed()).as(second.error()).isFalse();
    assertThat(second.changed())
        .as(
            second.outcomes().stream()
                .filter(o -> o.status() != Outcome.Status.UNCHANGED)
                .toList()
                .toString())
        .isZero();
    assertThat(second.created()).isEmpty();
    // nothing the early downloads staged is left in the cache
    try (var s = Files.walk(root)) {
      assertThat(s.map(Path::toString).filter(p -> p.contains(".tmp")).toList()).isEmpty();
    }
  }

  /**
   * What the early downloads may create reaches the ownership ledger in one write (the ledger is
   * written durably: an fsync each), before the first of them asks the mirror for anything.
   */
  @Test
  void earlyDownloads_recordWhatTheyMayCreate_inOneWrite_beforeAnyStarts() throws Exception {
    Path root = Roots.forApply(tmp.resolve("root"));
    Host host = Host.of(new HostFs(root, false), new ProcessExec(), false);
    AgentSpec spec = spec("dashboard");
    List<List<String>> writes = new ArrayList<>();
    List<Integer> requestsThen = new ArrayList<>();
    int before = mirror.requests.size();
    ApplyPlan plan =
        new Engine(EventSink.NONE)
            .planForApply(
                catalog(spec, host),
                host,
                paths -> {
                  writes.add(List.copyOf(paths));
                  requestsThen.add(mirror.requests.size() - before);
                });
    plan.preparations().joinAll(plan.planned(), host);
    assertThat(writes).hasSize(1);
    assertThat(writes.get(0))
        .contains("/usr/bin/consul", "/usr/bin/envoy", "/usr/local/bin/dashboard-service")
        .doesNotHaveDuplicates();
    assertThat(requestsThen).containsExactly(0);
    assertThat(mirror.requests.size()).isGreaterThan(before); // and then they did download
    plan.preparations().discard();
  }
}
