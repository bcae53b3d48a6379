package dev.consulvmagent.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.consulvmagent.consul.AclApi;
import dev.consulvmagent.consul.ConsulHttp;
import dev.consulvmagent.consul.ConsulPermissionDeniedException;
import dev.consulvmagent.consul.ConsulQuery;
import dev.consulvmagent.consul.HealthApi;
import dev.consulvmagent.consul.KvApi;
import dev.consulvmagent.consul.SessionApi;
import dev.consulvmagent.consul.TxnApi;
import dev.consulvmagent.engine.Engine;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.engine.Outcome;
import dev.consulvmagent.engine.RunResult;
import dev.consulvmagent.fleet.ConsulGroupStore;
import dev.consulvmagent.fleet.ConsulSemaphore;
import dev.consulvmagent.fleet.Control;
import dev.consulvmagent.fleet.FleetKeys;
import dev.consulvmagent.fleet.FleetOperator;
import dev.consulvmagent.fleet.NodeReport;
import dev.consulvmagent.fleet.RolloutPolicy;
import dev.consulvmagent.fleet.Slots;
import dev.consulvmagent.host.FileStat;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.secure.ClientMesh;
import dev.consulvmagent.secure.SecurityPosture;
import dev.consulvmagent.secure.ServerBootstrap;
import dev.consulvmagent.spec.AgentSpec;
import dev.consulvmagent.spec.Secret;
import dev.consulvmagent.testing.RealConsul;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 22, the fleet watcher's token from the secure bootstrap, on REAL Consul 1.8.7 with the mesh
 * as {@code mesh init} and {@code mesh user-data} make it: the server, told its fleet groups
 * (security.fleet_groups), keeps a watcher policy and role per group and a JWT auth method for the
 * intro JWT's group claim; a client with a fleet block logs in and keeps a 0600 token that reads
 * its group's rollouts, reports, takes the group's slots and marks a halt, but cannot push, and
 * reaches nothing of another group. What a shared group role cannot exclude on 1.8.7 (a sibling's
 * report) is asserted too, as the README documents it. Secrets are grepped for in what ran.
 */
class FleetTokenRealTest {
  @TempDir Path tmp;

  static Outcome.Status outcome(RunResult r, String key) {
    return r.outcomes().stream()
        .filter(o -> o.key().equals(key))
        .map(Outcome::status)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no outcome " + key + " in " + r.outcomes()));
  }

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void aFleetClient_logsInForItsGroupRole_thatCannotPushNorTouchAnotherGroup() throws Exception {
    RenderedMesh render = RenderedMesh.init(tmp);
    AgentSpec srv = render.server(List.of(), List.of("dashboard", "web"));
    assertThat(srv.security().fleetGroups()).hasSize(2);
    AgentSpec dash =
        render.client("dash-1", RenderedMesh.clientYaml("dash-1", "fleet:\n  group: dashboard\n"));
    AgentSpec plain = render.client("plain-1", RenderedMesh.clientYaml("plain-1", ""));

    try (RealConsul server = render.startServer(srv);
        RealConsul c1 = render.startClient("dash-1", dash, server)) {
      AclApi admin = RenderedMesh.awaitAcls(srv, server);
      Secret mgmt = srv.security().managementToken().get();
      Host srvRoot = render.applied("srv-root", srv, server);
      assertThat(admin.policyByName("consul-vm-agent-fleet-dashboard-watch").orElseThrow().rules())
          .contains("consul-vm-agent/groups/dashboard/")
          .doesNotContain("groups/web");

      c1.awaitLeader();
      Host dashRoot = render.root("dash-root");
      RunResult first = render.clusterStep(dash, dashRoot, c1);
      assertThat(first.failed()).as(first.error()).isFalse();
      String key = "consul:acl-token/fleet-watch";
      assertThat(outcome(first, key)).isEqualTo(Outcome.Status.CHANGED);
      String file = ClientMesh.fleetTokenFile();
      assertThat(file).isEqualTo("/var/lib/consul-vm-agent/fleet-watch.token");
      FileStat st = dashRoot.fs().stat(file).orElseThrow();
      assertThat(st.mode() & 07777).isEqualTo(0600);
      assertThat(st.uid()).isEqualTo(dashRoot.users().uid("root").orElseThrow());
      Secret token =
          new Secret(new String(dashRoot.fs().read(file), StandardCharsets.UTF_8).strip());
      render.secrets.add(token.value());
      AclApi.Token t = admin.tokenSelf(token).orElseThrow();
      assertThat(t.roles()).containsExactly("consul-vm-agent-fleet-dashboard");
      assertThat(t.policies()).isEmpty();
      assertThat(t.serviceIdentities()).isEmpty();
      assertThat(t.nodeIdentities()).isEmpty();
      assertThat(t.authMethod()).isEqualTo(ServerBootstrap.FLEET_AUTH_METHOD);

      // the operator pushes (management token here; README: the operator's own rules)
      FleetKeys dashboard = new FleetKeys("consul-vm-agent/", "dashboard");
      FleetKeys web = new FleetKeys("consul-vm-agent/", "web");
      ConsulHttp op = SecureMesh.local(server.httpAddr(), Optional.of(mgmt));
      RolloutPolicy p = RolloutPolicy.DEFAULT;
      new FleetOperator(new KvApi(op), new TxnApi(op), dashboard)
          .push(b("dns: {mode: none}\n"), p, List.of(), OptionalLong.empty());
      new FleetOperator(new KvApi(op), new TxnApi(op), web)
          .push(b("dns: {mode: none}\n"), p, List.of(), OptionalLong.empty());

      // what the watcher does with the login token, through its own agent
      ConsulHttp w = SecureMesh.local(c1.httpAddr(), Optional.of(token));
      KvApi kv = new KvApi(w);
      ConsulGroupStore store = new ConsulGroupStore(kv, dashboard);
      assertThat(store.read(0, Duration.ZERO).desired().get().revision()).isEqualTo(1);
      store.report(new NodeReport("dash-1", 1, NodeReport.State.HEALTHY, "now", "ok", 1));
      Optional<Slots.Slot> slot =
          new ConsulSemaphore(
                  kv,
                  new SessionApi(w),
                  dashboard.lock(),
                  "dash-1",
                  Duration.ofSeconds(10),
                  s -> {})
              .acquire(1, Duration.ofSeconds(5));
      assertThat(slot).isPresent();
      slot.get().close();
      store.halt(new Control.Halt(1, "dash-1", "test", "now"));
      assertThat(store.read(0, Duration.ZERO).control().isHalted(1)).isTrue();
      assertThat(new HealthApi(w).node("dash-1", ConsulQuery.NONE)).isNotNull();
      // it cannot push: desired and revisions are read-only
      assertThatThrownBy(() -> kv.put(dashboard.desired(), b("{}"), 0))
          .isInstanceOf(ConsulPermissionDeniedException.class);
      assertThatThrownBy(() -> kv.put(dashboard.revision(2), b("{}"), 0))
          .isInstanceOf(ConsulPermissionDeniedException.class);
      assertThatThrownBy(
              () ->
                  new FleetOperator(kv, new TxnApi(w), dashboard)
                      .push(b("dns: {mode: none}\n"), p, List.of(), OptionalLong.empty()))
          .hasMessageContaining("ermission denied");
      // nothing of another group: read, report, slots
      assertThatThrownBy(() -> kv.get(web.desired(), ConsulQuery.NONE))
          .isInstanceOf(ConsulPermissionDeniedException.class);
      assertThatThrownBy(() -> kv.put(web.node("dash-1"), b("{}"), 0))
          .isInstanceOf(ConsulPermissionDeniedException.class);
      assertThatThrownBy(() -> kv.put(web.control(), b("{}"), 0))
          .isInstanceOf(ConsulPermissionDeniedException.class);
      assertThatThrownBy(
              () ->
                  new ConsulSemaphore(
                          kv,
                          new SessionApi(w),
                          web.lock(),
                          "dash-1",
                          Duration.ofSeconds(10),
                          s -> {})
                      .acquire(1, Duration.ofSeconds(2)))
          .hasMessageContaining("ermission denied");
      // nor anything else in KV, nor any ACL object
      assertThatThrownBy(() -> kv.put("other/key", b("x"), 0))
          .isInstanceOf(ConsulPermissionDeniedException.class);
      assertThat(w.exchange("GET", "/v1/acl/tokens", null, ConsulQuery.NONE).code()).isEqualTo(403);
      // the residual of a shared group role on 1.8.7 (README, ACLs): a sibling's report of its
      // own group is writable
      kv.put(dashboard.node("dash-2"), b("{}"), 0);
      // and sessions of any node (session_prefix ""): one the operator made on the server is
      // renewed and destroyed by the watcher's token
      SessionApi adminSessions = new SessionApi(op);
      String other =
          adminSessions.create(
              new SessionApi.Request(
                  "not the watcher's",
                  Optional.of("srv"),
                  Duration.ofSeconds(30),
                  SessionApi.Behavior.DELETE,
                  Duration.ZERO,
                  List.of()));
      SessionApi watcherSessions = new SessionApi(w);
      assertThat(watcherSessions.renew(other)).isTrue();
      watcherSessions.destroy(other);
      assertThat(adminSessions.info(other)).isEmpty();

      // a JWT without a group claim gets no fleet role: its login is refused
      Host plainRoot = render.root("plain-root");
      Engine e = new Engine(EventSink.NONE);
      RunResult refused =
          e.apply(
              e.plan(
                  List.of(
                      ClientMesh.fleetToken(
                          "plain-1",
                          "dashboard",
                          plain.security().introToken(),
                          new AclApi(SecureMesh.local(c1.httpAddr(), Optional.empty())))),
                  plainRoot),
              plainRoot,
              n -> List.of(),
              Instant.now());
      render.reported.add(String.valueOf(refused.error()));
      assertThat(refused.failed()).isTrue();
      assertThat(refused.error()).contains("fleet watcher token").contains("fleet_groups");
      assertThat(plainRoot.fs().stat(file)).isEmpty();

      // status shows it; a re-run on both changes nothing
      SecurityPosture.Item item =
          SecurityPosture.fleetToken(
              dashRoot, new AclApi(SecureMesh.local(c1.httpAddr(), Optional.empty())), "dashboard");
      render.reported.add(item.toString());
      assertThat(item.level()).as(item.toString()).isEqualTo(SecurityPosture.Level.OK);
      assertThat(item.detail()).contains("consul-vm-agent-fleet-dashboard");
      RunResult again = render.clusterStep(dash, dashRoot, c1);
      assertThat(again.failed()).as(again.error()).isFalse();
      assertThat(again.changed()).isZero();
      assertThat(new String(dashRoot.fs().read(file), StandardCharsets.UTF_8).strip())
          .isEqualTo(token.value());
      RunResult srvAgain = render.clusterStep(srv, srvRoot, server);
      assertThat(srvAgain.failed()).as(srvAgain.error()).isFalse();
      assertThat(srvAgain.changed()).isZero();

      // deleted on the servers: status says so, the next apply logs in again
      admin.deleteToken(t.accessorId());
      assertThat(
              SecurityPosture.fleetToken(
                      dashRoot,
                      new AclApi(SecureMesh.local(c1.httpAddr(), Optional.empty())),
                      "dashboard")
                  .level())
          .isEqualTo(SecurityPosture.Level.FAIL);
      RunResult healed = render.clusterStep(dash, dashRoot, c1);
      assertThat(healed.failed()).as(healed.error()).isFalse();
      assertThat(outcome(healed, key)).isEqualTo(Outcome.Status.CHANGED);
      render.secrets.add(new String(dashRoot.fs().read(file), StandardCharsets.UTF_8).strip());

      render.assertNoSecretReported();
    }
  }
}
