package dev.consulvmagent.module;

import dev.consulvmagent.engine.Notification;
import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.engine.ResourceKey;
import dev.consulvmagent.host.HostFs;
import dev.consulvmagent.render.Json;
import dev.consulvmagent.render.UnitNames;
import dev.consulvmagent.render.Units;
import dev.consulvmagent.resource.AbsentResource;
import dev.consulvmagent.sidecar.Registration;
import dev.consulvmagent.sidecar.SidecarFiles;
import dev.consulvmagent.spec.AgentSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What an earlier run created and this config no longer wants: unit files carrying our header,
 * their enablement links, per-service Envoy settings and a registration we marked. Nothing that
 * lacks our mark is ever removed.
 */
final class Leftovers {
  private static final String WANTS = "/etc/systemd/system/multi-user.target.wants/";

  private Leftovers() {}

  static List<Resource> resources(AgentSpec spec, Context ctx, List<Resource> wanted) {
    Set<String> keys = new HashSet<>();
    for (Resource r : wanted) keys.add(r.key().name());
    List<Resource> out = new ArrayList<>();
    var fs = ctx.host().fs();
    for (String f : fs.list("/etc/systemd/system")) {
      String path = "/etc/systemd/system/" + f;
      if (!f.endsWith(".service") || keys.contains(path)) continue;
      if (hasOurHeader(fs, path)) {
        out.add(new AbsentResource(path, Notification.stop(f), Notification.daemonReload()));
      }
    }
    for (String f : fs.list(WANTS)) {
      String link = WANTS + f;
      if (keys.contains(link)) continue;
      String target = fs.readLink(link).orElse("");
      boolean ours =
          target.startsWith("/etc/systemd/system/")
              && (fs.exists(target)
                  ? hasOurHeader(fs, target)
                  : UnitNames.isEnvoy(f)
                      || out.stream()
                          .anyMatch(
                              r ->
                                  r.key().equals(ResourceKey.of(ResourceKey.Kind.ABSENT, target))));
      if (ours) out.add(new AbsentResource(link, Notification.stop(f)));
    }
    for (String f : fs.list("/etc/consul-vm-agent/envoy")) {
      String p = "/etc/consul-vm-agent/envoy/" + f;
      if (f.endsWith(".env") && !keys.contains(p)) out.add(new AbsentResource(p));
    }
    if (spec.service().isEmpty()) {
      if (isOurRegistration(fs.readIfExists(SidecarFiles.REGISTRATION).orElse(null))) {
        out.add(new AbsentResource(SidecarFiles.REGISTRATION, UnitNames.consulReload()));
      }
    }
    return out;
  }

  /** A registration we wrote: its parsed service.meta says managed-by us (not a text match). */
  static boolean isOurRegistration(byte[] json) {
    if (json == null) return false;
    try {
      return Json.parseObject(json).get("service") instanceof Map<?, ?> svc
          && svc.get("meta") instanceof Map<?, ?> meta
          && Registration.MANAGED_BY.equals(meta.get("managed-by"));
    } catch (IOException | RuntimeException e) {
      return false; // not JSON we could have written
    }
  }

  /** A regular file starting with our header (a link, e.g. a masked unit, never is ours). */
  private static boolean hasOurHeader(HostFs fs, String path) {
    byte[] b = fs.readHead(path, 200);
    return new String(b, StandardCharsets.UTF_8).startsWith(Units.HEADER_LINE);
  }
}
