package dev.consulvmagent.module;

import dev.consulvmagent.consul.ConsulEndpoint;
import dev.consulvmagent.engine.Notification;
import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.render.ConsulConfig;
import dev.consulvmagent.render.Json;
import dev.consulvmagent.render.UnitNames;
import dev.consulvmagent.render.Units;
import dev.consulvmagent.resource.AbsentResource;
import dev.consulvmagent.resource.DirectoryResource;
import dev.consulvmagent.resource.FileResource;
import dev.consulvmagent.resource.SymlinkResource;
import dev.consulvmagent.secure.ClientMesh;
import dev.consulvmagent.sidecar.SidecarFiles;
import dev.consulvmagent.spec.AgentSpec;
import dev.consulvmagent.spec.DnsSpec;
import dev.consulvmagent.spec.MeshService;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * service: /srv/consul/service-config.json (the seed's input), plus exactly what sidecar-init
 * derives from it — so a baked image has everything, and a re-run changes only what differs.
 */
final class ServiceModule {
  private ServiceModule() {}

  static List<Resource> resources(AgentSpec spec, Context ctx) {
    return resources(spec, ctx, CatalogMode.NORMAL);
  }

  static List<Resource> resources(AgentSpec spec, Context ctx, CatalogMode mode) {
    List<Resource> out = new ArrayList<>();
    out.add(
        FileResource.at(
                "/etc/systemd/system/consul-sidecar-init.service", Json.utf8(Units.sidecarInit()))
            .notify(Notification.daemonReload())
            .build());
    out.add(SymlinkResource.enable("consul-sidecar-init.service", "consul-sidecar-init.service"));
    if (spec.service().isEmpty() || mode.bake()) return out;
    MeshService mesh = spec.service().get().mesh();
    // secure mesh: the service is registered, and Envoy started, with its own token; before the
    // first login (apply's cluster step, after Consul joined) there is nothing to register
    // with, and no service-config.json for consul-sidecar-init to act on yet
    var serviceToken =
        spec.security().secure()
            ? ClientMesh.storedToken(ctx.host(), mesh.name())
            : Optional.<Map.Entry<String, String>>empty();
    if (spec.security().secure() && serviceToken.isEmpty()) return out;
    if (!mode.serviceConfigIsInput()) {
      out.add(new DirectoryResource("/srv/consul", 0755, "root", "root"));
      out.add(
          FileResource.at(SidecarFiles.SERVICE_CONFIG, Json.render(spec.service().get().raw()))
              .notify(Notification.start("consul-sidecar-init.service"))
              .build());
    }
    boolean dnsRedirect =
        DnsModule.effective(spec.dns().mode(), ctx.host()) == DnsSpec.Mode.IPTABLES;
    List<Resource> sidecar =
        SidecarFiles.resources(
            mesh,
            spec.envoy().adminPort(),
            spec.consul().aclToken().map(t -> t.value()),
            serviceToken,
            dnsRedirect,
            spec.consul().version(),
            // the address the agent config implies, never the environment of whoever runs apply:
            // the env file is a function of the config (plan on another shell sees no change)
            ConsulEndpoint.of(ConsulConfig.httpAddr(spec.consul(), spec.security())));
    if (mode.serviceConfigIsInput() && mesh.connect()) sidecar = startingEnvoy(sidecar, mesh);
    out.addAll(sidecar);
    return out;
  }

  /**
   * The seed's way (a baked image's first boot: the instance unit's apply, before Consul starts):
   * Envoy is enabled here, and consul-sidecar-init.service, the seed's step that would start it,
   * runs only after Consul has started and finds nothing left to do but that start (measured: 2 s
   * of a client's boot to mesh, its JVM and its wait for Consul's API). So enabling Envoy starts it
   * (--no-block: its unit is ordered after consul.service; app/InstanceReady queues it before
   * Consul starts), as {@code systemctl enable --now} would; sidecar-init's own start of it is then
   * a no-op, and sidecar-init is ordered after it by the image's envoy@ drop-in ({@link
   * Units#envoyBeforeSidecarInit}). The drop-in an earlier version wrote for that here is removed.
   */
  private static List<Resource> startingEnvoy(List<Resource> sidecar, MeshService mesh) {
    String unit = UnitNames.envoy(mesh.name());
    List<Resource> out = new ArrayList<>();
    for (Resource r : sidecar) {
      if (r instanceof SymlinkResource link
          && link.path().equals(Optional.of("/etc/systemd/system/multi-user.target.wants/" + unit)))
        r = SymlinkResource.enable(unit, UnitNames.ENVOY_TEMPLATE, Notification.start(unit));
      out.add(r);
    }
    out.add(new AbsentResource(Units.OLD_SIDECAR_INIT_AFTER_ENVOY, Notification.daemonReload()));
    return out;
  }
}
