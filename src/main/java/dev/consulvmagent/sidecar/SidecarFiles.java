package dev.consulvmagent.sidecar;

import dev.consulvmagent.consul.ConsulEndpoint;
import dev.consulvmagent.engine.Notification;
import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.render.Json;
import dev.consulvmagent.render.SystemdSyntax;
import dev.consulvmagent.render.UnitNames;
import dev.consulvmagent.resource.FileResource;
import dev.consulvmagent.resource.SymlinkResource;
import dev.consulvmagent.spec.MeshService;
import dev.consulvmagent.spec.ServiceConfig;
import dev.consulvmagent.spec.SpecLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The files the sidecar-init flow derives from a service config: the Consul registration, the Envoy
 * instance's environment file and its enablement. Shared by {@code apply} and {@code sidecar-init},
 * so both converge to the same bytes.
 */
public final class SidecarFiles {
  public static final String SERVICE_CONFIG = "/srv/consul/service-config.json";
  public static final String REGISTRATION = "/etc/consul.d/service-registration.json";

  /** The env-file line with the Consul version apply rendered for. */
  public static final String CONSUL_VERSION_KEY = "MANAGED_CONSUL_VERSION";

  private SidecarFiles() {}

  /** The agent's gRPC port on the host its HTTP API is on (loopback for a unix socket). */
  static String grpcAddr(ConsulEndpoint agent) {
    if (agent.scheme().equals("unix")) return "127.0.0.1:8502";
    String a = agent.address();
    int colon = a.lastIndexOf(':');
    String host = colon > a.lastIndexOf(']') ? a.substring(0, colon) : a;
    return host + ":8502";
  }

  /** Reads a service-config file (path as seen on the host running us). */
  public static ServiceConfig readServiceConfig(Path file) {
    // a regular file only (never a FIFO or device read forever), at most 1 MiB
    byte[] bytes = SpecLoader.readInput(file, SpecLoader.MAX_BYTES, "service config", "");
    return SpecLoader.serviceConfig(bytes); // every error at once, each with its line
  }

  public static String envFile(String service) {
    return "/etc/consul-vm-agent/envoy/" + service + ".env";
  }

  /**
   * dnsRedirect: DNS sent to 127.0.0.1 goes to Consul (the sidecar's rules carry it).
   * consulVersion: the registration and flags are rendered for it (kept in the env file); there is
   * no default here, so no caller renders for a version it did not choose.
   */
  public static List<Resource> resources(
      MeshService mesh,
      int adminPort,
      Optional<String> token,
      boolean dnsRedirect,
      String consulVersion,
      ConsulEndpoint agent) {
    return resources(mesh, adminPort, token, Optional.empty(), dnsRedirect, consulVersion, agent);
  }

  /**
   * serviceToken: the secure mesh's service token (secret) and the file holding it. The
   * registration carries it as the service definition's {@code token} (Consul registers and syncs
   * the service with it; the file is 0640 consul), and Envoy's unit gets {@code
   * CONSUL_HTTP_TOKEN_FILE}, which {@code consul connect envoy} reads like {@code -token-file}
   * (hashicorp/consul api/api.go HTTPTokenFileEnvName), as do the unit's own consul-vm-agent steps.
   * agent: where the agent's HTTP API is, as the agent config implies it ({@link #environment}).
   */
  public static List<Resource> resources(
      MeshService mesh,
      int adminPort,
      Optional<String> token,
      Optional<Map.Entry<String, String>> serviceToken,
      boolean dnsRedirect,
      String consulVersion,
      ConsulEndpoint agent) {
    String unit = UnitNames.envoy(mesh.name());
    List<Resource> out = new ArrayList<>();
    Map<String, Object> doc = Registration.document(mesh, consulVersion);
    serviceToken.ifPresent(
        t -> {
          @SuppressWarnings("unchecked")
          Map<String, Object> svc = (Map<String, Object>) doc.get("service");
          svc.put("token", t.getKey());
        });
    FileResource.Builder reg =
        FileResource.at(REGISTRATION, Json.render(doc))
            .mode(0640)
            .owner("consul", "consul")
            .json()
            .notify(UnitNames.consulReload(), Notification.restart(unit));
    if (serviceToken.isPresent()) reg.sensitive();
    out.add(reg.build());
    FileResource.Builder env =
        FileResource.at(
                envFile(mesh.name()),
                Json.utf8(
                    environment(
                            mesh,
                            adminPort,
                            serviceToken.isPresent() ? Optional.empty() : token,
                            dnsRedirect,
                            consulVersion,
                            agent)
                        + serviceToken
                            .map(
                                t ->
                                    SystemdSyntax.environmentFileLine(
                                        "CONSUL_HTTP_TOKEN_FILE", t.getValue()))
                            .orElse("")))
            .mode(0600)
            .notify(Notification.restart(unit));
    if (token.isPresent() && serviceToken.isEmpty()) env.sensitive();
    out.add(env.build());
    if (mesh.connect()) {
      out.add(
          new SymlinkResource(
              "/etc/systemd/system/multi-user.target.wants/" + unit,
              "/etc/systemd/system/" + UnitNames.ENVOY_TEMPLATE));
    }
    return out;
  }

  /**
   * KEY=value lines for envoy@.service's EnvironmentFile (values quoted for systemd). agent: where
   * the local agent's HTTP API is, as the agent config implies it (client_addr): Envoy's {@code
   * consul connect envoy}, its redirect-traffic and sidecar-init reach it there; gRPC (xDS) listens
   * on the same client address, on 8502 (render.ConsulConfig's ports.grpc).
   */
  static String environment(
      MeshService mesh,
      int adminPort,
      Optional<String> token,
      boolean dnsRedirect,
      String consulVersion,
      ConsulEndpoint agent) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("ENVOY_ADMIN_BIND", "127.0.0.1:" + adminPort);
    // the unit's ExecStart= has the rest: connect envoy -sidecar-for=%i -admin-bind=...
    env.put(
        "CONNECT_ENVOY_FLAGS",
        String.join(" ", Registration.connectEnvoyFlags(mesh, consulVersion)));
    env.putAll(agent.childEnv());
    env.put("CONSUL_GRPC_ADDR", grpcAddr(agent));
    env.put("REDIRECT_FLAGS", dnsRedirect ? "--dns-redirect" : "");
    env.put(CONSUL_VERSION_KEY, consulVersion); // sidecar-init renders for the same version
    token.ifPresent(t -> env.put("CONSUL_HTTP_TOKEN", t));
    StringBuilder b =
        new StringBuilder("# Managed by consul-vm-agent; local edits will be overwritten.\n");
    for (Map.Entry<String, String> e : env.entrySet()) {
      b.append(SystemdSyntax.environmentFileLine(e.getKey(), e.getValue()));
    }
    return b.toString();
  }
}
