package dev.consulvmagent.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.consul.ConsulEndpoint;
import dev.consulvmagent.host.HostFs;
import dev.consulvmagent.spec.MeshService;
import dev.consulvmagent.spec.SpecLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What sidecar-init reads back is what apply wrote (SidecarFiles' own bytes, not hand-made). */
class InstalledTest {
  @TempDir Path root;

  private HostFs fs() {
    return new HostFs(root, false);
  }

  private static MeshService web() {
    String json = "{\"name\":\"web\",\"port\":8080}";
    return SpecLoader.serviceConfig(json.getBytes(StandardCharsets.UTF_8)).mesh();
  }

  private void write(String path, String text) {
    fs().createDirsWithFile(
            path.substring(0, path.lastIndexOf('/')),
            path.substring(path.lastIndexOf('/') + 1),
            text.getBytes(StandardCharsets.UTF_8),
            0600);
  }

  @Test
  void readsBackWhatApplyWrote() {
    write(
        SidecarFiles.envFile("web"),
        SidecarFiles.environment(
            web(),
            19123,
            Optional.of("t0k"),
            true,
            "1.8.7",
            ConsulEndpoint.of("http://[::1]:8500")));
    Installed i = Installed.read(fs(), "web");
    assertThat(i)
        .isEqualTo(
            new Installed(19123, true, Optional.of("1.8.7"), Optional.of("http://[::1]:8500")));
  }

  @Test
  void withoutDnsRedirect() {
    write(
        SidecarFiles.envFile("web"),
        SidecarFiles.environment(
            web(), 19000, Optional.empty(), false, "1.10.0", ConsulEndpoint.LOCAL));
    assertThat(Installed.read(fs(), "web").dnsRedirect()).isFalse();
  }

  @Test
  void nothingInstalled_defaults() {
    assertThat(Installed.read(fs(), "web"))
        .isEqualTo(
            new Installed(Installed.DEFAULT_ADMIN_PORT, false, Optional.empty(), Optional.empty()));
  }

  @Test
  void token_isSecretsJsonsDefaultToken() {
    write(Installed.SECRETS, "{\"acl\":{\"tokens\":{\"agent\":\"a\",\"default\":\"d-token\"}}}");
    assertThat(Installed.token(fs())).contains("d-token");
  }

  @Test
  void token_absentOrBroken_isEmpty() {
    assertThat(Installed.token(fs())).isEmpty();
    write(Installed.SECRETS, "{not json");
    assertThat(Installed.token(fs())).isEmpty();
  }
}
