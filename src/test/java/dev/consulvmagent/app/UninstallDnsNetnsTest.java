package dev.consulvmagent.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.engine.RunResult;
import dev.consulvmagent.host.Exec;
import dev.consulvmagent.host.ExecResult;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.host.HostFs;
import dev.consulvmagent.iptables.DnsRedirect;
import dev.consulvmagent.iptables.Iptables;
import dev.consulvmagent.iptables.RedirectConfig;
import dev.consulvmagent.testing.Netns;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Uninstall on a live host removes our DNS chain CONSUL_VM_DNS and its jumps itself, with the
 * sidecar's chains, in one iptables-restore transaction, whether or not
 * consul-dns-redirect.service's ExecStop ran; Docker's rules and an admin's look-alike stay. Real
 * kernel rules in a fresh network namespace (root only); systemctl is answered by the test (it
 * would reach this machine's systemd, which a network namespace does not separate).
 */
class UninstallDnsNetnsTest {
  private static final String NS = "cva-fu-uninstall";
  @TempDir Path root;

  @BeforeAll
  static void rootOnly() {
    assumeTrue(Netns.available(), "needs root, ip and iptables");
  }

  /** Commands inside the namespace, except systemctl (recorded, answered 0). */
  private static Exec inside(Netns ns, List<List<String>> calls) {
    Exec real = ns.execInside();
    return (argv, timeout, stdin) -> {
      calls.add(argv);
      if (argv.get(0).equals("systemctl")) return new ExecResult(argv, 0, "", "");
      return real.run(argv, timeout, stdin);
    };
  }

  private static void iptables(Netns ns, String... rule) {
    String[] a = new String[rule.length + 3];
    a[0] = "iptables";
    a[1] = "-t";
    a[2] = "nat";
    System.arraycopy(rule, 0, a, 3, rule.length);
    ns.exec(a).check();
  }

  @Test
  void liveUninstall_removesTheDnsChainAndTheSidecarsAtOnce_othersUntouched() {
    try (Netns ns = new Netns(NS)) {
      // Docker's chain and jumps, and an admin's own DNAT of local DNS (not in our chain)
      iptables(ns, "-N", "DOCKER");
      iptables(ns, "-A", "PREROUTING", "-m", "addrtype", "--dst-type", "LOCAL", "-j", "DOCKER");
      iptables(
          ns,
          "-A",
          "OUTPUT",
          "!",
          "-d",
          "127.0.0.0/8",
          "-m",
          "addrtype",
          "--dst-type",
          "LOCAL",
          "-j",
          "DOCKER");
      iptables(
          ns, "-A", "POSTROUTING", "-s", "172.17.0.0/16", "!", "-o", "docker0", "-j", "MASQUERADE");
      iptables(
          ns,
          "-A",
          "OUTPUT",
          "-p",
          "udp",
          "-d",
          "127.0.0.2",
          "--dport",
          "53",
          "-j",
          "DNAT",
          "--to-destination",
          "127.0.0.1:5353");
      String others = ns.natRules();

      List<List<String>> calls = new CopyOnWriteArrayList<>();
      Host host = Host.of(new HostFs(root, false), inside(ns, calls), true);
      Iptables ipt = new Iptables(host);
      ipt.apply(
          new RedirectConfig(
              101,
              21000,
              15001,
              List.of(22),
              List.of(),
              List.of(),
              List.of(998),
              Optional.of("127.0.0.1"),
              8600));
      DnsRedirect.install(ipt);
      assertThat(ns.natRules()).contains(DnsRedirect.CHAIN, "CONSUL_PROXY_OUTPUT", "DOCKER");

      calls.clear();
      Uninstall u = new Uninstall(host, EventSink.NONE);
      RunResult r = u.apply(host, u.plan(host));
      assertThat(r.failed()).as(r.error()).isFalse();
      assertThat(ns.natRules()).isEqualTo(others);
      assertThat(r.actions()).contains("removed our traffic rules");
      // one transaction: one --test and one real restore
      assertThat(calls.stream().filter(c -> c.get(0).equals("iptables-restore"))).hasSize(2);

      // the DNS chain alone (the sidecar's rules gone already, the unit's ExecStop never ran)
      DnsRedirect.install(ipt);
      calls.clear();
      RunResult again = u.apply(host, u.plan(host));
      assertThat(again.failed()).isFalse();
      assertThat(ns.natRules()).isEqualTo(others);
      // nothing of ours left: nothing to restore
      calls.clear();
      assertThat(u.apply(host, u.plan(host)).actions()).contains("no traffic rules to remove");
      assertThat(calls.stream().filter(c -> c.get(0).equals("iptables-restore"))).isEmpty();
    }
  }
}
