package dev.consulvmagent.iptables;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.consulvmagent.host.Exec;
import dev.consulvmagent.host.ExecException;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.host.HostFs;
import dev.consulvmagent.testing.Netns;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Real kernel rules in fresh network namespaces (root only): our single transaction leaves exactly
 * the rules Consul's command sequence leaves, re-runs cleanly, and cleans up only ours.
 */
@Tag("root")
class IptablesNetnsTest {
  @TempDir Path root;

  @BeforeAll
  static void rootOnly() {
    assumeTrue(Netns.available(), "needs root, ip and iptables");
  }

  static Stream<RedirectConfig> configs() {
    return Stream.of(
        new RedirectConfig(
            101, 21000, 15001, List.of(), List.of(), List.of(), List.of(), Optional.empty(), 0),
        RestoreScriptTest.exampleA(),
        new RedirectConfig(
            5995,
            20000,
            15002,
            List.of(20200, 21000, 22),
            List.of(443),
            List.of("10.0.0.0/8", "192.0.2.0/24"),
            List.of(5996, 0),
            Optional.of("192.0.2.53"),
            0),
        new RedirectConfig(
            101,
            21000,
            15001,
            List.of(9102),
            List.of(),
            List.of(),
            List.of(998),
            Optional.empty(),
            8600));
  }

  /** What `consul connect redirect-traffic` would leave: its commands one by one. */
  private static String consulReplay(RedirectConfig c) {
    try (Netns ns = new Netns("cva-consul")) {
      for (List<String> cmd : ConsulRules.commands(c)) {
        List<String> a = new ArrayList<>(List.of("iptables"));
        a.addAll(cmd);
        ns.exec(a.toArray(String[]::new)).check();
      }
      return ns.natRules();
    }
  }

  @ParameterizedTest
  @MethodSource("configs")
  void apply_leavesExactlyConsulsRules_andIsIdempotent(RedirectConfig c) {
    String expected = consulReplay(c);
    try (Netns ns = new Netns("cva-ours")) {
      Iptables ipt = new Iptables(ns.host(root));
      ipt.apply(c);
      assertThat(ns.natRules()).isEqualTo(expected);
      ipt.apply(c); // Consul fails here with "Chain already exists"
      assertThat(ns.natRules()).isEqualTo(expected);
    }
  }

  @Test
  void reapply_withOtherConfig_replacesOurChains() {
    RedirectConfig second = configs().toList().get(2);
    try (Netns ns = new Netns("cva-ours")) {
      Iptables ipt = new Iptables(ns.host(root));
      ipt.apply(RestoreScriptTest.exampleA());
      ipt.apply(second);
      assertThat(ns.natRules()).isEqualTo(consulReplay(second));
    }
  }

  @Test
  void cleanup_leavesOtherChainsAndRules() {
    try (Netns ns = new Netns("cva-ours")) {
      ns.exec("iptables", "-t", "nat", "-N", "DOCKER").check();
      ns.exec("iptables", "-t", "nat", "-A", "DOCKER", "-i", "docker0", "-j", "RETURN").check();
      ns.exec(
              "iptables",
              "-t",
              "nat",
              "-A",
              "PREROUTING",
              "-m",
              "addrtype",
              "--dst-type",
              "LOCAL",
              "-j",
              "DOCKER")
          .check();
      ns.exec("iptables", "-t", "filter", "-A", "INPUT", "-p", "tcp", "--dport", "9", "-j", "DROP")
          .check();
      String before = ns.natRules() + ns.exec("iptables", "-S").check().stdout();
      Iptables ipt = new Iptables(ns.host(root));
      ipt.apply(RestoreScriptTest.exampleA());
      assertThat(ns.natRules()).contains("CONSUL_PROXY_INBOUND");
      ipt.cleanup();
      assertThat(ns.natRules() + ns.exec("iptables", "-S").check().stdout()).isEqualTo(before);
      assertThat(ipt.cleanup()).isEmpty(); // nothing left of ours: a no-op
    }
  }

  @Test
  void cleanup_removesLeftoversOfConsulsOwnTool() {
    try (Netns ns = new Netns("cva-ours")) {
      String empty = ns.natRules();
      for (List<String> cmd : ConsulRules.commands(RestoreScriptTest.exampleA())) {
        List<String> a = new ArrayList<>(List.of("iptables"));
        a.addAll(cmd);
        ns.exec(a.toArray(String[]::new)).check();
      }
      new Iptables(ns.host(root)).cleanup();
      assertThat(ns.natRules()).isEqualTo(empty);
    }
  }

  @Test
  void failedApply_leavesPreviousRulesIntact() {
    try (Netns ns = new Netns("cva-ours")) {
      Iptables ipt = new Iptables(ns.host(root));
      ipt.apply(RestoreScriptTest.exampleA());
      String before = ns.natRules();
      // a rule the kernel refuses inside our transaction (RedirectConfig refuses such a value
      // before it gets here, so the script is corrupted on its way to iptables-restore)
      Exec inside = ns.execInside();
      Exec corrupting =
          (argv, timeout, stdin) -> {
            if (stdin == null || !argv.get(0).endsWith("iptables-restore")) {
              return inside.run(argv, timeout, stdin);
            }
            String script = new String(stdin, StandardCharsets.UTF_8);
            String bad =
                script.replace(
                    "COMMIT\n", "-A CONSUL_PROXY_OUTPUT -d 10.0.0.0/99 -j RETURN\nCOMMIT\n");
            return inside.run(argv, timeout, bad.getBytes(StandardCharsets.UTF_8));
          };
      Iptables broken = new Iptables(Host.of(new HostFs(root, false), corrupting, true));
      RedirectConfig other =
          new RedirectConfig(
              101,
              21000,
              15001,
              List.of(),
              List.of(),
              List.of("10.0.0.0/8"),
              List.of(),
              Optional.empty(),
              0);
      assertThatThrownBy(() -> broken.apply(other))
          .isInstanceOf(ExecException.class)
          .hasMessageContaining("iptables-restore");
      assertThat(ns.natRules()).isEqualTo(before);
    }
  }
}
