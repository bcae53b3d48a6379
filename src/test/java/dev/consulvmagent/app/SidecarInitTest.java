package dev.consulvmagent.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.consul.ConsulEndpoint;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.engine.RunResult;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.sidecar.SidecarFiles;
import dev.consulvmagent.spec.Secret;
import dev.consulvmagent.spec.ServiceConfig;
import dev.consulvmagent.testing.FakeExec;
import dev.consulvmagent.testing.Roots;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sidecar-init facade on a --root host (a test double of the machine: temp root, no command
 * allowed, not live): what it reads back from apply's files and what it writes.
 */
class SidecarInitTest {
  @TempDir Path tmp;

  private static final String WEB = "{\"name\": \"web\", \"port\": 8080}";

  /** What apply left: the Envoy env file for an agent on 127.0.0.2, and a default token. */
  private Path applied() throws Exception {
    Path root = Roots.withUsers(tmp.resolve("root"));
    Files.createDirectories(root.resolve("etc/consul-vm-agent/envoy"));
    Files.writeString(
        root.resolve("etc/consul-vm-agent/envoy/web.env"),
        "ENVOY_ADMIN_BIND=127.0.0.1:19007\n"
            + "CONSUL_HTTP_ADDR=http://127.0.0.2:8500\n"
            + "REDIRECT_FLAGS=\n"
            + "MANAGED_CONSUL_VERSION=1.8.7\n");
    Files.createDirectories(root.resolve("etc/consul.d"));
    Files.writeString(
        root.resolve("etc/consul.d/secrets.json"),
        "{\"acl\": {\"tokens\": {\"agent\": \"a\", \"default\": \"d3fault\"}}}");
    Files.createDirectories(root.resolve("srv/consul"));
    Files.writeString(root.resolve("srv/consul/service-config.json"), WEB);
    return root;
  }

  private static SidecarInit init(Host host, ConsulAccess flags, List<String> said) {
    EventSink events = e -> said.add(e.text());
    return new SidecarInit(host, flags, events);
  }

  @Test
  void endpoint_isTheOneApplyWrote_withTheDefaultToken() throws Exception {
    Host host = Roots.host(applied(), new FakeExec());
    ConsulEndpoint e = init(host, ConsulAccess.NONE, new ArrayList<>()).endpoint("web");
    assertThat(e.display()).isEqualTo("http://127.0.0.2:8500");
    assertThat(e.token()).contains(new Secret("d3fault"));
    // Consul's own variable still wins over what apply wrote
    ConsulEndpoint env =
        init(
                host,
                new ConsulAccess(
                    ConsulAccess.flags(Optional.empty(), Optional.empty()),
                    Map.of("CONSUL_HTTP_ADDR", "10.9.9.9:8500")),
                new ArrayList<>())
            .endpoint("web");
    assertThat(env.display()).isEqualTo("http://10.9.9.9:8500");
  }

  @Test
  void adminPortAndVersion_comeFromApplysEnvFile_underARoot() throws Exception {
    List<String> said = new ArrayList<>();
    SidecarInit init = init(Roots.host(applied(), new FakeExec()), ConsulAccess.NONE, said);
    assertThat(init.adminPort("web")).isEqualTo(19007);
    // not live and no --http-addr: no agent is asked (FakeExec would refuse systemctl)
    assertThat(init.consulVersion(false, "web")).isEqualTo("1.8.7");
    assertThat(said).anyMatch(l -> l.contains("no agent was asked"));
  }

  @Test
  void run_writesTheRegistrationAndKeepsTheAgentAddress_thenChangesNothing() throws Exception {
    Path root = applied();
    Host host = Roots.host(root, new FakeExec());
    SidecarInit init = init(host, ConsulAccess.NONE, new ArrayList<>());
    ServiceConfig cfg = init.read(SidecarFiles.SERVICE_CONFIG);
    RunResult first = init.run(cfg, 19007, "1.16.6");
    assertThat(first.failed()).as(String.valueOf(first.error())).isFalse();
    String env =
        Files.readString(root.resolve("etc/consul-vm-agent/envoy/web.env"), StandardCharsets.UTF_8);
    assertThat(env)
        .contains("CONSUL_HTTP_ADDR=http://127.0.0.2:8500\n")
        .contains("CONSUL_GRPC_ADDR=127.0.0.2:8502\n")
        .contains("CONSUL_HTTP_TOKEN=d3fault\n");
    assertThat(root.resolve("etc/consul.d/service-registration.json")).exists();
    RunResult second = init(host, ConsulAccess.NONE, new ArrayList<>()).run(cfg, 19007, "1.16.6");
    assertThat(second.failed()).isFalse();
    assertThat(second.changed()).as(second.outcomes().toString()).isZero();
  }

  /**
   * What apply writes while it holds the run lock (a baked image's first boot: the instance apply's
   * Envoy settings, naming the Consul version it rendered for) is what sidecar-init renders from:
   * it reads them once it holds the lock, not before.
   */
  @Test
  void run_readsWhatApplyWroteWhileItHeldTheLock() throws Exception {
    Path root = applied();
    Path env = root.resolve("etc/consul-vm-agent/envoy/web.env");
    Files.delete(env);
    // what Consul 1.8.7 can run (no transparent proxy)
    Files.writeString(
        root.resolve("srv/consul/service-config.json"),
        "{\"annotations\": {\"consul.hashicorp.com/connect-service\": \"web\","
            + " \"consul.hashicorp.com/connect-service-port\": \"8080\","
            + " \"consul.hashicorp.com/transparent-proxy\": \"false\"}}");
    Host host = Roots.host(root, new FakeExec());
    List<String> said = new ArrayList<>();
    SidecarInit init = init(host, ConsulAccess.NONE, said);
    ServiceConfig cfg = init.read(SidecarFiles.SERVICE_CONFIG);
    RunResult[] result = new RunResult[1];
    RuntimeException[] failed = new RuntimeException[1];
    Thread t;
    try (RunLock apply = RunLock.acquire(host, Duration.ofSeconds(5))) {
      t =
          new Thread(
              () -> {
                try {
                  result[0] = init.run(cfg, Optional.empty());
                } catch (RuntimeException e) {
                  failed[0] = e;
                }
              });
      t.start();
      Thread.sleep(300); // sidecar-init waits for the lock
      assertThat(t.isAlive()).isTrue();
      Files.writeString(
          env,
          "ENVOY_ADMIN_BIND=127.0.0.1:19007\nCONSUL_HTTP_ADDR=http://127.0.0.2:8500\n"
              + "REDIRECT_FLAGS=\nMANAGED_CONSUL_VERSION=1.8.7\n");
    }
    t.join(10_000);
    assertThat(failed[0]).isNull();
    assertThat(result[0].failed()).as(String.valueOf(result[0].error())).isFalse();
    assertThat(said)
        .contains(
            "rendering for Consul 1.8.7 (the one apply rendered for, in"
                + " /etc/consul-vm-agent/envoy/web.env; no agent was asked (--root is not this"
                + " machine))");
    assertThat(Files.readString(env))
        .contains("ENVOY_ADMIN_BIND=127.0.0.1:19007\n", "MANAGED_CONSUL_VERSION=1.8.7\n");
    assertThat(Files.readString(root.resolve("etc/consul.d/service-registration.json")))
        .doesNotContain("\"mode\"");
  }
}
