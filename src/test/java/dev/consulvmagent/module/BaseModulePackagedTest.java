package dev.consulvmagent.module;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.app.Hosts;
import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.render.DebPackage;
import dev.consulvmagent.render.Units;
import dev.consulvmagent.resource.FileResource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's own files: a bare jar copies itself to /opt; the packaged jar stays where it is. */
class BaseModulePackagedTest {
  @TempDir Path root;

  List<Resource> resources(Optional<Path> jar) {
    Host host = Hosts.forRoot(root).readOnly();
    return BaseModule.resources(new Context(List.of(), null, jar, host));
  }

  static String launcher(List<Resource> rs) {
    FileResource f =
        (FileResource)
            rs.stream()
                .filter(r -> r.key().toString().contains(Units.AGENT))
                .findFirst()
                .orElseThrow();
    return new String(f.content(), StandardCharsets.UTF_8);
  }

  @Test
  void bareJar_isCopiedToOpt_andTheLauncherRunsTheCopy() throws Exception {
    Path jar = Files.writeString(root.resolve("agent.jar"), "jar");
    List<Resource> rs = resources(Optional.of(jar));
    String opt = "/opt/consul-vm-agent/consul-vm-agent.jar";
    assertThat(rs).extracting(r -> r.key().toString()).contains("copy:" + opt);
    assertThat(launcher(rs)).contains("jar=" + opt + "\n").isEqualTo(Units.launcher());
  }

  @Test
  void packagedJar_onThePackagedRoot_isNotCopied_andTheLauncherRunsIt() throws Exception {
    Path inRoot = root.resolve(DebPackage.JAR.substring(1));
    Files.createDirectories(inRoot.getParent());
    Files.writeString(inRoot, "jar");
    List<Resource> rs = resources(Optional.of(Path.of(DebPackage.JAR)));
    assertThat(rs).extracting(r -> r.key().toString()).noneMatch(k -> k.contains("/opt/"));
    assertThat(launcher(rs))
        .contains("jar=" + DebPackage.JAR + "\n")
        .isEqualTo(Units.launcher(DebPackage.JAR));
  }
}
