package dev.consulvmagent.iptables;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DnsRedirectTest {
  private static final String INSTALLED =
      """
      *nat
      :OUTPUT ACCEPT [0:0]
      :CONSUL_VM_DNS - [0:0]
      -A OUTPUT -d 127.0.0.1/32 -p udp -m udp --dport 53 -j CONSUL_VM_DNS
      -A OUTPUT -d 127.0.0.1/32 -p tcp -m tcp --dport 53 -j CONSUL_VM_DNS
      -A CONSUL_VM_DNS -d 127.0.0.1/32 -p udp -m udp --dport 53 -j DNAT --to-destination 127.0.0.1:8600
      -A CONSUL_VM_DNS -d 127.0.0.1/32 -p tcp -m tcp --dport 53 -j DNAT --to-destination 127.0.0.1:8600
      COMMIT
      """;

  @Test
  void apply_onAnEmptyTable_addsChainRulesAndJumps() {
    assertThat(DnsRedirect.apply(""))
        .isEqualTo(
            """
            *nat
            :CONSUL_VM_DNS - [0:0]
            -A CONSUL_VM_DNS -p udp -d 127.0.0.1/32 --dport 53 -j DNAT --to-destination 127.0.0.1:8600
            -A CONSUL_VM_DNS -p tcp -d 127.0.0.1/32 --dport 53 -j DNAT --to-destination 127.0.0.1:8600
            -A OUTPUT -p udp -d 127.0.0.1/32 --dport 53 -j CONSUL_VM_DNS
            -A OUTPUT -p tcp -d 127.0.0.1/32 --dport 53 -j CONSUL_VM_DNS
            COMMIT
            """);
  }

  @Test
  void apply_whenInstalled_refillsTheChain_andAddsNoSecondJump() {
    assertThat(DnsRedirect.apply(INSTALLED))
        .doesNotContain("-A OUTPUT")
        .doesNotContain("-D OUTPUT");
  }

  @Test
  void cleanup_removesOnlyOurs_andNothingWhenAbsent() {
    assertThat(DnsRedirect.cleanup(INSTALLED))
        .contains(
            "-D OUTPUT -d 127.0.0.1/32 -p udp -m udp --dport 53 -j CONSUL_VM_DNS",
            "-X CONSUL_VM_DNS");
    assertThat(DnsRedirect.cleanup("*nat\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n")).isEmpty();
  }

  @Test
  void theSidecarsRulesAndCleanup_neverTouchOurChain() {
    assertThat(ConsulRules.CHAINS).doesNotContain(DnsRedirect.CHAIN);
    String sidecar =
        RestoreScript.apply(
            new RedirectConfig(
                101,
                21000,
                15001,
                List.of(),
                List.of(),
                List.of(),
                List.of(),
                Optional.of("127.0.0.1"),
                8600),
            INSTALLED);
    assertThat(sidecar).doesNotContain(DnsRedirect.CHAIN);
    assertThat(RestoreScript.cleanup(INSTALLED)).doesNotContain(DnsRedirect.CHAIN);
  }

  @Test
  void cleanupAll_isOneTransaction_withTheSidecarsChainsAndOurs() {
    String save =
        INSTALLED.replace(
            "COMMIT\n",
            ":CONSUL_PROXY_OUTPUT - [0:0]\n"
                + "-A OUTPUT -p tcp -j CONSUL_PROXY_OUTPUT\n-A OUTPUT -p tcp -j DOCKER\nCOMMIT\n");
    String s = DnsRedirect.cleanupAll(save);
    assertThat(s)
        .startsWith("*nat\n")
        .endsWith("COMMIT\n")
        .contains(
            "-X CONSUL_PROXY_OUTPUT\n",
            "-X CONSUL_VM_DNS\n",
            "-D OUTPUT -p tcp -j CONSUL_PROXY_OUTPUT\n",
            "-D OUTPUT -d 127.0.0.1/32 -p udp -m udp --dport 53 -j CONSUL_VM_DNS\n")
        .doesNotContain("DOCKER");
    assertThat(s.split("\\*nat", -1)).hasSize(2);
    assertThat(s.split("COMMIT", -1)).hasSize(2);
    assertThat(DnsRedirect.cleanupAll(INSTALLED)).isEqualTo(DnsRedirect.cleanup(INSTALLED));
    assertThat(DnsRedirect.cleanupAll("*nat\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n")).isEmpty();
  }
}
