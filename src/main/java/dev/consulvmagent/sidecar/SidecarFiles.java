package dev.consulvmagent.sidecar;

import dev.consulvmagent.engine.Notification;
import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.render.Json;
import dev.consulvmagent.resource.FileResource;
import dev.consulvmagent.resource.SymlinkResource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The files the sidecar-init flow derives from a service config: the Consul registration, the
 * Envoy instance's environment file and its enablement. Shared by {@code apply} and
 * {@code sidecar-init}, so both converge to the same bytes.
 */
public final class SidecarFiles {
  public static final String SERVICE_CONFIG = "/srv/consul/service-config.json";
  public static final String REGISTRATION = "/etc/consul.d/service-registration.json";
  /** The env-file line with the Consul version apply rendered for. */
  public static final String CONSUL_VERSION_KEY = "MANAGED_CONSUL_VERSION";

  private SidecarFiles() {}

  public static String envFile(String service) {
    return "/etc/consul-vm-agent/envoy/" + service + ".env";
  }

  public static List<Resource> resources(MeshService mesh, int adminPort, Optional<String> token) {
    return resources(mesh, adminPort, token, false);
  }

  /** dnsRedirect: DNS sent to 127.0.0.1 goes to Consul (the sidecar's rules carry it). */
  public static List<Resource> resources(MeshService mesh, int adminPort, Optional<String> token, boolean dnsRedirect) {
    return resources(mesh, adminPort, token, dnsRedirect, dev.consulvmagent.spec.SpecLoader.DEFAULT_CONSUL_VERSION);
  }

  /** consulVersion: the registration and flags are rendered for it (kept in the env file). */
  public static List<Resource> resources(MeshService mesh, int adminPort, Optional<String> token, boolean dnsRedirect,
      String consulVersion) {
    String unit = "envoy@" + mesh.name() + ".service";
    List<Resource> out = new ArrayList<>();
    out.add(FileResource.at(REGISTRATION, Json.render(Registration.document(mesh, consulVersion)))
        .mode(0640).owner("consul", "consul").json()
        .notify(Notification.consulReload(), Notification.restart(unit)).build());
    FileResource.Builder env = FileResource.at(envFile(mesh.name()), Json.utf8(environment(mesh, adminPort, token, dnsRedirect, consulVersion))).mode(0600)
        .notify(Notification.restart(unit));
    if (token.isPresent()) env.sensitive();
    out.add(env.build());
    if (mesh.connect()) {
      out.add(new SymlinkResource("/etc/systemd/system/multi-user.target.wants/" + unit, "/etc/systemd/system/envoy@.service"));
    }
    return out;
  }

  /** KEY=value lines for envoy@.service's EnvironmentFile (values quoted for systemd). */
  static String environment(MeshService mesh, int adminPort, Optional<String> token, boolean dnsRedirect) {
    return environment(mesh, adminPort, token, dnsRedirect, dev.consulvmagent.spec.SpecLoader.DEFAULT_CONSUL_VERSION);
  }

  static String environment(MeshService mesh, int adminPort, Optional<String> token, boolean dnsRedirect,
      String consulVersion) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("ENVOY_ADMIN_BIND", "127.0.0.1:" + adminPort);
    List<String> args = Registration.connectEnvoyArgs(mesh, "x", consulVersion);
    List<String> flags = args.subList(4, args.size()); // after: connect envoy -sidecar-for -admin-bind
    env.put("CONNECT_ENVOY_FLAGS", String.join(" ", flags));
    env.put("CONSUL_HTTP_ADDR", "http://127.0.0.1:8500");
    env.put("CONSUL_GRPC_ADDR", "127.0.0.1:8502");
    env.put("REDIRECT_FLAGS", dnsRedirect ? "--dns-redirect" : "");
    env.put(CONSUL_VERSION_KEY, consulVersion); // sidecar-init renders for the same version
    token.ifPresent(t -> env.put("CONSUL_HTTP_TOKEN", t));
    StringBuilder b = new StringBuilder("# Managed by consul-vm-agent; local edits will be overwritten.\n");
    for (Map.Entry<String, String> e : env.entrySet()) b.append(e.getKey()).append('=').append(e.getValue()).append('\n');
    return b.toString();
  }
}
