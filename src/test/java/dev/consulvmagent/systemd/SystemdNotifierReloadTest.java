package dev.consulvmagent.systemd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.consulvmagent.host.ExecException;
import dev.consulvmagent.host.ExecResult;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.host.HostFs;
import dev.consulvmagent.render.UnitNames;
import dev.consulvmagent.testing.FakeExec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `consul reload` under ACL default deny: the real 1.8.7 CLI on a secure client (no agent:write
 * token) prints "Error reloading: Unexpected response code: 403 (Permission denied)" and exits 1
 * (seen in scripts/e2e real-consul, the agent's last-run.json); the notifier then reloads Consul by
 * SIGHUP. Any other failure of `consul reload` (a rejected config) still fails the run.
 */
class SystemdNotifierReloadTest {
  @TempDir Path root;

  SystemdNotifier notifier(List<List<String>> ran, int code, String err) {
    FakeExec exec =
        new FakeExec()
            .on("systemctl is-active --quiet consul.service", argv -> FakeExec.ok(argv, ""))
            .on(
                "/usr/bin/consul reload",
                argv -> {
                  ran.add(argv);
                  return new ExecResult(argv, code, "", err);
                })
            .on(
                "systemctl kill",
                argv -> {
                  ran.add(argv);
                  return FakeExec.ok(argv, "");
                });
    return new SystemdNotifier(Host.of(new HostFs(root, false), exec, true));
  }

  @Test
  void aPermissionDeniedReload_isDoneBySighup() {
    List<List<String>> ran = new ArrayList<>();
    List<String> lines =
        notifier(ran, 1, "Error reloading: Unexpected response code: 403 (Permission denied)\n")
            .run(List.of(UnitNames.consulReload()));
    assertEquals(
        List.of(
            List.of("/usr/bin/consul", "reload"),
            List.of("systemctl", "kill", "--signal=HUP", "--kill-who=main", "consul.service")),
        ran);
    assertTrue(lines.get(0).startsWith("consul reload (403"), lines.toString());
  }

  @Test
  void aReloadRefusedInTheLegacyAclWindow_isDoneBySighup() {
    // CI's e2e-cloud, a client just after its join: the CLI's words
    List<List<String>> ran = new ArrayList<>();
    notifier(ran, 1, "Error reloading: Unexpected response code: 403 (ACL not found)\n")
        .run(List.of(UnitNames.consulReload()));
    assertEquals(
        List.of(
            List.of("/usr/bin/consul", "reload"),
            List.of("systemctl", "kill", "--signal=HUP", "--kill-who=main", "consul.service")),
        ran);
  }

  @Test
  void anyOtherReloadFailure_failsTheRun() {
    List<List<String>> ran = new ArrayList<>();
    SystemdNotifier n =
        notifier(ran, 1, "Error reloading: Unexpected response code: 500 (Failed reloading)\n");
    assertThrows(ExecException.class, () -> n.run(List.of(UnitNames.consulReload())));
    assertEquals(List.of(List.of("/usr/bin/consul", "reload")), ran);
  }

  @Test
  void aSuccessfulReload_sendsNoSignal() {
    List<List<String>> ran = new ArrayList<>();
    notifier(ran, 0, "").run(List.of(UnitNames.consulReload()));
    assertEquals(List.of(List.of("/usr/bin/consul", "reload")), ran);
  }
}
