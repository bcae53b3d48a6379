package dev.consulvmagent.module;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.artifact.Artifacts;
import dev.consulvmagent.artifact.Installer;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.resource.FileResource;
import dev.consulvmagent.spec.AgentSpec;
import dev.consulvmagent.spec.SpecLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What apply would write, per Consul version: the Catalog's files for a spec. */
class VersionAwareModulesTest {
  @TempDir Path root;

  static Map<String, String> files(String yaml, Path root) {
    AgentSpec spec = new SpecLoader().parse(yaml.getBytes(StandardCharsets.UTF_8));
    Host host = Host.forRoot(root, false);
    Context ctx =
        new Context(
            Artifacts.of(spec, Optional.empty()),
            Installer.lazy(EventSink.NONE),
            Optional.empty(),
            host.readOnly());
    Map<String, String> out = new LinkedHashMap<>();
    for (Resource r : Catalog.resources(spec, ctx)) {
      if (r instanceof FileResource f && f.path().isPresent()) {
        out.put(f.path().get(), new String(f.content(), StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  private static String envoyUnit(String consul, String envoy, boolean ignore, Path root) {
    String y =
        "consul:\n  version: \""
            + consul
            + "\"\n  role: server\nenvoy:\n  version: \""
            + envoy
            + "\"\n"
            + "  ignore_compatibility: "
            + ignore
            + "\n";
    return files(y, root).get("/etc/systemd/system/envoy@.service");
  }

  @Test
  void ignoreCompatibility_passesTheFlagToConsulConnectEnvoy_from115() {
    String unit = envoyUnit("1.16.6", "1.30.1", true, root);
    assertThat(unit)
        .contains(
            "-admin-bind=${ENVOY_ADMIN_BIND} -ignore-envoy-compatibility $CONNECT_ENVOY_FLAGS\n");
  }

  @Test
  void ignoreCompatibility_before115_orOff_passesNoFlag() {
    assertThat(envoyUnit("1.14.11", "1.30.1", true, root))
        .doesNotContain("ignore-envoy-compatibility");
    assertThat(envoyUnit("1.16.6", "1.26.8", false, root))
        .doesNotContain("ignore-envoy-compatibility");
  }
}
