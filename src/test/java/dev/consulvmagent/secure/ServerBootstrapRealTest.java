package dev.consulvmagent.secure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.consulvmagent.consul.AclApi;
import dev.consulvmagent.consul.ConsulHttp;
import dev.consulvmagent.engine.Change;
import dev.consulvmagent.engine.Engine;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.engine.Planned;
import dev.consulvmagent.engine.RunResult;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.host.MutationDuringPlanException;
import dev.consulvmagent.render.Json;
import dev.consulvmagent.spec.Secret;
import dev.consulvmagent.testing.RealConsul;
import dev.consulvmagent.testing.RecordingHost;
import dev.consulvmagent.testing.SecureCluster;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server's bootstrap against REAL Consul 1.8.7 servers with TLS, gossip encryption, ACLs in
 * default deny and auto_config (SecureCluster): plan shows every object without changing the
 * cluster, apply makes them, a second apply changes nothing, a deleted object is made again, the
 * ACL system is bootstrapped exactly once — with one server and with three applying at once.
 */
class ServerBootstrapRealTest {
  @TempDir Path tmp;

  static Host host(Path root) {
    return new RecordingHost(
        root,
        (argv, timeout, stdin) -> {
          throw new AssertionError("no process expected: " + argv);
        });
  }

  @Test
  void oneServer_planApplyRerunRecreate() throws Exception {
    SecureCluster mesh = SecureCluster.create(tmp.resolve("mesh"));
    Secret agent = new Secret(UUID.randomUUID().toString());
    try (RealConsul server = mesh.startServer(tmp, "server-a", agent)) {
      ConsulHttp http = SecureCluster.http(server, mesh.management);
      AclApi acl = new AclApi(http);
      SecureCluster.awaitAcls(server, acl, mesh.management);
      Host host = host(tmp.resolve("root"));
      ServerSecurity sec = mesh.serverSecurity("server-a", agent, List.of("counting"));
      Engine engine = new Engine(EventSink.NONE);

      // plan: every object to create, the bootstrap already done; the cluster is not changed
      List<Planned> plan = engine.plan(ServerBootstrap.resources(sec, acl), host);
      assertThat(plan)
          .extracting(p -> p.resource().key().toString() + "=" + p.change().kind())
          .containsExactly(
              "consul:acl-bootstrap=NONE",
              "consul:acl-token/agent/server-a=CREATE",
              "consul:acl-policy/consul-vm-agent-svc-counting-intentions=CREATE",
              "consul:acl-role/consul-vm-agent-svc-counting=CREATE",
              "consul:acl-auth-method/consul-vm-agent-jwt=CREATE",
              "consul:acl-binding-rule/consul-vm-agent-jwt/service/${value.service}=CREATE",
              "consul:acl-binding-rule/consul-vm-agent-jwt/role/"
                  + "consul-vm-agent-svc-${value.service}=CREATE",
              "consul:acl-policy/consul-vm-agent-dns-read=CREATE",
              "consul:acl-role/consul-vm-agent-dns=CREATE",
              "consul:acl-auth-method/consul-vm-agent-jwt-dns=CREATE",
              "consul:acl-binding-rule/consul-vm-agent-jwt-dns/role/consul-vm-agent-dns=CREATE");
      String shown = Json.compact(plan.stream().map(p -> p.change().toString()).toList());
      assertThat(shown).doesNotContain(agent.value()).doesNotContain(mesh.management.value());
      assertThat(acl.authMethod(ServerBootstrap.AUTH_METHOD)).isEmpty();
      assertThat(acl.tokenSelf(agent)).isEmpty();
      // converging through plan's read-only host is refused before any call to the cluster
      for (Planned p : plan)
        assertThatThrownBy(() -> p.resource().converge(host.readOnly(), p.observed()))
            .isInstanceOf(MutationDuringPlanException.class);
      assertThat(acl.authMethod(ServerBootstrap.AUTH_METHOD)).isEmpty();
      assertThat(acl.tokenSelf(agent)).isEmpty();

      RunResult first = engine.apply(plan, host, n -> List.of(), Instant.now());
      assertThat(first.failed()).as(first.error()).isFalse();
      assertThat(first.changed()).isEqualTo(10);
      AclApi.Token token = acl.tokenSelf(agent).orElseThrow();
      assertThat(token.nodeIdentities())
          .containsExactly(new AclApi.NodeIdentity("server-a", SecureCluster.DC));
      AclApi.AuthMethod m = acl.authMethod(ServerBootstrap.AUTH_METHOD).orElseThrow();
      assertThat(m.boundIssuer()).isEqualTo("consul-vm-agent:dc1");
      assertThat(m.boundAudiences()).containsExactly("consul-auto-config");
      assertThat(m.claimMappings()).containsEntry("service", "service");
      assertThat(acl.bindingRules(ServerBootstrap.AUTH_METHOD))
          .extracting(r -> r.bindType() + " " + r.bindName())
          .containsExactlyInAnyOrder(
              "service ${value.service}", "role consul-vm-agent-svc-${value.service}");

      // the DNS login (issue 19): the same key, issuer and audience, one role and nothing else
      AclApi.AuthMethod dns = acl.authMethod(ServerBootstrap.DNS_AUTH_METHOD).orElseThrow();
      assertThat(dns.jwtValidationPubKeys()).isEqualTo(m.jwtValidationPubKeys());
      assertThat(dns.boundIssuer()).isEqualTo(m.boundIssuer());
      assertThat(dns.boundAudiences()).isEqualTo(m.boundAudiences());
      assertThat(acl.bindingRules(ServerBootstrap.DNS_AUTH_METHOD))
          .extracting(r -> r.bindType() + " " + r.bindName())
          .containsExactly("role " + ServerBootstrap.DNS_ROLE);
      assertThat(acl.roleByName(ServerBootstrap.DNS_ROLE).orElseThrow().policyNames())
          .containsExactly(ServerBootstrap.DNS_POLICY);

      // re-run: nothing to do
      RunResult again = apply(engine, sec, acl, host);
      assertThat(again.changed()).isZero();

      // deleted on the servers: made again, and only those
      acl.bindingRules(ServerBootstrap.AUTH_METHOD).stream()
          .filter(r -> r.bindType().equals("role"))
          .forEach(r -> acl.deleteBindingRule(r.id().orElseThrow()));
      acl.deleteToken(acl.tokenSelf(agent).orElseThrow().accessorId());
      RunResult healed = apply(engine, sec, acl, host);
      assertThat(healed.failed()).as(healed.error()).isFalse();
      assertThat(healed.outcomes())
          .filteredOn(o -> o.kind() != Change.Kind.NONE)
          .extracting(o -> o.key())
          .containsExactly(
              "consul:acl-token/agent/server-a",
              "consul:acl-binding-rule/consul-vm-agent-jwt/role/"
                  + "consul-vm-agent-svc-${value.service}");
      assertThat(acl.tokenSelf(agent)).isPresent();
      assertThat(apply(engine, sec, acl, host).changed()).isZero();
      assertBootstrappedOnce(acl);

      // a management token that is not the cluster's: stopped at the check, nothing written
      Secret wrong = new Secret(UUID.randomUUID().toString());
      ServerSecurity other =
          new ServerSecurity(
              "server-a", SecureCluster.DC, wrong, agent, mesh.publicKeyPem(), List.of("other"));
      RunResult refused = apply(engine, other, new AclApi(SecureCluster.http(server, wrong)), host);
      assertThat(refused.failed()).isTrue();
      assertThat(refused.error())
          .contains("security.management_token")
          .contains("never bootstraps ACLs itself")
          .doesNotContain(wrong.value());
      assertThat(acl.roleByName(ServerBootstrap.ROLE_PREFIX + "other")).isEmpty();
      assertBootstrappedOnce(acl);
    }
  }

  static RunResult apply(Engine engine, ServerSecurity sec, AclApi acl, Host host) {
    return engine.apply(
        engine.plan(ServerBootstrap.resources(sec, acl), host),
        host,
        n -> List.of(),
        Instant.now());
  }

  /** One token with global-management: the master token, never a second from /v1/acl/bootstrap. */
  static void assertBootstrappedOnce(AclApi acl) {
    assertThat(acl.tokens())
        .filteredOn(t -> t.policies().contains("global-management"))
        .extracting(AclApi.Token::description)
        .containsExactly("Master Token");
  }

  @Test
  void threeServers_applyingAtOnce_makeEachObjectOnce() throws Exception {
    SecureCluster mesh = SecureCluster.create(tmp.resolve("mesh"));
    List<RealConsul> servers = new ArrayList<>();
    List<ServerSecurity> secs = new ArrayList<>();
    try {
      // one agent token for all servers, as mesh init makes it: each adds its node identity
      Secret shared = new Secret(UUID.randomUUID().toString());
      for (int i = 0; i < 3; i++) {
        Secret agent = shared;
        secs.add(mesh.serverSecurity("server-" + i, agent, List.of("counting")));
        List<String> flags = new ArrayList<>(List.of("-server", "-bootstrap-expect=3"));
        if (i > 0) {
          flags.add("-retry-join=127.0.0.1:" + servers.get(0).ports().serfLan());
          flags.add("-retry-interval=1s");
        }
        servers.add(
            RealConsul.named(tmp.resolve("s" + i), "server-" + i, flags, mesh.server(agent, 3)));
      }
      List<AclApi> acls = new ArrayList<>();
      for (RealConsul s : servers) {
        AclApi acl = new AclApi(SecureCluster.http(s, mesh.management));
        SecureCluster.awaitAcls(s, acl, mesh.management);
        acls.add(acl);
      }
      Engine engine = new Engine(EventSink.NONE);
      List<CompletableFuture<RunResult>> runs = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        int n = i;
        runs.add(
            CompletableFuture.supplyAsync(
                () ->
                    apply(
                        new Engine(EventSink.NONE),
                        secs.get(n),
                        acls.get(n),
                        host(tmp.resolve("root" + n)))));
      }
      for (CompletableFuture<RunResult> r : runs) {
        RunResult res = r.get();
        assertThat(res.failed()).as(res.error()).isFalse();
      }
      // a second round heals what racing writers of the shared agent token may have dropped
      // (token updates have no check-and-set in 1.8); a third finds nothing to do anywhere
      for (int i = 0; i < 3; i++) {
        RunResult res = apply(engine, secs.get(i), acls.get(i), host(tmp));
        assertThat(res.failed()).as(res.error()).isFalse();
      }
      for (int i = 0; i < 3; i++) {
        RunResult res = apply(engine, secs.get(i), acls.get(i), host(tmp));
        assertThat(res.changed()).as("server-" + i).isZero();
      }
      AclApi acl = acls.get(0);
      assertBootstrappedOnce(acl);
      assertThat(acl.tokenSelf(shared).orElseThrow().nodeIdentities())
          .containsExactlyInAnyOrder(
              new AclApi.NodeIdentity("server-0", SecureCluster.DC),
              new AclApi.NodeIdentity("server-1", SecureCluster.DC),
              new AclApi.NodeIdentity("server-2", SecureCluster.DC));
      assertThat(acl.tokens())
          .filteredOn(t -> t.description().equals(AgentTokenResource.DESCRIPTION))
          .hasSize(1);
      assertThat(acl.bindingRules(ServerBootstrap.AUTH_METHOD)).hasSize(2);
    } finally {
      servers.forEach(RealConsul::close);
    }
  }
}
