package dev.consulvmagent.module;

import dev.consulvmagent.engine.Notification;
import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.render.Json;
import dev.consulvmagent.render.UnitNames;
import dev.consulvmagent.render.Units;
import dev.consulvmagent.resource.BinaryResource;
import dev.consulvmagent.resource.DirectoryResource;
import dev.consulvmagent.resource.FileResource;
import dev.consulvmagent.spec.AgentSpec;
import dev.consulvmagent.spec.ConsulVersions;
import java.util.ArrayList;
import java.util.List;

/**
 * envoy: the binary and the envoy@.service template; the per-service parts are in ServiceModule.
 */
final class EnvoyModule {
  private EnvoyModule() {}

  static List<Resource> resources(AgentSpec spec, Context ctx) {
    List<Resource> out = new ArrayList<>();
    List<Notification> restart = new ArrayList<>();
    spec.service()
        .ifPresent(s -> restart.add(Notification.restart(UnitNames.envoy(s.mesh().name()))));
    out.add(new BinaryResource(ctx.binary("/usr/bin/envoy"), restart.toArray(Notification[]::new)));
    out.add(new DirectoryResource("/etc/consul-vm-agent/envoy", 0700, "root", "root"));
    List<Notification> unit = new ArrayList<>(List.of(Notification.daemonReload()));
    unit.addAll(restart);
    // envoy.ignore_compatibility also tells Consul (1.15+) not to refuse the Envoy (PR #15818)
    boolean ignore =
        spec.envoy().ignoreCompatibility()
            && ConsulVersions.has(
                spec.consul().version(), ConsulVersions.Feature.IGNORE_ENVOY_COMPATIBILITY);
    out.add(
        FileResource.at(
                "/etc/systemd/system/" + UnitNames.ENVOY_TEMPLATE,
                Json.utf8(Units.envoyTemplate(ignore)))
            .notify(unit.toArray(Notification[]::new))
            .build());
    return out;
  }
}
