package dev.consulvmagent.spec;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The normalised mesh service, whichever form the service config used. Everything the registration,
 * Envoy's command line and the redirect rules need.
 */
public record MeshService(
    String name,
    int port,
    List<String> tags,
    Map<String, String> meta,
    boolean connect,
    boolean transparentProxy,
    boolean dialedDirectly,
    List<Upstream> upstreams,
    List<Integer> excludeInboundPorts,
    List<Integer> excludeOutboundPorts,
    List<String> excludeOutboundCidrs,
    List<Integer> excludeUids,
    List<String> envoyExtraArgs,
    Optional<Integer> metricsPort,
    String metricsPath,
    Map<String, Object> proxyConfig,
    boolean consulDns,
    Optional<String> virtualIp) {

  public String sidecarId() {
    return name + "-sidecar-proxy";
  }
}
