package dev.consulvmagent.sidecar;

import dev.consulvmagent.spec.ConsulVersions;
import dev.consulvmagent.spec.ConsulVersions.Feature;
import dev.consulvmagent.spec.MeshService;
import dev.consulvmagent.spec.Upstream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders /etc/consul.d/service-registration.json (Consul agent-config service definition with a
 * sidecar_service stanza) and the command lines that go with it, for a given Consul version: keys
 * that version does not know are not written (the table is {@link ConsulVersions}).
 */
public final class Registration {
  public static final String MANAGED_BY = "consul-vm-agent";

  private Registration() {}

  /**
   * The service definition for Consul {@code consulVersion}. A feature the version lacks is refused
   * (exit 3 naming consul.version), never silently dropped. A service without a port (port 0) gets
   * no "port", no TCP check on it and no port on its virtual address: consul-k8s registers such a
   * service with Port 0 (control-plane/connect-inject/controllers/endpoints/
   * endpoints_controller.go @v1.2.9), and the seed writes no "port" and no tagged address
   * (generate-sidecar-configs.py, blake/ansible-collection-consul@0c86abe).
   */
  public static Map<String, Object> document(MeshService s, String consulVersion) {
    ConsulVersions.requireMesh(consulVersion, s, "service");
    boolean hasPort = s.port() != 0;
    Map<String, Object> svc = new LinkedHashMap<>();
    svc.put("name", s.name());
    svc.put("id", s.name());
    if (hasPort) svc.put("port", s.port());
    if (!s.tags().isEmpty()) svc.put("tags", s.tags());
    Map<String, Object> meta = new LinkedHashMap<>(s.meta());
    meta.put("managed-by", MANAGED_BY);
    svc.put("meta", meta);
    // consul-k8s (control-plane/connect-inject/controllers/endpoints/endpoints_controller.go,
    // createServiceRegistrations, inside `if tproxyEnabled`) sets the "virtual" tagged address on
    // the service AND on its proxy: `service.TaggedAddresses = taggedAddresses` and
    // `proxyService.TaggedAddresses = taggedAddresses`. Consul does not copy tagged addresses to
    // a sidecar_service, and transparent proxies match upstreams' proxies on it (Consul 1.10+,
    // hashicorp/consul PR #10162): without transparent proxy it has no effect, so not written.
    Map<String, Object> tagged =
        s.virtualIp()
            .filter(
                ip ->
                    s.connect()
                        && s.transparentProxy()
                        && ConsulVersions.has(consulVersion, Feature.VIRTUAL_TAGGED_ADDRESS))
            .<Map<String, Object>>map(
                ip ->
                    Map.of(
                        "virtual",
                        hasPort ? Map.of("address", ip, "port", s.port()) : Map.of("address", ip)))
            .orElse(null);
    if (tagged != null) svc.put("tagged_addresses", tagged);
    if (hasPort) {
      svc.put(
          "check",
          Map.of(
              "name", s.name() + " listening",
              "tcp", "127.0.0.1:" + s.port(),
              "interval", "10s"));
    }
    if (s.connect()) {
      Map<String, Object> proxy = new LinkedHashMap<>();
      if (s.transparentProxy() && ConsulVersions.has(consulVersion, Feature.TRANSPARENT_PROXY)) {
        proxy.put("mode", "transparent");
        if (s.dialedDirectly()) proxy.put("transparent_proxy", Map.of("dialed_directly", true));
      }
      List<Object> ups = new ArrayList<>();
      for (Upstream u : s.upstreams()) ups.add(u.toJson());
      if (!ups.isEmpty()) proxy.put("upstreams", ups);
      Map<String, Object> config = new LinkedHashMap<>(s.proxyConfig());
      s.metricsPort().ifPresent(p -> config.put("envoy_prometheus_bind_addr", "0.0.0.0:" + p));
      if (!config.isEmpty()) proxy.put("config", config);
      Map<String, Object> sidecar = new LinkedHashMap<>();
      if (tagged != null) sidecar.put("tagged_addresses", tagged);
      sidecar.put("proxy", proxy);
      svc.put("connect", Map.of("sidecar_service", sidecar));
    }
    return Map.of("service", svc);
  }

  /**
   * The arguments of {@code consul connect envoy} for this service (after the binary), with only
   * flags Consul consulVersion knows.
   */
  public static List<String> connectEnvoyArgs(
      MeshService s, String adminBind, String consulVersion) {
    List<String> a =
        new ArrayList<>(
            List.of("connect", "envoy", "-sidecar-for=" + s.name(), "-admin-bind=" + adminBind));
    a.addAll(connectEnvoyFlags(s, consulVersion));
    return a;
  }

  /** The service's own flags of {@link #connectEnvoyArgs} (after -sidecar-for, -admin-bind). */
  public static List<String> connectEnvoyFlags(MeshService s, String consulVersion) {
    List<String> a = new ArrayList<>();
    if (ConsulVersions.has(consulVersion, Feature.PROMETHEUS_SCRAPE_PATH)) {
      s.metricsPort().ifPresent(p -> a.add("-prometheus-scrape-path=" + s.metricsPath()));
    }
    if (!s.envoyExtraArgs().isEmpty()) {
      a.add("--");
      a.addAll(s.envoyExtraArgs());
    }
    return a;
  }

  /** The redirect-traffic flags (Consul spelling) for this service's sidecar. */
  public static List<String> redirectArgs(MeshService s, int proxyUid) {
    List<String> a =
        new ArrayList<>(List.of("-proxy-uid=" + proxyUid, "-proxy-id=" + s.sidecarId()));
    for (int p : s.excludeInboundPorts()) a.add("-exclude-inbound-port=" + p);
    for (int p : s.excludeOutboundPorts()) a.add("-exclude-outbound-port=" + p);
    for (String c : s.excludeOutboundCidrs()) a.add("-exclude-outbound-cidr=" + c);
    for (int u : s.excludeUids()) a.add("-exclude-uid=" + u);
    if (s.consulDns()) {
      a.add("-consul-dns-ip=127.0.0.1");
      a.add("-consul-dns-port=8600");
    }
    return a;
  }
}
