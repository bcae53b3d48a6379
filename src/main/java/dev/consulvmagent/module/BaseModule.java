package dev.consulvmagent.module;

import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.render.DebPackage;
import dev.consulvmagent.render.Json;
import dev.consulvmagent.render.Units;
import dev.consulvmagent.resource.CopyResource;
import dev.consulvmagent.resource.DirectoryResource;
import dev.consulvmagent.resource.FileResource;
import dev.consulvmagent.resource.SystemUserResource;
import java.util.ArrayList;
import java.util.List;

/** Users, the agent's own directories, its jar and launcher (so units can call it). */
final class BaseModule {
  private BaseModule() {}

  static List<Resource> resources(Context ctx) {
    List<Resource> out = new ArrayList<>();
    out.add(new SystemUserResource("consul", "Consul agent", "/var/lib/consul"));
    out.add(new SystemUserResource("envoy", "Envoy sidecar proxy", "/nonexistent"));
    out.add(new DirectoryResource("/var/lib/consul-vm-agent", 0700, "root", "root"));
    out.add(new DirectoryResource("/etc/consul-vm-agent", 0755, "root", "root"));
    // Run from the Debian package's jar on the packaged machine itself: units call that jar
    // (so a package upgrade reaches them), no copy in /opt. Otherwise (a bare jar, or --root
    // baking an image that lacks the package): copy the running jar into /opt, as always.
    boolean packaged =
        ctx.agentJar().map(j -> j.toString().equals(DebPackage.JAR)).orElse(false)
            && ctx.host().fs().exists(DebPackage.JAR);
    if (packaged) {
      byte[] launcher = Json.utf8(Units.launcher(DebPackage.JAR));
      out.add(FileResource.at(Units.AGENT, launcher).mode(0755).build());
      return out;
    }
    out.add(new DirectoryResource("/opt/consul-vm-agent", 0755, "root", "root"));
    ctx.agentJar()
        .ifPresent(
            jar -> out.add(new CopyResource(jar, "/opt/consul-vm-agent/consul-vm-agent.jar")));
    out.add(FileResource.at(Units.AGENT, Json.utf8(Units.launcher())).mode(0755).build());
    return out;
  }
}
