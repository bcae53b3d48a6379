package dev.consulvmagent.module;

import dev.consulvmagent.engine.Notification;
import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.render.Json;
import dev.consulvmagent.render.UnitNames;
import dev.consulvmagent.render.Units;
import dev.consulvmagent.resource.AbsentResource;
import dev.consulvmagent.resource.FileResource;
import dev.consulvmagent.resource.SymlinkResource;
import dev.consulvmagent.spec.AgentSpec;
import dev.consulvmagent.spec.DnsSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * dns: *.consul through systemd-resolved (DNS= with a port needs systemd ≥ 246), else through the
 * DNS redirect 127.0.0.1:53 → 127.0.0.1:8600 (consul-dns-redirect.service, on every machine, with
 * or without transparent proxy; a sidecar with transparent proxy carries the same rule in its own
 * chain too, which is harmless: the first DNAT wins).
 */
public final class DnsModule {
  static final String DROP_IN = "/etc/systemd/resolved.conf.d/consul.conf";
  public static final String REDIRECT_UNIT = UnitNames.DNS_REDIRECT;
  static final String REDIRECT_UNIT_PATH = "/etc/systemd/system/" + REDIRECT_UNIT;
  private static final Pattern LIB = Pattern.compile("libsystemd-shared-([0-9]+)\\.so");

  private DnsModule() {}

  static List<Resource> resources(AgentSpec spec, Context ctx) {
    DnsSpec.Mode mode = effective(spec.dns().mode(), ctx.host());
    Notification restartResolved =
        new Notification(Notification.Kind.TRY_RESTART, "systemd-resolved.service");
    if (mode == DnsSpec.Mode.RESOLVED) {
      return List.of(
          FileResource.at(DROP_IN, Json.utf8(Units.resolvedDropIn()))
              .notify(restartResolved)
              .build());
    }
    List<Resource> out = new ArrayList<>(List.of(new AbsentResource(DROP_IN, restartResolved)));
    if (mode == DnsSpec.Mode.IPTABLES) {
      // its own unit, not the sidecar's rules: those exist only with transparent proxy (and
      // only on machines with a service), while *.consul must resolve on every machine
      out.add(
          FileResource.at(REDIRECT_UNIT_PATH, Json.utf8(Units.dnsRedirect()))
              .notify(Notification.daemonReload(), Notification.restart(REDIRECT_UNIT))
              .build());
      out.add(
          SymlinkResource.enable(REDIRECT_UNIT, REDIRECT_UNIT, Notification.start(REDIRECT_UNIT)));
    }
    return out;
  }

  /** AUTO resolves to RESOLVED when systemd-resolved ≥ 246 is installed, else IPTABLES. */
  public static DnsSpec.Mode effective(DnsSpec.Mode mode, Host host) {
    if (mode != DnsSpec.Mode.AUTO) return mode;
    boolean resolved =
        host.fs().exists("/lib/systemd/systemd-resolved")
            || host.fs().exists("/usr/lib/systemd/systemd-resolved");
    OptionalInt v = systemdVersion(host);
    return resolved && v.isPresent() && v.getAsInt() >= 246
        ? DnsSpec.Mode.RESOLVED
        : DnsSpec.Mode.IPTABLES;
  }

  /** The systemd version of the root, from its shared library name (works under --root too). */
  static OptionalInt systemdVersion(Host host) {
    for (String dir :
        List.of(
            "/usr/lib/systemd",
            "/lib/systemd",
            "/usr/lib/x86_64-linux-gnu/systemd",
            "/usr/lib/aarch64-linux-gnu/systemd")) {
      for (String f : host.fs().list(dir)) {
        Matcher m = LIB.matcher(f);
        if (m.matches()) return OptionalInt.of(Integer.parseInt(m.group(1)));
      }
    }
    return OptionalInt.empty();
  }
}
