package dev.consulvmagent.render;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.spec.ConsulSpec;
import dev.consulvmagent.spec.SpecLoader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConsulConfigVersionTest {
  private static ConsulSpec consul(String version) {
    String y =
        "consul:\n  version: \""
            + version
            + "\"\n  role: server\nenvoy: {ignore_compatibility: true}\n";
    return new SpecLoader().parse(y.getBytes(StandardCharsets.UTF_8)).consul();
  }

  @Test
  void ui_isUiConfigFrom19_andUiBefore() {
    assertThat(ConsulConfig.agent(consul("1.9.0")))
        .containsEntry("ui_config", Map.of("enabled", true))
        .doesNotContainKey("ui");
    assertThat(ConsulConfig.agent(consul("1.8.7")))
        .containsEntry("ui", true)
        .doesNotContainKey("ui_config");
  }

  private static ConsulSpec parse(String y) {
    return new SpecLoader().parse(y.getBytes(StandardCharsets.UTF_8)).consul();
  }

  @Test
  void retryInterval_isWrittenWithRetryJoin_shortByDefault() {
    // Consul's own default is 30s, which a client booted with its server waits out (issue 23)
    assertThat(ConsulConfig.agent(parse("consul: {role: client, retry_join: [192.0.2.10]}\n")))
        .containsEntry("retry_join", List.of("192.0.2.10"))
        .containsEntry("retry_interval", "2s");
    assertThat(
            ConsulConfig.agent(
                parse("consul: {role: client, retry_join: [192.0.2.10], retry_interval: 1m}\n")))
        .containsEntry("retry_interval", "1m");
    // nothing to join: nothing to retry
    assertThat(ConsulConfig.agent(parse("consul: {role: server}\n")))
        .doesNotContainKeys("retry_join", "retry_interval");
  }

  @Test
  void performance_isRaftAtFullSpeedOnServers_overridable() {
    assertThat(ConsulConfig.agent(parse("consul: {role: server}\n")))
        .containsEntry("performance", Map.of("raft_multiplier", 1));
    assertThat(ConsulConfig.agent(parse("consul: {role: client, retry_join: [192.0.2.10]}\n")))
        .doesNotContainKey("performance");
    assertThat(
            ConsulConfig.agent(
                parse(
                    "consul: {role: server, extra_config: {performance: {raft_multiplier: 5,"
                        + " leave_drain_time: 10s}}}\n")))
        .containsEntry("performance", Map.of("raft_multiplier", 5L, "leave_drain_time", "10s"));
  }

  @Test
  void httpAddr_isLoopbackForWildcards_elseTheClientAddr() {
    assertThat(ConsulConfig.httpAddr(consul("1.16.6"))).isEqualTo("http://127.0.0.1:8500");
  }
}
