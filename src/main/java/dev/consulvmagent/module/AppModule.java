package dev.consulvmagent.module;

import dev.consulvmagent.engine.Notification;
import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.render.Json;
import dev.consulvmagent.render.Units;
import dev.consulvmagent.resource.BinaryResource;
import dev.consulvmagent.resource.FileResource;
import dev.consulvmagent.resource.SymlinkResource;
import dev.consulvmagent.spec.AgentSpec;
import dev.consulvmagent.spec.AppSpec;
import java.util.ArrayList;
import java.util.List;

/** app: the application binary and its unit. Inert (and says so) when the key is absent. */
final class AppModule {
  private AppModule() {}

  static List<Resource> resources(AgentSpec spec, Context ctx) {
    List<Resource> out = new ArrayList<>();
    if (spec.app().isEmpty()) return out;
    AppSpec app = spec.app().get();
    Notification restart = Notification.restart(app.unitName());
    out.add(new BinaryResource(ctx.binary(app.binaryPath()), restart));
    out.add(
        FileResource.at("/etc/systemd/system/" + app.unitName(), Json.utf8(Units.app(app)))
            .notify(Notification.daemonReload(), restart)
            .build());
    out.add(
        SymlinkResource.enable(app.unitName(), app.unitName(), Notification.start(app.unitName())));
    return out;
  }
}
