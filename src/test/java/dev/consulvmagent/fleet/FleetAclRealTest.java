package dev.consulvmagent.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.consulvmagent.consul.ConsulEndpoint;
import dev.consulvmagent.consul.ConsulHttp;
import dev.consulvmagent.consul.ConsulPermissionDeniedException;
import dev.consulvmagent.consul.ConsulQuery;
import dev.consulvmagent.consul.EndpointInput;
import dev.consulvmagent.consul.HealthApi;
import dev.consulvmagent.consul.KvApi;
import dev.consulvmagent.consul.SessionApi;
import dev.consulvmagent.consul.TxnApi;
import dev.consulvmagent.render.Json;
import dev.consulvmagent.testing.RealConsul;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link FleetAcl}'s rules on a REAL Consul 1.8.7 with ACLs on and default deny: the watcher's
 * token does its work (read the group, report for its node, take a slot, mark a halt) and nothing
 * else (no push, no report for another node, nothing of another group); a group operator's token
 * pushes to its group only.
 */
class FleetAclRealTest {
  static final String MASTER = "5b0f7a52-8a57-4bd5-93b8-9e3c3f1d0a77";
  @TempDir static Path tmp;
  static RealConsul agent;
  static String node;

  @BeforeAll
  static void start() {
    agent =
        RealConsul.dev(
            tmp,
            dir ->
                Files.writeString(
                    dir.resolve("acl.json"),
                    "{\"acl\": {\"enabled\": true, \"default_policy\": \"deny\", \"tokens\":"
                        + " {\"master\": \""
                        + MASTER
                        + "\", \"agent\": \""
                        + MASTER
                        + "\"}}}"));
    agent.awaitLeader();
    node = agent.node();
  }

  @AfterAll
  static void stop() {
    if (agent != null) agent.close();
  }

  static ConsulHttp http(String token) {
    EndpointInput in =
        EndpointInput.fromEnv(Map.of(), Optional.of(agent.httpAddr()))
            .withToken(Optional.of(token), Optional.empty());
    return new ConsulHttp(ConsulEndpoint.resolve(in), Duration.ofSeconds(10));
  }

  /** A token holding one policy with these rules (made with the master token). */
  static String token(String name, String rules) throws Exception {
    ConsulHttp m = http(MASTER);
    m.put(
        "/v1/acl/policy",
        Json.render(Map.of("Name", name, "Rules", rules)),
        ConsulQuery.NONE,
        "acl:write");
    JsonNode t =
        Json.mapper()
            .readTree(
                m.put(
                        "/v1/acl/token",
                        Json.render(Map.of("Policies", List.of(Map.of("Name", name)))),
                        ConsulQuery.NONE,
                        "acl:write")
                    .body());
    return t.path("SecretID").asText();
  }

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void theWatcherToken_doesItsWork_andNothingMore() throws Exception {
    FleetKeys web = new FleetKeys("consul-vm-agent/", "web");
    FleetKeys db = new FleetKeys("consul-vm-agent/", "db");
    String operator = token("fleet-operator-web", FleetAcl.operatorRules(web));
    String watcher = token("fleet-watch-web-" + node, FleetAcl.watcherRules(web, node));
    assertThat(FleetAcl.watcherRules(web, node)).doesNotContain("db");

    // the operator pushes to its group, not to another
    ConsulHttp op = http(operator);
    RolloutPolicy p = RolloutPolicy.DEFAULT;
    new FleetOperator(new KvApi(op), new TxnApi(op), web)
        .push(b("dns: {mode: none}\n"), p, List.of(), OptionalLong.empty());
    assertThatThrownBy(
            () ->
                new FleetOperator(new KvApi(op), new TxnApi(op), db)
                    .push(b("dns: {mode: none}\n"), p, List.of(), OptionalLong.empty()))
        .hasMessageContaining("ermission denied");

    ConsulHttp w = http(watcher);
    KvApi kv = new KvApi(w);
    ConsulGroupStore store = new ConsulGroupStore(kv, web);
    // reads its group
    assertThat(store.read(0, Duration.ZERO).desired().get().revision()).isEqualTo(1);
    // reports for itself, not for another node
    store.report(new NodeReport(node, 1, NodeReport.State.HEALTHY, "now", "ok", 1));
    assertThatThrownBy(() -> kv.put(web.node("other-vm"), b("{}"), 0))
        .isInstanceOf(ConsulPermissionDeniedException.class)
        .hasMessageContaining("key:write");
    // cannot push (desired is read-only) nor touch another group
    assertThatThrownBy(() -> kv.put(web.desired(), b("{}"), 0))
        .isInstanceOf(ConsulPermissionDeniedException.class);
    assertThatThrownBy(
            () ->
                new FleetOperator(kv, new TxnApi(w), web)
                    .push(b("dns: {mode: none}\n"), p, List.of(), OptionalLong.empty()))
        .hasMessageContaining("ermission denied");
    assertThatThrownBy(() -> kv.put(db.node(node), b("{}"), 0))
        .isInstanceOf(ConsulPermissionDeniedException.class);
    assertThatThrownBy(() -> kv.get(db.desired(), ConsulQuery.NONE))
        .isInstanceOf(ConsulPermissionDeniedException.class);
    // takes a slot of its group's semaphore (session on its own node), and marks a halt
    Optional<Slots.Slot> slot =
        new ConsulSemaphore(
                kv, new SessionApi(w), web.lock(), node, Duration.ofSeconds(10), s -> {})
            .acquire(1, Duration.ofSeconds(5));
    assertThat(slot).isPresent();
    slot.get().close();
    store.halt(new Control.Halt(1, node, "test", "now"));
    assertThat(store.read(0, Duration.ZERO).control().isHalted(1)).isTrue();
    // reads its node's health
    assertThat(new HealthApi(w).node(node, ConsulQuery.NONE)).isNotNull();
    // but not the other group's semaphore
    assertThatThrownBy(
            () ->
                new ConsulSemaphore(
                        kv, new SessionApi(w), db.lock(), node, Duration.ofSeconds(10), s -> {})
                    .acquire(1, Duration.ofSeconds(2)))
        .hasMessageContaining("ermission denied");
    // and no token at all reads nothing
    ConsulHttp anonymous =
        new ConsulHttp(ConsulEndpoint.of(agent.httpAddr()), Duration.ofSeconds(10));
    assertThatThrownBy(() -> new KvApi(anonymous).get(web.desired(), ConsulQuery.NONE))
        .isInstanceOf(ConsulPermissionDeniedException.class);
  }
}
