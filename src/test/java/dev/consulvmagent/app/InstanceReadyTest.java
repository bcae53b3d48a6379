package dev.consulvmagent.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.consulvmagent.engine.Change;
import dev.consulvmagent.engine.Checkpoint;
import dev.consulvmagent.engine.Notification;
import dev.consulvmagent.engine.Outcome;
import dev.consulvmagent.host.ExecResult;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.host.HostFs;
import dev.consulvmagent.render.UnitNames;
import dev.consulvmagent.systemd.SystemdNotifier;
import dev.consulvmagent.testing.FakeExec;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The first boot's ready signal: only under a unit that asked for one; a Consul that waits for it
 * loses this run's moot restarts and reloads (it starts with the config on disk), a running one
 * keeps them; a changed consul.service is loaded before Consul starts; no signal, no run.
 */
class InstanceReadyTest {
  @TempDir Path root;

  static final Map<String, String> UNDER_NOTIFY = Map.of("NOTIFY_SOCKET", "/run/systemd/notify");

  private Host host(FakeExec exec, boolean live) {
    return Host.of(new HostFs(root, false), exec, live);
  }

  private static FakeExec systemd(String consulState, int notifyExit) {
    return new FakeExec()
        .on("systemctl start --no-block", argv -> FakeExec.ok(argv, ""))
        .on("systemctl show", argv -> FakeExec.ok(argv, consulState + "\n"))
        .on("systemctl daemon-reload", argv -> FakeExec.ok(argv, ""))
        .on(
            "systemd-notify",
            argv -> new ExecResult(argv, notifyExit, "", notifyExit == 0 ? "" : "No socket\n"));
  }

  static final Notification RESTART = Notification.restart(UnitNames.CONSUL);
  static final Notification APP = Notification.start("web.service");
  static final Notification ENVOY = Notification.start("envoy@web.service");

  private static LinkedHashSet<Notification> queue() {
    return new LinkedHashSet<>(
        List.of(
            Notification.daemonReload(),
            RESTART,
            UnitNames.consulReload(),
            APP,
            ENVOY,
            Notification.start(UnitNames.CONSUL)));
  }

  private Checkpoint ready(FakeExec exec, boolean live, Map<String, String> env) {
    Host h = host(exec, live);
    return InstanceReady.of(h, env, new SystemdNotifier(h));
  }

  private static Outcome changed(String key) {
    return new Outcome(key, Change.Kind.UPDATE, Outcome.Status.CHANGED, List.of(), "");
  }

  @Test
  void onlyUnderANotifyUnit_onALiveHost() {
    FakeExec exec = systemd("inactive", 0);
    assertThat(ready(exec, true, Map.of())).isSameAs(Checkpoint.NONE);
    assertThat(ready(exec, true, Map.of("NOTIFY_SOCKET", ""))).isSameAs(Checkpoint.NONE);
    assertThat(ready(exec, false, UNDER_NOTIFY)).isSameAs(Checkpoint.NONE);
    assertThat(ready(exec, true, UNDER_NOTIFY)).isNotSameAs(Checkpoint.NONE);
    assertThat(exec.ran).isEmpty();
  }

  @Test
  void consulWaiting_itsRestartsAndReloadsAreMoot_envoyIsQueued_theRestStays_thenTheSignal() {
    FakeExec exec = systemd("inactive", 0);
    var q = queue();
    List<String> lines =
        ready(exec, true, UNDER_NOTIFY)
            .reached(q, List.of(changed("file:/etc/consul.d/consul.json")));
    assertThat(q)
        .containsExactly(Notification.daemonReload(), APP, Notification.start(UnitNames.CONSUL));
    assertThat(exec.ran)
        .containsExactly(
            List.of("systemctl", "show", "--property=ActiveState", "--value", "consul.service"),
            List.of("systemctl", "start", "--no-block", "envoy@web.service"),
            List.of("systemd-notify", "--ready"));
    String moot = " (consul.service was inactive: it starts after this run's ready signal,";
    assertThat(lines)
        .containsExactly(
            "skipped: restart consul.service" + moot + " with its config as written)",
            "skipped: consul reload" + moot + " with its config as written)",
            "start envoy@web.service",
            "told systemd this unit is ready: Consul's and Envoy's settings are written");
  }

  /** Left queued, the try-restart at the end of the run killed the start under way. */
  @Test
  void envoysStart_coversItsQueuedRestartsAndReloads() {
    FakeExec exec = systemd("inactive", 0);
    Notification other = Notification.restart("envoy@other.service");
    var q =
        new LinkedHashSet<>(
            List.of(
                Notification.restart("envoy@web.service"),
                ENVOY,
                Notification.reload("envoy@web.service", List.of("/bin/true")),
                other));
    ready(exec, true, UNDER_NOTIFY).reached(q, List.of());
    assertThat(q).containsExactly(other);
    assertThat(exec.ran)
        .contains(List.of("systemctl", "start", "--no-block", "envoy@web.service"))
        .noneMatch(a -> a.contains("try-restart"));
  }

  @Test
  void consulsOrEnvoysUnitChanged_systemdLoadsItFirst() {
    for (String unit :
        List.of(
            "file:/etc/systemd/system/consul.service.d/limits.conf",
            "file:/etc/systemd/system/consul.service",
            "file:/etc/systemd/system/envoy@.service",
            "file:/etc/systemd/system/envoy@.service.d/before-sidecar-init.conf")) {
      FakeExec exec = systemd("failed", 0);
      var q = queue();
      ready(exec, true, UNDER_NOTIFY).reached(q, List.of(changed(unit)));
      assertThat(q).as(unit).containsExactly(APP, Notification.start(UnitNames.CONSUL));
      assertThat(exec.ran.get(0)).as(unit).isEqualTo(List.of("systemctl", "daemon-reload"));
      assertThat(exec.ran.get(2).get(1)).as(unit).isEqualTo("start");
    }
    // another unit file (the app's): its reload waits for the end of the run
    FakeExec exec = systemd("inactive", 0);
    var q = queue();
    ready(exec, true, UNDER_NOTIFY)
        .reached(q, List.of(changed("file:/etc/systemd/system/web.service")));
    assertThat(q).contains(Notification.daemonReload());
    assertThat(exec.ran).noneMatch(a -> a.contains("daemon-reload"));
  }

  @Test
  void consulRunning_nothingIsDropped() {
    for (String state : List.of("active", "activating", "reloading")) {
      FakeExec exec = systemd(state, 0);
      var q = queue();
      ready(exec, true, UNDER_NOTIFY).reached(q, List.of(changed("file:/etc/consul.d/x.json")));
      assertThat(q)
          .as(state)
          .containsExactlyElementsOf(queue().stream().filter(n -> n != ENVOY).toList());
      assertThat(exec.ran).as(state).hasSize(3);
    }
  }

  @Test
  void noSignal_failsTheRun() {
    FakeExec exec = systemd("inactive", 1);
    Checkpoint c = ready(exec, true, UNDER_NOTIFY);
    assertThatThrownBy(() -> c.reached(queue(), List.of()))
        .hasMessageContaining("systemd-notify --ready exited 1 (No socket)");
  }

  @Test
  void inputPaths() {
    for (String p :
        List.of(
            "/etc/consul.d",
            "/etc/consul.d/tls/ca.pem",
            "/var/lib/consul",
            "/usr/bin/consul",
            "/etc/systemd/system/consul.service",
            "/etc/systemd/system/consul.service.d/x.conf",
            "/usr/bin/envoy",
            "/etc/consul-vm-agent/envoy/web.env",
            "/etc/systemd/system/envoy@.service",
            "/etc/systemd/system/envoy@.service.d/before-sidecar-init.conf",
            "/etc/systemd/system/multi-user.target.wants/envoy@web.service"))
      assertThat(InstanceReady.inputPath(p)).as(p).isTrue();
    for (String p :
        List.of(
            "/etc/consul.dx",
            "/var/lib/consul-vm-agent",
            "/usr/bin/consul-template",
            "/etc/systemd/system/consul-sidecar-init.service",
            "/etc/systemd/system/consul-sidecar-init.service.d/after-envoy.conf",
            "/etc/systemd/system/web.service",
            "/etc/systemd/system/multi-user.target.wants/web.service",
            "/etc/consul-vm-agent/agent.yaml",
            "/usr/bin/envoyx")) assertThat(InstanceReady.inputPath(p)).as(p).isFalse();
  }
}
