package dev.consulvmagent.module;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.artifact.Artifacts;
import dev.consulvmagent.artifact.Installer;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.engine.Notification;
import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.render.Units;
import dev.consulvmagent.spec.AgentSpec;
import dev.consulvmagent.spec.SpecLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who starts Envoy: with the seed's service-config.json as input (a baked image's first boot), the
 * apply that enables it starts it (--no-block, after Consul), instead of leaving it to
 * consul-sidecar-init.service once Consul runs; with a service: block, sidecar-init does, as before
 * (its service-config.json notifies it).
 */
class ServiceModuleStartTest {
  @TempDir Path root;

  static final String COUNTING =
      "consul: {role: client, retry_join: [192.0.2.10]}\n"
          + "service: {name: counting, port: 9003}\n";

  private List<Resource> resources(CatalogMode mode) {
    AgentSpec spec = new SpecLoader().parse(COUNTING.getBytes(StandardCharsets.UTF_8));
    Host host = Host.forRoot(root, false);
    Context ctx =
        new Context(
            Artifacts.of(spec, Optional.empty()),
            Installer.lazy(EventSink.NONE),
            Optional.empty(),
            host.readOnly());
    return ServiceModule.resources(spec, ctx, mode);
  }

  private List<Notification> envoyLink(CatalogMode mode) {
    for (Resource r : resources(mode)) {
      if (r.path()
          .equals(
              Optional.of("/etc/systemd/system/multi-user.target.wants/envoy@counting.service")))
        return r.notifications(null);
    }
    throw new AssertionError("no enablement link for envoy@counting");
  }

  @Test
  void seedInput_enablingEnvoyStartsIt() {
    assertThat(envoyLink(new CatalogMode(false, true)))
        .containsExactly(Notification.start("envoy@counting.service"));
  }

  @Test
  void serviceBlock_sidecarInitStartsEnvoy_notTheLink() {
    assertThat(envoyLink(CatalogMode.NORMAL)).isEmpty();
  }

  @Test
  void seedInput_theDropInAnEarlierVersionWrote_isRemoved() {
    Resource old =
        resources(new CatalogMode(false, true)).stream()
            .filter(r -> r.path().equals(Optional.of(Units.OLD_SIDECAR_INIT_AFTER_ENVOY)))
            .findFirst()
            .orElseThrow();
    assertThat(old.desired()).isNull();
    assertThat(old.notifications(null)).containsExactly(Notification.daemonReload());
  }

  /** The image's envoy@ drop-in (module/ImageModule): an ordering only, for every instance. */
  @Test
  void sidecarInitWaitsForEnvoysStart_byOrderingOnly() {
    assertThat(Units.ENVOY_BEFORE_SIDECAR_INIT)
        .isEqualTo("/etc/systemd/system/envoy@.service.d/before-sidecar-init.conf");
    assertThat(Units.envoyBeforeSidecarInit())
        .endsWith("[Unit]\nBefore=consul-sidecar-init.service\n")
        .doesNotContain("Requires")
        .doesNotContain("Wants");
  }

  @Test
  void serviceBlock_nothingAboutTheDropIn() {
    assertThat(resources(CatalogMode.NORMAL))
        .noneMatch(r -> r.path().equals(Optional.of(Units.OLD_SIDECAR_INIT_AFTER_ENVOY)));
  }
}
