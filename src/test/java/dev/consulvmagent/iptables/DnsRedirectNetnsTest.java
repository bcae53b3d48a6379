package dev.consulvmagent.iptables;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.consulvmagent.host.ExecResult;
import dev.consulvmagent.testing.Netns;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * dns.mode iptables without transparent proxy, for real (root only): in a fresh network namespace
 * whose resolv.conf says nameserver 127.0.0.1 and where nothing listens on :53 (a machine without
 * systemd-resolved), the real Consul 1.8.7 answers consul.service.consul through glibc (getent)
 * once our redirect is installed, and not before or after it is removed.
 */
class DnsRedirectNetnsTest {
  private static final String NS = "cva-cr-dns";
  private static final Path CONSUL = Path.of("/usr/bin/consul");
  @TempDir Path root;

  @BeforeAll
  static void rootAndConsul() {
    assumeTrue(Netns.available(), "needs root, ip and iptables");
    if (!Files.isExecutable(CONSUL)) {
      if (System.getenv("CI") != null) fail("CI is set and " + CONSUL + " is missing");
      System.err.println("SKIPPED (real Consul DNS test): " + CONSUL + " is missing");
      assumeTrue(false, CONSUL + " is missing");
    }
  }

  private static ExecResult getent(Netns ns) {
    return ns.exec("getent", "hosts", "consul.service.consul");
  }

  @Test
  void withoutTransparentProxy_consulNamesResolveThroughTheRedirect() throws Exception {
    Path etc = Files.createDirectories(Path.of("/etc/netns", NS));
    Files.writeString(
        etc.resolve("resolv.conf"), "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n");
    Process consul = null;
    try (Netns ns = new Netns(NS)) {
      consul =
          new ProcessBuilder(
                  "ip",
                  "netns",
                  "exec",
                  NS,
                  CONSUL.toString(),
                  "agent",
                  "-dev",
                  "-dns-port=8600",
                  "-node=dns-test")
              .redirectErrorStream(true)
              .redirectOutput(root.resolve("consul.log").toFile())
              .start();
      Iptables ipt = new Iptables(ns.host(root));
      // Consul DNS answers on 8600 once the agent has elected itself and registered "consul"
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
      while (!ns.exec("python3", "-c", PROBE_8600).ok()) {
        if (System.nanoTime() > deadline)
          fail("consul -dev DNS never answered:\n" + Files.readString(root.resolve("consul.log")));
        Thread.sleep(300);
      }
      assertThat(getent(ns).ok()).as("nothing answers 127.0.0.1:53 before the redirect").isFalse();

      DnsRedirect.install(ipt);
      DnsRedirect.install(ipt); // a re-run replaces, never duplicates
      assertThat(ns.natRules().lines().filter(l -> l.startsWith("-A OUTPUT"))).hasSize(2);
      ExecResult r = getent(ns);
      assertThat(r.ok()).as(r.stderr()).isTrue();
      assertThat(r.stdout()).startsWith("127.0.0.1").contains("consul.service.consul");

      ipt.cleanup(); // a sidecar stopping (ExecStopPost cleanup-iptables) leaves DNS alone
      assertThat(getent(ns).ok()).isTrue();

      DnsRedirect.remove(ipt);
      assertThat(ns.natRules()).doesNotContain(DnsRedirect.CHAIN);
      assertThat(getent(ns).ok()).isFalse();
    } finally {
      if (consul != null) {
        consul.destroy();
        if (!consul.waitFor(20, TimeUnit.SECONDS)) consul.destroyForcibly().waitFor();
      }
      Files.deleteIfExists(etc.resolve("resolv.conf"));
      Files.deleteIfExists(etc);
    }
  }

  /** A raw DNS query for consul.service.consul A to 127.0.0.1:8600; exit 0 on an answer. */
  private static final String PROBE_8600 =
      String.join(
          "\n",
          "import socket,struct,sys",
          "q=struct.pack('>HHHHHH',0x1234,0x0100,1,0,0,0)+b''.join(bytes([len(p)])+p.encode() for p"
              + " in 'consul.service.consul'.split('.'))+b'\\0'+struct.pack('>HH',1,1)",
          "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.settimeout(1)",
          "s.sendto(q,('127.0.0.1',8600))",
          "d=s.recv(512);sys.exit(0 if struct.unpack('>H',d[6:8])[0]>0 else 1)");
}
