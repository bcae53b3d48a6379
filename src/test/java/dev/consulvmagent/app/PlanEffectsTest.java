package dev.consulvmagent.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.engine.Notification;
import dev.consulvmagent.host.ExecResult;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.host.HostFs;
import dev.consulvmagent.render.UnitNames;
import dev.consulvmagent.systemd.SystemdNotifier;
import dev.consulvmagent.testing.FakeExec;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** plan says what apply will set in motion, in words; a oneshot that already ran is not one. */
class PlanEffectsTest {
  @TempDir Path root;

  /** A live host (a double: commands answered by FakeExec) whose sidecar-init is active or not. */
  private Host live(boolean sidecarInitActive, FakeExec exec) {
    exec.on(
        "systemctl is-active --quiet consul-sidecar-init.service",
        a -> new ExecResult(a, sidecarInitActive ? 0 : 3, "", ""));
    return Host.of(new HostFs(root, false), exec, true);
  }

  @Test
  void aChangedRegistration_saysConsulReloads_andEnvoyForTheServiceRestarts() {
    List<String> words =
        PlanEffects.words(
            List.of(UnitNames.consulReload(), Notification.restart(UnitNames.envoy("dashboard"))),
            Optional.empty(),
            live(true, new FakeExec()));
    assertThat(words)
        .containsExactly(
            "Consul will re-read its configuration if it runs (consul reload)",
            "Envoy for dashboard will restart if it runs"
                + " (systemctl try-restart envoy@dashboard.service)");
  }

  @Test
  void theAppAndTheDnsRedirect_areNamedAsAPersonWould() {
    assertThat(
            PlanEffects.sentence(
                Notification.restart("counting.service"), Optional.of("counting.service")))
        .startsWith("The app counting will restart");
    assertThat(
            PlanEffects.sentence(
                Notification.start("consul-dns-redirect.service"), Optional.empty()))
        .startsWith("The DNS redirect to Consul (consul-dns-redirect.service) will be enabled");
  }

  @Test
  void startingTheSidecarInitOneshot_isAnEffectOnlyWhenItHasNotRun() {
    Notification start = Notification.start(SystemdNotifier.ONESHOT_SIDECAR_INIT);
    assertThat(PlanEffects.words(List.of(start), Optional.empty(), live(true, new FakeExec())))
        .isEmpty();
    assertThat(PlanEffects.words(List.of(start), Optional.empty(), live(false, new FakeExec())))
        .singleElement()
        .asString()
        .startsWith("consul-sidecar-init (the sidecar's setup) will run");
  }

  @Test
  void apply_skipsStartingTheOneshotThatAlreadyRan_andSaysSo() {
    FakeExec exec = new FakeExec();
    Host host = live(true, exec);
    List<String> lines =
        new SystemdNotifier(host)
            .run(List.of(Notification.start(SystemdNotifier.ONESHOT_SIDECAR_INIT)));
    assertThat(lines)
        .containsExactly("skipped: start consul-sidecar-init.service (a oneshot that already ran)");
    assertThat(exec.ran).noneMatch(a -> a.contains("start") && !a.contains("is-active"));
  }
}
