package dev.consulvmagent.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.spec.SpecException;
import dev.consulvmagent.testing.FakeExec;
import dev.consulvmagent.testing.Roots;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The redirect-traffic facade on a test double of the machine (temp root; the only command allowed
 * is iptables-save, answering an empty nat table as a fresh host's does).
 */
class RedirectTrafficTest {
  @TempDir Path tmp;

  private static final RedirectTraffic.Options DRY =
      new RedirectTraffic.Options(ConsulAccess.NONE, false, false, true, Optional.empty());

  private Host host(String serviceConfig) throws Exception {
    Path root = Roots.withUsers(tmp.resolve("root"));
    Files.createDirectories(root.resolve("srv/consul"));
    Files.writeString(root.resolve("srv/consul/service-config.json"), serviceConfig);
    return Roots.host(root, new FakeExec().on("iptables-save", a -> FakeExec.ok(a, "")));
  }

  @Test
  void forService_refusesAConfigOfAnotherService() throws Exception {
    RedirectTraffic t =
        new RedirectTraffic(host("{\"name\": \"web\", \"port\": 8080}"), DRY, EventSink.NONE);
    assertThatThrownBy(() -> t.forService("api"))
        .isInstanceOf(SpecException.class)
        .hasMessageContaining("describes 'web', not 'api'");
  }

  @Test
  void forService_withTransparentProxyOff_installsNothing() throws Exception {
    String off =
        "{\"annotations\": {\"consul.hashicorp.com/connect-service\": \"web\","
            + " \"consul.hashicorp.com/connect-service-port\": \"8080\","
            + " \"consul.hashicorp.com/transparent-proxy\": \"false\"}}";
    RedirectTraffic.Result r =
        new RedirectTraffic(host(off), DRY, EventSink.NONE).forService("web");
    assertThat(r.done()).isEqualTo(RedirectTraffic.Done.PROXY_OFF);
  }

  @Test
  void fromFlags_dryRun_printsTheRulesetAgainstTheHostsNatTable() throws Exception {
    RedirectTraffic.Flags f =
        new RedirectTraffic.Flags(
            101,
            Optional.empty(),
            21000,
            15001,
            List.of(22),
            List.of(),
            List.of(),
            List.of(),
            Optional.empty(),
            0);
    RedirectTraffic.Result r =
        new RedirectTraffic(host("{\"name\": \"web\", \"port\": 8080}"), DRY, EventSink.NONE)
            .fromFlags(f);
    assertThat(r.done()).isEqualTo(RedirectTraffic.Done.DRY_RUN);
    assertThat(r.script())
        .contains("-A CONSUL_PROXY_INBOUND -p tcp --dport 22 -j RETURN")
        .contains("-A CONSUL_PROXY_IN_REDIRECT -p tcp -j REDIRECT --to-port 21000")
        .contains("COMMIT");
  }
}
