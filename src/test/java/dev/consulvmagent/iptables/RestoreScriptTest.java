package dev.consulvmagent.iptables;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RestoreScriptTest {
  static RedirectConfig exampleA() {
    return new RedirectConfig(
        101,
        21000,
        15001,
        List.of(22, 8301, 20200),
        List.of(8300, 8301),
        List.of("169.254.169.254/32"),
        List.of(998),
        Optional.of("127.0.0.1"),
        8600);
  }

  @Test
  void consulCommands_matchReferenceExampleA() {
    List<String> lines =
        ConsulRules.commands(exampleA()).stream()
            .map(c -> "iptables " + String.join(" ", c))
            .toList();
    assertThat(lines)
        .containsExactly(
            "iptables -t nat -N CONSUL_PROXY_INBOUND",
            "iptables -t nat -N CONSUL_PROXY_IN_REDIRECT",
            "iptables -t nat -N CONSUL_PROXY_OUTPUT",
            "iptables -t nat -N CONSUL_PROXY_REDIRECT",
            "iptables -t nat -N CONSUL_DNS_REDIRECT",
            "iptables -t nat -A CONSUL_PROXY_REDIRECT -p tcp -j REDIRECT --to-port 15001",
            "iptables -t nat -A CONSUL_DNS_REDIRECT -p udp -d 127.0.0.1 --dport 53 -j DNAT"
                + " --to-destination 127.0.0.1:8600",
            "iptables -t nat -A CONSUL_DNS_REDIRECT -p tcp -d 127.0.0.1 --dport 53 -j DNAT"
                + " --to-destination 127.0.0.1:8600",
            "iptables -t nat -A OUTPUT -p udp -d 127.0.0.1 --dport 53 -j CONSUL_DNS_REDIRECT",
            "iptables -t nat -A OUTPUT -p tcp -d 127.0.0.1 --dport 53 -j CONSUL_DNS_REDIRECT",
            "iptables -t nat -A OUTPUT -p tcp -j CONSUL_PROXY_OUTPUT",
            "iptables -t nat -A CONSUL_PROXY_OUTPUT -m owner --uid-owner 101 -j RETURN",
            "iptables -t nat -A CONSUL_PROXY_OUTPUT -d 127.0.0.1/32 -j RETURN",
            "iptables -t nat -A CONSUL_PROXY_OUTPUT -j CONSUL_PROXY_REDIRECT",
            "iptables -t nat -I CONSUL_PROXY_OUTPUT -p tcp --dport 8300 -j RETURN",
            "iptables -t nat -I CONSUL_PROXY_OUTPUT -p tcp --dport 8301 -j RETURN",
            "iptables -t nat -I CONSUL_PROXY_OUTPUT -d 169.254.169.254/32 -j RETURN",
            "iptables -t nat -I CONSUL_PROXY_OUTPUT -m owner --uid-owner 998 -j RETURN",
            "iptables -t nat -A CONSUL_PROXY_IN_REDIRECT -p tcp -j REDIRECT --to-port 21000",
            "iptables -t nat -A PREROUTING -p tcp -j CONSUL_PROXY_INBOUND",
            "iptables -t nat -A CONSUL_PROXY_INBOUND -p tcp -j CONSUL_PROXY_IN_REDIRECT",
            "iptables -t nat -I CONSUL_PROXY_INBOUND -p tcp --dport 22 -j RETURN",
            "iptables -t nat -I CONSUL_PROXY_INBOUND -p tcp --dport 8301 -j RETURN",
            "iptables -t nat -I CONSUL_PROXY_INBOUND -p tcp --dport 20200 -j RETURN");
  }

  @Test
  void restore_fresh_declaresChainsAndAddsJumps_rerun_addsNoJumps() {
    String fresh =
        RestoreScript.apply(
            exampleA(), "*nat\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n");
    assertThat(fresh)
        .startsWith("*nat\n:CONSUL_PROXY_INBOUND - [0:0]\n")
        .endsWith("COMMIT\n")
        .contains(
            "-A PREROUTING -p tcp -j CONSUL_PROXY_INBOUND\n",
            "-A OUTPUT -p tcp -j CONSUL_PROXY_OUTPUT\n")
        .doesNotContain(":OUTPUT", ":PREROUTING", "-F", "-D ");
    String saved =
        """
        *nat
        :PREROUTING ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        :CONSUL_DNS_REDIRECT - [0:0]
        :CONSUL_PROXY_INBOUND - [0:0]
        -A PREROUTING -p tcp -j CONSUL_PROXY_INBOUND
        -A OUTPUT -d 127.0.0.1/32 -p udp -m udp --dport 53 -j CONSUL_DNS_REDIRECT
        -A OUTPUT -d 127.0.0.1/32 -p tcp -m tcp --dport 53 -j CONSUL_DNS_REDIRECT
        -A OUTPUT -p tcp -j CONSUL_PROXY_OUTPUT
        COMMIT
        """;
    String rerun = RestoreScript.apply(exampleA(), saved);
    assertThat(rerun).doesNotContain("-A PREROUTING", "-A OUTPUT", "-D ");
  }

  @Test
  void restore_duplicateJumpsFromAnEarlierConsulRun_areCollapsed() {
    String saved =
        "*nat\n"
            + "-A PREROUTING -p tcp -j CONSUL_PROXY_INBOUND\n"
            + "-A PREROUTING -p tcp -j CONSUL_PROXY_INBOUND\n"
            + "-A OUTPUT -p tcp -j CONSUL_PROXY_OUTPUT\n"
            + "COMMIT\n";
    RedirectConfig noDns =
        new RedirectConfig(
            101, 21000, 15001, List.of(), List.of(), List.of(), List.of(), Optional.empty(), 0);
    String s = RestoreScript.apply(noDns, saved);
    assertThat(s)
        .contains(
            "-D PREROUTING -p tcp -j CONSUL_PROXY_INBOUND\n"
                + "-D PREROUTING -p tcp -j CONSUL_PROXY_INBOUND\n"
                + "-D OUTPUT -p tcp -j CONSUL_PROXY_OUTPUT\n"
                + "-A OUTPUT -p tcp -j CONSUL_PROXY_OUTPUT\n"
                + "-A PREROUTING -p tcp -j CONSUL_PROXY_INBOUND\n");
  }

  @Test
  void cleanup_touchesOnlyOurJumpsAndChains() {
    String saved =
        """
        *nat
        :PREROUTING ACCEPT [0:0]
        :DOCKER - [0:0]
        :CONSUL_PROXY_INBOUND - [0:0]
        :CONSUL_PROXY_IN_REDIRECT - [0:0]
        -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
        -A PREROUTING -p tcp -j CONSUL_PROXY_INBOUND
        -A CONSUL_PROXY_INBOUND -p tcp -j CONSUL_PROXY_IN_REDIRECT
        -A DOCKER -i docker0 -j RETURN
        COMMIT
        """;
    assertThat(RestoreScript.cleanup(saved))
        .isEqualTo(
            "*nat\n"
                + ":CONSUL_PROXY_INBOUND - [0:0]\n"
                + ":CONSUL_PROXY_IN_REDIRECT - [0:0]\n"
                + "-D PREROUTING -p tcp -j CONSUL_PROXY_INBOUND\n"
                + "-X CONSUL_PROXY_INBOUND\n"
                + "-X CONSUL_PROXY_IN_REDIRECT\n"
                + "COMMIT\n");
    assertThat(RestoreScript.cleanup("*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n")).isEmpty();
  }

  @Test
  void sshdPorts_parsedFromSs() {
    String ss =
        "LISTEN 0      128          0.0.0.0:2222      0.0.0.0:*    users:((\"sshd\",pid=1,fd=3))\n"
            + "LISTEN 0      128             [::]:22         [::]:*   "
            + " users:((\"sshd\",pid=1,fd=4))\n"
            + "LISTEN 0      4096       127.0.0.1:8500      0.0.0.0:*   "
            + " users:((\"consul\",pid=2,fd=7))\n";
    assertThat(DefaultExclusions.parseSs(ss)).containsExactly(2222, 22);
  }
}
