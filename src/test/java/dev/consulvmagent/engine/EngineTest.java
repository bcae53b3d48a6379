package dev.consulvmagent.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.host.Host;
import dev.consulvmagent.render.UnitNames;
import dev.consulvmagent.testing.RecordingHost;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EngineTest {
  @Test
  void notifications_daemonReloadFirst_startSupersedesRestart_restartSupersedesReload() {
    var q =
        new LinkedHashSet<>(
            List.of(
                Notification.restart("consul.service"),
                UnitNames.consulReload(),
                Notification.restart("app.service"),
                Notification.daemonReload(),
                Notification.start("consul.service"),
                Notification.restart("envoy@web.service")));
    assertThat(Engine.orderNotifications(q))
        .containsExactly(
            Notification.daemonReload(),
            Notification.restart("app.service"),
            Notification.start("consul.service"),
            Notification.restart("envoy@web.service"));
  }

  @Test
  void notifications_configOnlyChange_isAReload() {
    var q =
        new LinkedHashSet<>(
            List.of(UnitNames.consulReload(), Notification.restart("envoy@web.service")));
    assertThat(Engine.orderNotifications(q))
        .containsExactly(UnitNames.consulReload(), Notification.restart("envoy@web.service"));
  }

  @Test
  void notifications_aRestartSupersedesTheReloadOfThatUnitOnly_whateverTheProgram() {
    Notification reloadA = Notification.reload("a.service", List.of("/usr/sbin/a-ctl", "reload"));
    Notification reloadB = Notification.reload("b.service", List.of("/usr/sbin/b-ctl", "reload"));
    var q = new LinkedHashSet<>(List.of(reloadA, reloadB, Notification.restart("a.service")));
    assertThat(Engine.orderNotifications(q))
        .containsExactly(reloadB, Notification.restart("a.service"));
    assertThat(reloadB.describe()).isEqualTo("b-ctl reload");
  }

  /** A kill between creating and recording must not lose ownership: recording comes first. */
  @Test
  void pathsAndUsersARunMayCreate_areReportedBeforeAnythingIsCreated(@TempDir Path root) {
    var host = new RecordingHost(root, (argv, t, in) -> null);
    List<String> recorded = new ArrayList<>();
    Resource r =
        new Resource() {
          @Override
          public ResourceKey key() {
            return ResourceKey.user("demo");
          }

          @Override
          public State desired() {
            return State.of(Map.of("user", "demo"));
          }

          @Override
          public Observed observe(Host h) {
            return h.fs().exists("/etc/demo/x") ? Observed.present(desired()) : Observed.absent();
          }

          @Override
          public Optional<String> path() {
            return Optional.of("/etc/demo/x");
          }

          @Override
          public void converge(Host h, Observed o) {
            assertThat(recorded)
                .as("recorded before converge")
                .contains("/etc", "/etc/demo", "/etc/demo/x", "user:demo");
            h.fs().writeAtomic("/etc/demo/x", new byte[0], 0644, -1, -1);
          }
        };
    Engine e = new Engine(EventSink.NONE);
    RunResult res =
        e.apply(e.plan(List.of(r), host), host, n -> List.of(), Instant.now(), recorded::addAll);
    assertThat(res.failed()).as(res.error()).isFalse();
    assertThat(res.created()).contains("/etc", "/etc/demo", "/etc/demo/x", "user:demo");
  }
}
