package dev.consulvmagent.consul;

import com.fasterxml.jackson.databind.JsonNode;
import dev.consulvmagent.render.Json;
import dev.consulvmagent.spec.Secret;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The local Consul agent's calls we make (the shape of Nomad's {@code AgentAPI},
 * command/agent/consul/service_client.go: only the calls made, typed results). Every call goes
 * through {@link ConsulHttp}, so failures are its {@link ConsulException} kinds. The ACL each call
 * needs is the "ACL Required" column of Consul's API docs of the 1.8 series (hashicorp/consul
 * website/pages/api-docs/agent/index.mdx, agent/service.mdx, agent/check.mdx, status.mdx), and the
 * answers' shapes are the ones recorded from the real 1.8.7
 * (src/test/resources/recorded/consul-1.8.7/, AgentApiRealTest).
 */
public final class AgentApi {
  /** GET /v1/agent/self, the part we read. */
  public record Self(
      String version, String datacenter, String nodeName, Optional<List<String>> dnsAddrs) {}

  /**
   * A service registered with the agent (GET /v1/agent/service/:id, and the values of
   * /v1/agent/services). kind: "" for a typical service, "connect-proxy" for a sidecar.
   */
  public record Service(String id, String service, String kind, int port, Optional<Proxy> proxy) {
    public Service {
      proxy = proxy == null ? Optional.empty() : proxy;
    }
  }

  /**
   * A proxy's settings. config: Proxy.Config, free-form in Consul (map[string]interface{}), values
   * as JSON gives them (strings, numbers, booleans, lists, maps); outboundListenerPort: 0 when
   * unset (TransparentProxy, 1.10+); exposePathPorts: Expose.Paths' listener ports.
   */
  public record Proxy(
      String destinationServiceId,
      String mode,
      Map<String, Object> config,
      int outboundListenerPort,
      boolean exposeChecks,
      List<Integer> exposePathPorts) {}

  /** A check of the agent (GET /v1/agent/checks); exposedPort 0 when not exposed. */
  public record Check(
      String checkId,
      String name,
      String status,
      String output,
      String serviceId,
      int exposedPort) {}

  /** A gossip member (GET /v1/agent/members); status 1 is alive (serf.StatusAlive). */
  public record Member(String name, String addr, int port, int status, Map<String, String> tags) {}

  private final ConsulHttp http;

  public AgentApi(ConsulHttp http) {
    this.http = http;
  }

  /** This agent with token t, unless its endpoint has a token already (the environment's wins). */
  public AgentApi withTokenIfNone(Optional<Secret> t) {
    return http.endpoint().token().isPresent() || t.isEmpty()
        ? this
        : new AgentApi(http.withToken(t.get()));
  }

  /** Where the calls go (for messages). */
  public ConsulEndpoint endpoint() {
    return http.endpoint();
  }

  /**
   * GET /v1/status/leader. ACL: none (status.mdx: "ACL Required: none"). The leader's address, or
   * empty while there is none: the agent answers 500 "No known Consul servers" before it joined a
   * server, and 200 with an empty string while servers have no quorum (both recorded from 1.8.7:
   * status-leader-no-known-servers.json, status-leader-no-quorum.json).
   */
  public Optional<String> leader() {
    String path = "/v1/status/leader";
    ConsulHttp.Raw a = http.exchange("GET", path, null, ConsulQuery.NONE);
    if (a.code() == 500 && ConsulHttp.unavailable(a.body())) return Optional.empty();
    if (a.code() != 200) throw new ConsulBadAnswerException(path, a.code(), excerpt(a.body()));
    String v = a.body().strip().replace("\"", "");
    return v.isEmpty() ? Optional.empty() : Optional.of(v);
  }

  /**
   * GET /v1/agent/self. ACL: agent:read (agent/index.mdx "Read Configuration"; the real 1.8.7
   * answers 403 "Permission denied" without it: acl-agent-self-denied.json).
   */
  public Self self() {
    return parseSelf(http.get("/v1/agent/self", ConsulQuery.NONE, "agent:read").body());
  }

  /**
   * GET /v1/agent/services. ACL: service:read, per service: Consul filters out the services the
   * token may not read and still answers 200 (recorded from 1.8.7:
   * acl-agent-services-no-token.json), so an empty map may mean a missing policy.
   */
  public Map<String, Service> services() {
    String path = "/v1/agent/services";
    JsonNode all = tree(http.get(path, ConsulQuery.NONE, "service:read").body(), path);
    Map<String, Service> out = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = all.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      out.put(e.getKey(), service(e.getValue()));
    }
    return out;
  }

  /**
   * GET /v1/agent/service/:id. ACL: service:read on that service (agent/service.mdx "Get Service
   * Configuration"). Empty when the agent has no such service (404, agent-service-unknown.json).
   */
  public Optional<Service> service(String id) {
    String path = "/v1/agent/service/" + ConsulHttp.segment(id);
    try {
      return Optional.of(
          service(
              tree(
                  http.get(path, ConsulQuery.NONE, "service:read on \"" + id + "\"").body(),
                  path)));
    } catch (ConsulNotFoundException e) {
      return Optional.empty();
    }
  }

  /**
   * PUT /v1/agent/reload. ACL: agent:write (agent/index.mdx "Reload Agent"). A config the agent
   * cannot load answers 500 with its error (a {@link ConsulBadAnswerException} carrying it).
   */
  public void reload() {
    http.put("/v1/agent/reload", null, ConsulQuery.NONE, "agent:write");
  }

  /**
   * Whether the agent resolves ACL tokens the 1.4+ way yet. A 1.8 agent starts in legacy ACL mode:
   * a server until its leader has upgraded the ACL system (real 1.8.7, a fresh lone server: about 9
   * s after start, GET /v1/acl/token/ANONYMOUS answering 500 "The ACL system is currently in legacy
   * mode" meanwhile), a client until its gossip shows every alive server with ACLs enabled,
   * re-checked after 50 ms, then doubling up to 30 s (hashicorp/consul v1.8.7
   * agent/consul/acl_client.go monitorACLMode), so a client that joined a server still in legacy
   * mode can lag it by up to 30 s. Meanwhile the agent refuses every token it resolves itself
   * (agent endpoints, {@code consul reload}) with 403 "ACL not found" (real 1.8.7; CI's e2e-cloud
   * met it as a failed `consul reload` on a client one second after its join). Asked with no token:
   * the anonymous token always exists once ACLs are up, so "ACL not found" means only that window;
   * before the agent knows a server it answers 500. ACL: none needed (GET /v1/agent/members answers
   * 200 with what the token may see, or 403 "Permission denied").
   */
  public boolean resolvesTokens() {
    ConsulHttp.Raw a = http.exchange("GET", "/v1/agent/members", null, ConsulQuery.NONE);
    return a.code() == 200 || (a.code() == 403 && !a.body().contains("ACL not found"));
  }

  /** GET /v1/agent/members (LAN). ACL: node:read (agent/index.mdx "List Members"). */
  public List<Member> members() {
    String path = "/v1/agent/members";
    JsonNode all = tree(http.get(path, ConsulQuery.NONE, "node:read").body(), path);
    List<Member> out = new ArrayList<>();
    for (JsonNode m : all) {
      Map<String, String> tags = new LinkedHashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = m.path("Tags").fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> t = it.next();
        tags.put(t.getKey(), t.getValue().asText());
      }
      out.add(
          new Member(
              m.path("Name").asText(),
              m.path("Addr").asText(),
              m.path("Port").asInt(0),
              m.path("Status").asInt(0),
              tags));
    }
    return out;
  }

  /**
   * GET /v1/agent/checks, by check ID. ACL: node:read for node checks, service:read for a service's
   * (agent/check.mdx "List Checks": {@code node:read,service:read}; checks the token may not read
   * are left out).
   */
  public Map<String, Check> checks() {
    String path = "/v1/agent/checks";
    JsonNode all = tree(http.get(path, ConsulQuery.NONE, "node:read,service:read").body(), path);
    Map<String, Check> out = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = all.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode c = e.getValue();
      out.put(
          e.getKey(),
          new Check(
              c.path("CheckID").asText(),
              c.path("Name").asText(),
              c.path("Status").asText(),
              c.path("Output").asText(),
              c.path("ServiceID").asText(),
              c.path("ExposedPort").asInt(0)));
    }
    return out;
  }

  /** The typed form of a /v1/agent/self answer (also for recorded answers in tests). */
  public static Self parseSelf(String body) {
    String path = "/v1/agent/self";
    JsonNode s = tree(body, path);
    if (!s.isObject()) throw new ConsulBadAnswerException(path, 200, "not a JSON object");
    JsonNode c = s.path("Config");
    JsonNode dns = s.path("DebugConfig").get("DNSAddrs");
    Optional<List<String>> addrs = Optional.empty();
    if (dns != null && dns.isArray()) {
      List<String> l = new ArrayList<>();
      for (JsonNode a : dns) l.add(a.asText());
      addrs = Optional.of(l);
    }
    return new Self(
        c.path("Version").asText(""),
        c.path("Datacenter").asText(""),
        c.path("NodeName").asText(""),
        addrs);
  }

  /** The typed form of a /v1/agent/service/:id answer (also for recorded answers in tests). */
  public static Service parseService(String body) {
    return service(tree(body, "/v1/agent/service"));
  }

  private static Service service(JsonNode s) {
    JsonNode p = s.path("Proxy");
    Optional<Proxy> proxy = Optional.empty();
    if (p.isObject()) {
      List<Integer> paths = new ArrayList<>();
      for (JsonNode x : p.path("Expose").path("Paths")) {
        int lp = x.path("ListenerPort").asInt(0);
        if (lp != 0) paths.add(lp);
      }
      Map<String, Object> config =
          p.path("Config").isObject() ? plainMap(p.path("Config")) : Map.of();
      proxy =
          Optional.of(
              new Proxy(
                  p.path("DestinationServiceID").asText(),
                  p.path("Mode").asText(""),
                  config,
                  p.path("TransparentProxy").path("OutboundListenerPort").asInt(0),
                  p.path("Expose").path("Checks").asBoolean(false),
                  paths));
    }
    return new Service(
        s.path("ID").asText(),
        s.path("Service").asText(),
        s.path("Kind").asText(""),
        s.path("Port").asInt(0),
        proxy);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> plainMap(JsonNode object) {
    return (Map<String, Object>) Json.plain(object);
  }

  private static JsonNode tree(String body, String path) {
    try {
      JsonNode n = Json.tree(body);
      if (n == null) throw new ConsulBadAnswerException(path, 200, "an empty answer");
      return n;
    } catch (IOException e) {
      throw new ConsulBadAnswerException(path, 200, "not JSON: " + excerpt(body));
    }
  }

  private static String excerpt(String body) {
    return ConsulHttp.excerpt(body);
  }
}
