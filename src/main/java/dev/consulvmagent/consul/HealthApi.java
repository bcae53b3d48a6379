package dev.consulvmagent.consul;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Health checks as the catalog sees them (/v1/health; website/pages/api-docs/health.mdx at v1.8.7).
 */
public final class HealthApi {
  private final ConsulHttp http;

  public HealthApi(ConsulHttp http) {
    this.http = http;
  }

  /** One check: its status is passing, warning or critical. */
  public record Check(
      String node, String checkId, String name, String status, String serviceId, String output) {
    public boolean passing() {
      return status.equals("passing");
    }
  }

  /**
   * GET /v1/health/node/:node: every check of a node (its serfHealth and its services' checks).
   * ACL: node:read, and service:read for each service's checks (filtered by the token).
   */
  public List<Check> node(String node, ConsulQuery q) {
    String path = "/v1/health/node/" + ConsulHttp.segment(node);
    return checks(http.get(path, q, "node:read on " + node + ", service:read").body(), path);
  }

  private static List<Check> checks(String body, String where) {
    List<Check> out = new ArrayList<>();
    for (JsonNode n : KvApi.tree(body, where))
      out.add(
          new Check(
              n.path("Node").asText(),
              n.path("CheckID").asText(),
              n.path("Name").asText(),
              n.path("Status").asText(),
              n.path("ServiceID").asText(),
              n.path("Output").asText()));
    return out;
  }
}
