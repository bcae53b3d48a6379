package dev.consulvmagent.consul;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.consulvmagent.render.Json;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Connect intentions through the legacy API of Consul 1.8 (website/pages/api-docs/connect/
 * intentions.mdx and agent/connect.mdx at tag v1.8.7); 1.9+ adds service-intentions config entries
 * (spec.ConsulVersions) and keeps serving these endpoints on top of them, deprecated: the current
 * docs (developer.hashicorp.com/consul/commands/intention/create, also its v1.22.x page) still name
 * "[POST] /v1/connect/intentions" as what {@code consul intention create} calls, and
 * api-docs/connect/intentions says reading and writing "has been migrated to the service-intentions
 * config entry kind" from 1.9.0. So one code path serves the seed's 1.16 too. Required ACLs:
 * listing needs {@code intentions:read} on each destination (a token without it gets fewer entries,
 * not 403: real 1.8.7 with no token answers 200 []); create and delete need {@code
 * intentions:write} on the destination (real 1.8.7: 403 "Permission denied" otherwise; a
 * service-identity token alone cannot write); authorize needs {@code service:write} on the target.
 */
public final class IntentionApi {
  private final ConsulHttp http;

  public IntentionApi(ConsulHttp http) {
    this.http = http;
  }

  /** GET /v1/connect/intentions: every intention the token may read. */
  public List<Intention> list() {
    String path = "/v1/connect/intentions";
    List<Intention> out = new ArrayList<>();
    for (JsonNode n :
        AclApi.array(http.get(path, ConsulQuery.NONE, "intentions:read").body(), path))
      out.add(intention(n));
    return out;
  }

  /**
   * POST /v1/connect/intentions; returns the new ID. A second one for the same pair answers HTTP
   * 500 "duplicate intention found" on 1.8.7 (a {@link ConsulBadAnswerException}).
   */
  public String create(NewIntention i) {
    ObjectNode b = Json.mapper().createObjectNode();
    b.put("SourceName", i.sourceName())
        .put("DestinationName", i.destinationName())
        .put("SourceType", "consul")
        .put("Action", i.action())
        .put("Description", i.description());
    ObjectNode m = b.putObject("Meta");
    i.meta().forEach(m::put);
    return post("/v1/connect/intentions", b, "intentions:write on service " + i.destinationName())
        .path("ID")
        .asText();
  }

  /** DELETE /v1/connect/intentions/:id. */
  public void delete(String id, String destination) {
    http.delete(
        "/v1/connect/intentions/" + ConsulHttp.segment(id),
        ConsulQuery.NONE,
        "intentions:write on service " + destination);
  }

  /**
   * POST /v1/agent/connect/authorize: would the local agent let {@code source} call {@code target}
   * (Envoy's question for each connection), asked without Envoy. trustDomain: {@link
   * #trustDomain()}.
   */
  public Authorization authorize(String target, String source, String trustDomain) {
    ObjectNode b = Json.mapper().createObjectNode();
    b.put("Target", target)
        .put("ClientCertURI", "spiffe://" + trustDomain + "/ns/default/dc/any/svc/" + source);
    // real 1.8.7 matches intentions on the URI's service only; the dc segment is not checked
    JsonNode n = post("/v1/agent/connect/authorize", b, "service:write on " + target);
    return new Authorization(n.path("Authorized").asBoolean(false), n.path("Reason").asText(""));
  }

  /** GET /v1/connect/ca/roots: the SPIFFE trust domain (needs no ACL). */
  public String trustDomain() {
    String path = "/v1/connect/ca/roots";
    String td =
        AclApi.parse(http.get(path, ConsulQuery.NONE, "none").body(), path)
            .path("TrustDomain")
            .asText("");
    if (td.isEmpty())
      throw new ConsulBadAnswerException(path, 200, "no TrustDomain (Connect off?)");
    return td;
  }

  public record Intention(
      String id,
      String sourceName,
      String destinationName,
      String action,
      String description,
      Map<String, String> meta) {}

  public record NewIntention(
      String sourceName,
      String destinationName,
      String action,
      String description,
      Map<String, String> meta) {}

  public record Authorization(boolean authorized, String reason) {}

  private static Intention intention(JsonNode n) {
    Map<String, String> meta = new LinkedHashMap<>();
    n.path("Meta").fields().forEachRemaining(e -> meta.put(e.getKey(), e.getValue().asText()));
    return new Intention(
        n.path("ID").asText(""),
        n.path("SourceName").asText(""),
        n.path("DestinationName").asText(""),
        n.path("Action").asText(""),
        n.path("Description").asText(""),
        Map.copyOf(meta));
  }

  /** POSTs body as JSON to path and parses the answer; acl: what a 403 says was missing. */
  private JsonNode post(String path, ObjectNode body, String acl) {
    byte[] b = body.toString().getBytes(StandardCharsets.UTF_8);
    return AclApi.parse(http.post(path, b, ConsulQuery.NONE, acl).body(), path);
  }
}
