package dev.consulvmagent.iptables;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.consulvmagent.testing.Netns;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real TCP through the rules, between two namespaces on 192.0.2.0/24: "vm" (192.0.2.2) runs the
 * rules and listeners standing in for Envoy's outbound (15001) and inbound (21000) listeners, the
 * app (9002) and sshd (22); "peer" (192.0.2.1) runs a server on 8080 and sends inbound traffic.
 */
@Tag("root")
class TrafficNetnsTest {
  static Netns vm;
  static Netns peer;
  static final List<Process> listeners = new ArrayList<>();
  static final int PROXY_UID = 1101;
  static final int USER_UID = 1102;

  @BeforeAll
  static void network(@TempDir Path root) throws Exception {
    assumeTrue(Netns.available(), "needs root, ip and iptables");
    vm = new Netns("cva-vm");
    peer = new Netns("cva-peer");
    Netns.run("ip", "link", "del", "cva-veth0");
    Netns.check(
        "ip",
        "link",
        "add",
        "cva-veth0",
        "netns",
        vm.name,
        "type",
        "veth",
        "peer",
        "name",
        "cva-veth1",
        "netns",
        peer.name);
    vm.exec("ip", "addr", "add", "192.0.2.2/24", "dev", "cva-veth0").check();
    vm.exec("ip", "link", "set", "cva-veth0", "up").check();
    peer.exec("ip", "addr", "add", "192.0.2.1/24", "dev", "cva-veth1").check();
    peer.exec("ip", "link", "set", "cva-veth1", "up").check();
    listen(vm, 15001, "envoy-outbound");
    listen(vm, 21000, "envoy-inbound");
    listen(vm, 9002, "app");
    listen(vm, 22, "sshd");
    listen(peer, 8080, "peer-server");
    listen(vm, 8080, "vm-local-8080");
    RedirectConfig c =
        new RedirectConfig(
            PROXY_UID,
            21000,
            15001,
            List.of(),
            List.of(),
            List.of(),
            List.of(),
            Optional.empty(),
            0);
    new Iptables(vm.host(root)).apply(DefaultExclusions.add(c, Set.of(22), null));
  }

  @AfterAll
  static void down() {
    listeners.forEach(Process::destroyForcibly);
    if (vm != null) vm.close();
    if (peer != null) peer.close();
  }

  private static void listen(Netns ns, int port, String name) throws IOException {
    Process p =
        new ProcessBuilder(java(ns, 0, "listen", String.valueOf(port), name))
            .redirectErrorStream(true)
            .start();
    listeners.add(p);
    String first =
        new String(p.getInputStream().readNBytes("listening".length()), StandardCharsets.UTF_8);
    assertThat(first).isEqualTo("listening");
  }

  private static List<String> java(Netns ns, int uid, String... args) {
    List<String> a = new ArrayList<>(List.of("ip", "netns", "exec", ns.name));
    if (uid != 0)
      a.addAll(List.of("setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups"));
    a.addAll(
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp",
            System.getProperty("java.class.path"),
            "dev.consulvmagent.testing.TcpProbe"));
    a.addAll(List.of(args));
    return a;
  }

  private static String connect(Netns ns, int uid, String host, int port) throws Exception {
    Process p =
        new ProcessBuilder(java(ns, uid, "connect", host, String.valueOf(port)))
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    return out;
  }

  @Test
  void outbound_ofAnOrdinaryUser_isRedirectedToEnvoysOutboundListener() throws Exception {
    assertThat(connect(vm, USER_UID, "192.0.2.1", 8080)).isEqualTo("envoy-outbound");
  }

  @Test
  void outbound_ofTheProxyUid_goesDirect() throws Exception {
    assertThat(connect(vm, PROXY_UID, "192.0.2.1", 8080)).isEqualTo("peer-server");
  }

  @Test
  void outbound_toLoopback_goesDirect() throws Exception {
    assertThat(connect(vm, USER_UID, "127.0.0.1", 8080)).isEqualTo("vm-local-8080");
  }

  @Test
  void inbound_toTheAppPort_landsOnEnvoysInboundListener() throws Exception {
    assertThat(connect(peer, 0, "192.0.2.2", 9002)).isEqualTo("envoy-inbound");
  }

  @Test
  void inbound_ssh_isNeverRedirected() throws Exception {
    assertThat(connect(peer, 0, "192.0.2.2", 22)).isEqualTo("sshd");
  }
}
