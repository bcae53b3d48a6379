package dev.consulvmagent.systemd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.consulvmagent.engine.Notification;
import dev.consulvmagent.host.ExecException;
import dev.consulvmagent.host.ExecResult;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.host.HostFs;
import dev.consulvmagent.testing.FakeExec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A failed blocking start: systemctl only says "See journalctl -xeu UNIT" (its words as the agent's
 * CI log recorded them for consul-dns-redirect.service), so for our own units and Consul's the
 * error carries the unit's last journal lines; an application unit's journal is never copied (it
 * may log anything, secrets included).
 */
class SystemdNotifierStartTest {
  @TempDir Path root;

  static final String SYSTEMCTL_SAYS =
      "Job for UNIT failed because the control process exited with error code.\n"
          + "See \"systemctl status UNIT\" and \"journalctl -xeu UNIT\" for details.\n";

  SystemdNotifier notifier(List<List<String>> ran, String journal) {
    FakeExec exec =
        new FakeExec()
            .on(
                "systemctl start",
                argv -> {
                  ran.add(argv);
                  return new ExecResult(argv, 1, "", SYSTEMCTL_SAYS.replace("UNIT", argv.get(2)));
                })
            .on(
                "journalctl",
                argv -> {
                  ran.add(argv);
                  return FakeExec.ok(argv, journal);
                });
    return new SystemdNotifier(Host.of(new HostFs(root, false), exec, true));
  }

  @Test
  void ourUnitFailsToStart_theErrorHoldsItsJournal() {
    List<List<String>> ran = new ArrayList<>();
    SystemdNotifier n = notifier(ran, "iptables-restore: line 3 failed\nexit 1\n");
    RuntimeException e =
        assertThrows(
            SystemdNotifier.UnitStartFailed.class,
            () -> n.run(List.of(Notification.start("consul-dns-redirect.service"))));
    assertTrue(e.getMessage().startsWith("systemctl start consul-dns-redirect.service exited 1"));
    assertTrue(
        e.getMessage().contains("\n  iptables-restore: line 3 failed\n  exit 1"), e.getMessage());
    assertEquals(
        List.of(
            "journalctl",
            "-b",
            "--no-pager",
            "-o",
            "cat",
            "-n",
            "12",
            "-u",
            "consul-dns-redirect.service"),
        ran.get(1));
  }

  @Test
  void anApplicationUnitFailsToStart_itsJournalIsNotRead() {
    List<List<String>> ran = new ArrayList<>();
    SystemdNotifier n = notifier(ran, "password=hunter2\n");
    ExecException e =
        assertThrows(
            ExecException.class, () -> n.run(List.of(Notification.start("counting.service"))));
    assertFalse(e.getMessage().contains("hunter2"));
    assertEquals(1, ran.size(), ran.toString());
  }

  @Test
  void anApplicationNamedLikeConsul_itsJournalIsNotRead() {
    // Validators.appName accepts consul-template and consul-exporter: a prefix is not ours
    for (String app : List.of("consul-template.service", "consul-exporter.service")) {
      List<List<String>> ran = new ArrayList<>();
      SystemdNotifier n = notifier(ran, "token=hunter2\n");
      ExecException e =
          assertThrows(ExecException.class, () -> n.run(List.of(Notification.start(app))));
      assertFalse(e.getMessage().contains("hunter2"));
      assertEquals(1, ran.size(), ran.toString());
    }
  }

  @Test
  void anEmptyJournal_leavesSystemctlsOwnWords() {
    List<List<String>> ran = new ArrayList<>();
    SystemdNotifier n = notifier(ran, "");
    ExecException e =
        assertThrows(
            ExecException.class, () -> n.run(List.of(Notification.start("consul.service"))));
    assertTrue(e.getMessage().contains("journalctl -xeu consul.service"), e.getMessage());
  }
}
