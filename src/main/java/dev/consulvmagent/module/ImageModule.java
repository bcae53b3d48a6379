package dev.consulvmagent.module;

import dev.consulvmagent.engine.Notification;
import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.render.Json;
import dev.consulvmagent.render.Units;
import dev.consulvmagent.resource.FileResource;
import dev.consulvmagent.resource.SymlinkResource;
import dev.consulvmagent.spec.AgentSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * A base image (apply --bake): the marker that says so, the unit that applies the instance's own
 * settings at its first boot, after cloud-init has written them and before Consul starts, and the
 * envoy@ drop-in that orders sidecar-init after the sidecar it confirms
 * (render/Units#envoyBeforeSidecarInit). Later runs on a machine booted from the image keep the
 * unit (the marker is there), so a re-run never removes it as a leftover.
 */
final class ImageModule {
  /** Written by a bake: which versions the image holds; a valid base config itself. */
  static final String MARKER = "/etc/consul-vm-agent/image.yaml";

  private ImageModule() {}

  static List<Resource> resources(AgentSpec spec, Context ctx, CatalogMode mode) {
    List<Resource> out = new ArrayList<>();
    if (mode.bake()) {
      out.add(FileResource.at(MARKER, Json.utf8(marker(spec))).mode(0644).build());
    } else if (!ctx.host().fs().exists(MARKER)) {
      return out;
    }
    out.add(
        FileResource.at("/etc/systemd/system/" + Units.INSTANCE_UNIT, Json.utf8(Units.instance()))
            .notify(Notification.daemonReload())
            .build());
    out.add(SymlinkResource.enable(Units.INSTANCE_UNIT, Units.INSTANCE_UNIT));
    out.add(
        FileResource.at(Units.ENVOY_BEFORE_SIDECAR_INIT, Json.utf8(Units.envoyBeforeSidecarInit()))
            .notify(Notification.daemonReload())
            .build());
    return out;
  }

  /** No secret and no mirror (its URL may carry credentials): versions and pins only. */
  static String marker(AgentSpec spec) {
    StringBuilder b = new StringBuilder();
    b.append("# A base image baked by consul-vm-agent (apply --bake). Per-instance settings\n");
    b.append(
        "# (/etc/consul-vm-agent/agent.yaml: role, join, secrets, app, service) come at boot;\n");
    b.append("# ").append(Units.INSTANCE_UNIT).append(" applies them before Consul starts.\n");
    b.append("consul:\n  version: \"").append(spec.consul().version()).append("\"\n");
    spec.consul().sha256().ifPresent(s -> b.append("  sha256: \"").append(s).append("\"\n"));
    b.append("envoy:\n  version: \"").append(spec.envoy().version()).append("\"\n");
    spec.envoy().sha256().ifPresent(s -> b.append("  sha256: \"").append(s).append("\"\n"));
    return b.toString();
  }
}
