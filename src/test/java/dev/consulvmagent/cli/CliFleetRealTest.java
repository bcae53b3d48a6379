package dev.consulvmagent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.testing.Examples;
import dev.consulvmagent.testing.RealConsul;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fleet commands end to end through Main, against a REAL Consul 1.8.7 (-dev). */
class CliFleetRealTest {
  @TempDir static Path tmp;
  static RealConsul agent;

  @BeforeAll
  static void start() {
    agent = RealConsul.dev(tmp, c -> {});
    agent.awaitLeader();
  }

  @AfterAll
  static void stop() {
    if (agent != null) agent.close();
  }

  record Run(int code, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
    return new Run(code, out.toString(), err.toString());
  }

  static Path file(String name, String text) throws Exception {
    Path p = tmp.resolve(name);
    Files.writeString(p, text);
    return p;
  }

  @Test
  void pushStatusPauseResumePromoteRollback_andTheirExitCodes() throws Exception {
    String addr = "-http-addr=" + agent.httpAddr();
    Path ok = file("ok.yaml", "dns:\n  mode: none\n");
    Run push = run("fleet", "push", "--group", "web", addr, "--max-parallel", "3", ok.toString());
    assertThat(push.code()).as(push.err()).isZero();
    assertThat(push.out()).contains("group web: revision 1 pushed");

    // a push based on revision 0 while 1 is in place: someone pushed first, exit 6
    Run stale = run("fleet", "push", "--group", "web", addr, "--base", "0", ok.toString());
    assertThat(stale.code()).isEqualTo(6);
    assertThat(stale.err()).contains("someone pushed first");

    // forbidden keys and a bad policy: exit 3, nothing pushed
    Path bad = file("bad.yaml", "consul:\n  role: server\n");
    Run invalid = run("fleet", "push", "--group", "web", addr, bad.toString());
    assertThat(invalid.code()).isEqualTo(3);
    assertThat(invalid.err()).contains("overlay.consul.role").contains("Nothing was changed");
    Run policy =
        run("fleet", "push", "--group", "web", addr, "--min-healthy-time", "10m", ok.toString());
    assertThat(policy.code()).isEqualTo(3);
    assertThat(policy.err()).contains("min_healthy_time must be less than healthy_deadline");
    Path cfg = file("vm.yaml", Files.readString(Path.of("examples/dashboard.yaml")));
    Path breaks = file("breaks.yaml", "dns:\n  mode: pigeon\n");
    Run against =
        run(
            "fleet",
            "push",
            "--group",
            "web",
            addr,
            "--validate-against",
            cfg.toString(),
            breaks.toString());
    assertThat(against.code()).isEqualTo(3);
    assertThat(against.err()).contains("dns.mode");

    Run status = run("fleet", "status", "--group", "web", addr, "-o", "json");
    assertThat(status.code()).isZero();
    assertThat(status.out()).contains("\"revision\" : 1").contains("\"max_parallel\" : 3");

    assertThat(run("fleet", "pause", "--group", "web", addr).code()).isZero();
    assertThat(run("fleet", "status", addr).out()).contains("group web: revision 1, PAUSED");
    assertThat(run("fleet", "resume", "--group", "web", addr).code()).isZero();
    assertThat(run("fleet", "status", addr).out()).doesNotContain("PAUSED");
    Run promote = run("fleet", "promote", "--group", "web", addr);
    assertThat(promote.out()).contains("revision 1 promoted");

    assertThat(
            run(
                    "fleet",
                    "push",
                    "--group",
                    "web",
                    addr,
                    file("two.yaml", "dns: {mode: auto}\n").toString())
                .code())
        .isZero();
    Run back = run("fleet", "rollback", "--group", "web", addr);
    assertThat(back.code()).as(back.err()).isZero();
    assertThat(back.out()).contains("rolled back as revision 3");
    assertThat(run("fleet", "status", "--group", "web", addr, "-o", "json").out())
        .contains("mode: none");

    // usage and a Consul that is not there
    assertThat(run("fleet", "push", addr, ok.toString()).code()).isEqualTo(2); // no --group
    assertThat(run("fleet", "push", "--group", "../x", addr, ok.toString()).code()).isEqualTo(3);
    assertThat(run("fleet", "status", "-http-addr=ftp://x:1").code()).isEqualTo(2);
    Run down = run("fleet", "status", "-http-addr=127.0.0.1:1");
    assertThat(down.code()).isEqualTo(1);
    assertThat(down.err()).contains("127.0.0.1:1");
  }

  @Test
  void aclPrintsTheRulesFleetAclRealTestChecks() {
    Run w = run("fleet", "acl", "--group", "web", "--node", "vm-1");
    assertThat(w.code()).isZero();
    assertThat(w.out())
        .contains("key \"consul-vm-agent/groups/web/nodes/vm-1\" { policy = \"write\" }")
        .contains("session \"vm-1\" { policy = \"write\" }");
    assertThat(run("fleet", "acl", "--group", "web").out())
        .isEqualTo("key_prefix \"consul-vm-agent/groups/web/\" { policy = \"write\" }\n");
    assertThat(run("fleet", "acl", "--group", "web", "--node", "a/b").code()).isEqualTo(3);
  }

  @Test
  void watch_withoutAFleetBlock_isAConfigError() throws Exception {
    Path cfg =
        file(
            "nofleet.yaml",
            Files.readString(Path.of("examples/dashboard.yaml")) + Examples.INSECURE);
    Run r = run("watch", "--config", cfg.toString(), "-http-addr=" + agent.httpAddr());
    assertThat(r.code()).isEqualTo(3);
    assertThat(r.err()).contains("fleet");
  }

  @Test
  void plan_withAFleetBlock_installsAndEnablesTheWatchUnit() throws Exception {
    Path cfg =
        file(
            "fleet.yaml",
            Files.readString(Path.of("examples/dashboard.yaml"))
                + Examples.INSECURE
                + "fleet:\n  group: dashboard\n");
    Path root = Files.createDirectories(tmp.resolve("root"));
    Run r = run("plan", "--root", root.toString(), "--config", cfg.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("/etc/systemd/system/consul-vm-agent-watch.service")
        .contains("multi-user.target.wants/consul-vm-agent-watch.service");
  }
}
