package dev.consulvmagent.spec;

import java.util.LinkedHashMap;
import java.util.Map;

/** One upstream of the sidecar, in Consul agent-config keys (empty values omitted). */
public record Upstream(
    String destinationType,
    String destinationName,
    String destinationPeer,
    String datacenter,
    int localBindPort) {
  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    if (!"service".equals(destinationType)) m.put("destination_type", destinationType);
    m.put("destination_name", destinationName);
    if (destinationPeer != null) m.put("destination_peer", destinationPeer);
    if (datacenter != null) m.put("datacenter", datacenter);
    m.put("local_bind_port", localBindPort);
    return m;
  }
}
