package dev.consulvmagent.module;

import dev.consulvmagent.engine.Notification;
import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.render.ConsulConfig;
import dev.consulvmagent.render.Json;
import dev.consulvmagent.render.UnitNames;
import dev.consulvmagent.render.Units;
import dev.consulvmagent.resource.AbsentResource;
import dev.consulvmagent.resource.BinaryResource;
import dev.consulvmagent.resource.DirectoryResource;
import dev.consulvmagent.resource.FileResource;
import dev.consulvmagent.resource.SymlinkResource;
import dev.consulvmagent.spec.AgentSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** consul: the binary, config (server or client), secrets, data dir and unit. */
final class ConsulModule {
  static final String SECRETS = "/etc/consul.d/secrets.json";

  private ConsulModule() {}

  static List<Resource> resources(AgentSpec spec, Context ctx) {
    return resources(spec, ctx, CatalogMode.NORMAL);
  }

  static List<Resource> resources(AgentSpec spec, Context ctx, CatalogMode mode) {
    Notification restart = Notification.restart("consul.service");
    List<Resource> out = new ArrayList<>();
    out.add(new DirectoryResource("/etc/consul.d", 0750, "consul", "consul"));
    out.add(new DirectoryResource("/var/lib/consul", 0750, "consul", "consul"));
    out.add(new BinaryResource(ctx.binary("/usr/bin/consul"), restart));
    if (mode.bake()) {
      // a base image has no agent config: /etc/consul.d stays empty, so consul.service
      // (ConditionDirectoryNotEmpty) waits for the instance's own, written at first boot
      out.add(new AbsentResource("/etc/consul.d/consul.json"));
      out.add(new AbsentResource(SECRETS));
      out.add(unit(restart));
      out.add(SymlinkResource.enable("consul.service", "consul.service"));
      return out;
    }
    out.add(
        FileResource.at("/etc/consul.d/consul.json", Json.render(ConsulConfig.agent(spec.consul())))
            .mode(0640)
            .owner("consul", "consul")
            .json()
            .notify(UnitNames.consulReload())
            .build());
    Map<String, Object> secrets = ConsulConfig.secrets(spec.consul());
    if (secrets.isEmpty()) {
      out.add(new AbsentResource(SECRETS, UnitNames.consulReload()));
    } else {
      // the gossip key is read only at start: a change needs a restart, a token a reload
      out.add(
          FileResource.at(SECRETS, Json.render(secrets))
              .mode(0640)
              .owner("consul", "consul")
              .json()
              .sensitive()
              .notify(spec.consul().encrypt().isPresent() ? restart : UnitNames.consulReload())
              .build());
    }
    out.add(unit(restart));
    out.add(
        SymlinkResource.enable(
            "consul.service", "consul.service", Notification.start("consul.service")));
    return out;
  }

  private static Resource unit(Notification restart) {
    return FileResource.at("/etc/systemd/system/consul.service", Json.utf8(Units.consul()))
        .notify(Notification.daemonReload(), restart)
        .build();
  }
}
