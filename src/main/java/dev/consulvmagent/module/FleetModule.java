package dev.consulvmagent.module;

import dev.consulvmagent.engine.Notification;
import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.render.Json;
import dev.consulvmagent.render.UnitNames;
import dev.consulvmagent.render.Units;
import dev.consulvmagent.resource.FileResource;
import dev.consulvmagent.resource.SymlinkResource;
import dev.consulvmagent.spec.AgentSpec;
import java.util.List;

/**
 * fleet: consul-vm-agent-watch.service, installed and enabled. A changed unit file is reloaded and
 * the unit started, never restarted: the watcher itself runs apply, and must not stop itself in the
 * middle of a rollout (it picks the new unit up at its next start). Without fleet: Leftovers
 * removes it (it carries our header).
 */
public final class FleetModule {
  public static final String UNIT = UnitNames.FLEET_WATCH;
  static final String UNIT_PATH = "/etc/systemd/system/" + UNIT;

  private FleetModule() {}

  static List<Resource> resources(AgentSpec spec, Context ctx) {
    if (spec.fleet().isEmpty()) return List.of();
    return List.of(
        FileResource.at(UNIT_PATH, Json.utf8(Units.fleetWatch()))
            .notify(Notification.daemonReload(), Notification.start(UNIT))
            .build(),
        SymlinkResource.enable(UNIT, UNIT, Notification.start(UNIT)));
  }
}
