package dev.consulvmagent.module;

import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.spec.AgentSpec;
import java.util.ArrayList;
import java.util.List;

/** The ordered resource list for a spec: one module per top-level key, in dependency order. */
public final class Catalog {
  private Catalog() {}

  public static List<Resource> resources(AgentSpec spec, Context ctx) {
    return resources(spec, ctx, CatalogMode.NORMAL);
  }

  public static List<Resource> resources(AgentSpec spec, Context ctx, CatalogMode mode) {
    List<Resource> out = new ArrayList<>();
    out.addAll(BaseModule.resources(ctx));
    out.addAll(ImageModule.resources(spec, ctx, mode));
    out.addAll(ConsulModule.resources(spec, ctx, mode));
    out.addAll(EnvoyModule.resources(spec, ctx));
    if (!mode.bake()) out.addAll(AppModule.resources(spec, ctx));
    out.addAll(ServiceModule.resources(spec, ctx, mode));
    out.addAll(DnsModule.resources(spec, ctx));
    out.addAll(FleetModule.resources(spec, ctx));
    out.addAll(Leftovers.resources(spec, ctx, out));
    return out;
  }
}
