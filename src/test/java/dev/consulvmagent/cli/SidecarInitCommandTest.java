package dev.consulvmagent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.testing.Roots;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The drop-in for the seed's generate-sidecar-configs.py: -f, --dry, --type, --root. */
class SidecarInitCommandTest {
  @TempDir Path tmp;

  private Path seedConfig(String json) throws Exception {
    Path f = tmp.resolve("service-config.json");
    Files.writeString(f, json);
    return f;
  }

  @Test
  void dry_printsEachKindOfOutput_andWritesNothing() throws Exception {
    Path f = seedConfig("{\"name\": \"counting\", \"port\": 9003}");
    CliApplyTest.Run reg = CliApplyTest.run("sidecar-init", "-f", f.toString(), "--dry");
    assertThat(reg.code()).isZero();
    assertThat(reg.out()).contains("\"sidecar_service\"", "\"mode\" : \"transparent\"", "\"dialed_directly\" : true", "\"port\" : 9003");
    assertThat(CliApplyTest.run("sidecar-init", "-f", f.toString(), "--dry", "--type", "connect-envoy").out())
        .startsWith("consul connect envoy -sidecar-for=counting -admin-bind=127.0.0.1:19000");
    assertThat(CliApplyTest.run("sidecar-init", "-f", f.toString(), "--dry", "--type", "redirect").out())
        .contains("-proxy-id=counting-sidecar-proxy");
    assertThat(CliApplyTest.run("sidecar-init", "-f", f.toString(), "--dry", "--type", "envoy").out()).contains("envoy@counting.service");
    assertThat(CliApplyTest.run("sidecar-init", "-f", f.toString(), "--dry", "--type", "bogus").code()).isEqualTo(ExitCodes.USAGE);
    try (var s = Files.list(tmp)) {
      assertThat(s.count()).isEqualTo(1);
    }
  }

  @Test
  void malformedAnnotation_exits3_andWritesNothing() throws Exception {
    Path root = Roots.withUsers(Files.createDirectories(tmp.resolve("root")));
    Path f = seedConfig("{\"annotations\": {\"consul.hashicorp.com/connect-service\": \"web\", \"consul.hashicorp.com/connect-service-port\": \"8080\","
        + " \"consul.hashicorp.com/connect-service-upstreams\": \"db\"}}");
    var before = Roots.snapshot(root);
    CliApplyTest.Run r = CliApplyTest.run("sidecar-init", "-f", f.toString(), "--root", root.toString());
    assertThat(r.code()).isEqualTo(ExitCodes.INVALID_CONFIG);
    assertThat(r.err()).contains("consul.hashicorp.com/connect-service-upstreams", "upstream structured incorrectly: db");
    assertThat(Roots.snapshot(root)).isEqualTo(before);
  }

  @Test
  void underRoot_writesRegistrationAndEnablesEnvoy_neverStarts_andIsIdempotent() throws Exception {
    Path root = Roots.withUsers(Files.createDirectories(tmp.resolve("root")));
    Files.createDirectories(root.resolve("srv/consul"));
    Files.writeString(root.resolve("srv/consul/service-config.json"), "{\"name\": \"counting\", \"port\": 9003}");
    CliApplyTest.Run r = CliApplyTest.run("sidecar-init", "--root", root.toString());
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    assertThat(Files.readString(root.resolve("etc/consul.d/service-registration.json"))).contains("\"name\" : \"counting\"");
    assertThat(Files.readSymbolicLink(root.resolve("etc/systemd/system/multi-user.target.wants/envoy@counting.service")))
        .isEqualTo(Path.of("/etc/systemd/system/envoy@.service"));
    assertThat(r.out()).contains("skipped (--root): start envoy@counting.service");
    var converged = Roots.snapshot(root);
    assertThat(CliApplyTest.run("sidecar-init", "--root", root.toString()).out()).contains("No changes");
    assertThat(Roots.snapshot(root)).isEqualTo(converged);
  }
}
