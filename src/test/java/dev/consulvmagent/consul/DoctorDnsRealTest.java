package dev.consulvmagent.consul;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.consulvmagent.app.Doctor;
import dev.consulvmagent.spec.DnsSpec;
import dev.consulvmagent.testing.RealConsul;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #12 item 15: `status`'s dns check against a REAL Consul 1.8.7's DNS interface. Healthy
 * where the machine's resolver reaches Consul DNS; where it truly does not, the hint fits the
 * machine (resolvectl only where systemd-resolved runs).
 */
class DoctorDnsRealTest {
  @TempDir static Path tmp;
  static RealConsul agent;
  static Optional<InetSocketAddress> dns;

  @BeforeAll
  static void start() {
    agent = RealConsul.dev(tmp, d -> {}).awaitLeader();
    dns = Doctor.consulDnsAddress(agent.api().self());
    // a leader is not yet the "consul" service in the catalog (seen: NXDOMAIN right after the
    // leader is known, on a loaded machine): wait for the name itself, with a deadline
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      try {
        forwarding().resolve("consul.service.consul");
        return;
      } catch (IOException e) {
        if (System.nanoTime() > deadline)
          throw new IllegalStateException("Consul DNS never answered", e);
        try {
          Thread.sleep(100);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(ie);
        }
      }
    }
  }

  @AfterAll
  static void stop() {
    if (agent != null) agent.close();
  }

  /** A resolver that forwards *.consul to Consul DNS, as systemd-resolved's ~consul domain does. */
  static ConsulDns.Lookup forwarding() {
    return ConsulDns.at(dns.orElseThrow(), Duration.ofSeconds(2));
  }

  /** A resolver that does not know *.consul (the answer a plain upstream nameserver gives). */
  static ConsulDns.Lookup notForwarding() {
    return name -> {
      throw new UnknownHostException(name + ": Name or service not known");
    };
  }

  @Test
  void theAgentSaysWhereItsDnsListens() {
    assertThat(dns).contains(new InetSocketAddress("127.0.0.1", agent.ports().dns()));
  }

  @Test
  void realConsulDns_answersConsulServiceConsul() throws IOException {
    // a -dev server registers itself as the "consul" service
    assertThat(forwarding().resolve("consul.service.consul")).isEqualTo("127.0.0.1");
    assertThat(forwarding().resolve("dev-1.node.consul")).isEqualTo("127.0.0.1");
  }

  @Test
  void whereTheResolverReachesConsulDns_itIsHealthy() {
    for (DnsSpec.Mode mode : List.of(DnsSpec.Mode.RESOLVED, DnsSpec.Mode.IPTABLES)) {
      Doctor.Check c =
          Doctor.dnsCheck(
              dns, forwarding(), mode, mode == DnsSpec.Mode.RESOLVED, List.of("127.0.0.53"), "web");
      assertThat(c.verdict()).isEqualTo(Doctor.Verdict.OK);
      assertThat(c.detail()).isEqualTo("consul.service.consul → 127.0.0.1");
      assertThat(Doctor.exitCode(List.of(c))).isZero();
    }
  }

  @Test
  void noSystemdResolved_theHintNamesResolvConfAndTheRedirect_notResolvectl() {
    Doctor.Check c =
        Doctor.dnsCheck(
            dns, notForwarding(), DnsSpec.Mode.IPTABLES, false, List.of("10.255.255.53"), "web");
    assertThat(c.verdict()).isEqualTo(Doctor.Verdict.WARN);
    assertThat(c.detail())
        .contains("answers consul.service.consul → 127.0.0.1, but this machine's resolver does not")
        .contains("no systemd-resolved");
    assertThat(c.hint())
        .doesNotContain("resolvectl")
        .contains("nameserver 10.255.255.53")
        .contains("127.0.0.1 first")
        .contains("systemctl status consul-dns-redirect.service")
        .contains("iptables -t nat -S CONSUL_VM_DNS");
  }

  @Test
  void thisMachinesOwnResolver_withoutSystemdResolved() throws IOException {
    // the machine the test runs on: where it has no systemd-resolved and does not resolve *.consul
    assumeTrue(
        !Files.exists(Path.of("/run/systemd/resolve/stub-resolv.conf")),
        "this machine runs systemd-resolved");
    boolean resolves;
    try {
      ConsulDns.system().resolve("consul.service.consul");
      resolves = true;
    } catch (IOException e) {
      resolves = false;
    }
    assumeTrue(!resolves, "this machine resolves consul.service.consul");
    Doctor.Check c =
        Doctor.dnsCheck(
            dns, ConsulDns.system(), DnsSpec.Mode.IPTABLES, false, List.of("192.0.2.53"), "web");
    assertThat(c.verdict()).isEqualTo(Doctor.Verdict.WARN);
    assertThat(c.hint()).doesNotContain("resolvectl");
  }

  @Test
  void systemdResolvedRunning_theHintIsResolvectl() {
    Doctor.Check c =
        Doctor.dnsCheck(
            dns, notForwarding(), DnsSpec.Mode.RESOLVED, true, List.of("127.0.0.53"), "web");
    assertThat(c.verdict()).isEqualTo(Doctor.Verdict.WARN);
    assertThat(c.hint()).startsWith("resolvectl status; resolvectl query consul.service.consul");
  }

  @Test
  void resolvedModeButNotRunning_saysSo() {
    Doctor.Check c =
        Doctor.dnsCheck(
            dns, notForwarding(), DnsSpec.Mode.RESOLVED, false, List.of("10.0.0.2"), "web");
    assertThat(c.detail()).contains("systemd-resolved is not running");
    assertThat(c.hint()).doesNotContain("resolvectl").contains("systemctl status systemd-resolved");
  }

  @Test
  void dnsModeNone_isNotDegraded() {
    Doctor.Check c =
        Doctor.dnsCheck(dns, notForwarding(), DnsSpec.Mode.NONE, false, List.of("10.0.0.2"), "web");
    assertThat(c.verdict()).isEqualTo(Doctor.Verdict.OK);
    assertThat(c.detail()).contains("dns.mode none");
  }

  @Test
  void consulDnsNotAnswering_fails(@TempDir Path dir) {
    RealConsul.Listeners nobody = RealConsul.reserve();
    Doctor.Check c =
        Doctor.dnsCheck(
            Optional.of(new InetSocketAddress("127.0.0.1", nobody.dns())),
            forwarding(),
            DnsSpec.Mode.IPTABLES,
            false,
            List.of(),
            "web");
    assertThat(c.verdict()).isEqualTo(Doctor.Verdict.FAIL);
    assertThat(c.detail()).contains("does not answer consul.service.consul");
    assertThat(c.hint()).contains("journalctl -u consul");
  }

  @Test
  void consulDnsTurnedOff_isNamed(@TempDir Path dir) {
    try (RealConsul off = RealConsul.dev(dir, List.of("-dns-port=-1"), d -> {})) {
      // 1.8.7: with the DNS port -1 the agent lists no DNS address in DebugConfig.DNSAddrs
      Optional<InetSocketAddress> none = Doctor.consulDnsAddress(off.api().self());
      assertThat(none).isEmpty();
      Doctor.Check c =
          Doctor.dnsCheck(none, forwarding(), DnsSpec.Mode.IPTABLES, false, List.of(), "web");
      assertThat(c.verdict()).isEqualTo(Doctor.Verdict.WARN);
      assertThat(c.detail()).contains("ports.dns");
    }
  }
}
