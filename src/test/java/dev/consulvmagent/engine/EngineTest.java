package dev.consulvmagent.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class EngineTest {
  @Test
  void notifications_daemonReloadFirst_startSupersedesRestart_restartSupersedesReload() {
    var q = new LinkedHashSet<>(List.of(Notification.restart("consul.service"), Notification.consulReload(),
        Notification.restart("app.service"), Notification.daemonReload(), Notification.start("consul.service"),
        Notification.restart("envoy@web.service")));
    assertThat(Engine.orderNotifications(q)).containsExactly(Notification.daemonReload(), Notification.restart("app.service"),
        Notification.start("consul.service"), Notification.restart("envoy@web.service"));
  }

  @Test
  void notifications_configOnlyChange_isAReload() {
    var q = new LinkedHashSet<>(List.of(Notification.consulReload(), Notification.restart("envoy@web.service")));
    assertThat(Engine.orderNotifications(q)).containsExactly(Notification.consulReload(), Notification.restart("envoy@web.service"));
  }

  @Test
  void notifications_aRestartSupersedesTheReloadOfThatUnitOnly_whateverTheProgram() {
    Notification reloadA = Notification.reload("a.service", List.of("/usr/sbin/a-ctl", "reload"));
    Notification reloadB = Notification.reload("b.service", List.of("/usr/sbin/b-ctl", "reload"));
    var q = new LinkedHashSet<>(List.of(reloadA, reloadB, Notification.restart("a.service")));
    assertThat(Engine.orderNotifications(q)).containsExactly(reloadB, Notification.restart("a.service"));
    assertThat(reloadB.describe()).isEqualTo("b-ctl reload");
  }
}
