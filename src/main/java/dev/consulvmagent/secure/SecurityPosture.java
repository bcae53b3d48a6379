package dev.consulvmagent.secure;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.consulvmagent.consul.AclApi;
import dev.consulvmagent.consul.ConsulException;
import dev.consulvmagent.consul.IntentionApi;
import dev.consulvmagent.consul.PostureApi;
import dev.consulvmagent.consul.PostureApi.AgentSecurity;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.render.Json;
import dev.consulvmagent.spec.Secret;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * {@code status}'s security posture: gossip encrypted, TLS verify flags, ACL default policy, the
 * agent token present and accepted, the service token accepted, the declared intentions in place,
 * script checks off — each ok / warn / fail with a hint. Reads only; no secret is ever in a detail
 * or a hint.
 *
 * <p>Where the facts come from: a server asks its agent (GET /v1/agent/self with the management
 * token); a client's tokens may not read that (real 1.8.7: 403 for node- and service-identity
 * tokens), so it reads what its agent runs with: {@code <data_dir>/auto-config.json}, which the
 * servers wrote at auto_config (gossip key, TLS and ACL settings, the agent token), and the
 * rendered consul.json for the script-check settings.
 */
public final class SecurityPosture {
  public enum Level {
    OK,
    WARN,
    FAIL
  }

  public record Item(String name, Level level, String detail, String hint) {}

  /** What the machine's config says (see ServerSecurity / ClientSecurity). */
  public record Inputs(
      boolean server,
      String node,
      Optional<Secret> managementToken,
      Optional<Secret> serverAgentToken,
      Optional<String> service,
      List<String> allowFrom,
      String autoConfigState,
      String consulConfig) {}

  private SecurityPosture() {}

  public static List<Item> check(
      Inputs in,
      Host host,
      AclApi acl,
      PostureApi posture,
      Function<Secret, IntentionApi> intentions) {
    List<Item> out = new ArrayList<>();
    try {
      Optional<JsonNode> auto = json(host, in.autoConfigState());
      Optional<AgentSecurity> facts =
          in.managementToken().flatMap(posture::agentSecurity).or(() -> fromFiles(host, in, auto));
      if (facts.isEmpty()) {
        out.add(
            new Item(
                "security settings",
                Level.FAIL,
                "cannot read what the agent runs with (no management token here, no "
                    + in.autoConfigState()
                    + ")",
                in.server()
                    ? "set security.management_token (mesh user-data renders it for servers)"
                    : "the agent has not completed auto_config: journalctl -u consul"));
      } else {
        settings(out, in.server(), facts.get());
      }
      agentToken(out, in, acl, auto);
      if (!in.server()) dnsToken(out, host, acl);
      if (in.service().isPresent()) serviceSide(out, in, host, acl, intentions);
    } catch (ConsulException e) {
      out.add(
          new Item(
              "security",
              Level.FAIL,
              "Consul did not answer: " + e.getMessage(),
              "systemctl status consul"));
    }
    return out;
  }

  static void settings(List<Item> out, boolean server, AgentSecurity s) {
    out.add(
        s.gossipEncrypted()
            ? new Item("gossip encryption", Level.OK, "encrypted", "")
            : new Item(
                "gossip encryption",
                Level.FAIL,
                "gossip is in plain text: any host that reaches port 8301 can join",
                "security.gossip_key on servers (mesh user-data); clients get it by auto_config"));
    List<String> missing = new ArrayList<>();
    if (server && !s.verifyIncomingRpc()) missing.add("verify_incoming_rpc");
    if (!s.verifyOutgoing()) missing.add("verify_outgoing");
    if (!s.verifyServerHostname()) missing.add("verify_server_hostname");
    out.add(
        missing.isEmpty()
            ? new Item(
                "TLS",
                Level.OK,
                (server ? "verify_incoming_rpc, " : "") + "verify_outgoing, verify_server_hostname",
                "")
            : new Item(
                "TLS",
                Level.FAIL,
                "off: " + String.join(", ", missing),
                "security.ca_cert (and server_cert/server_key on servers), then apply"));
    if (!s.aclsEnabled())
      out.add(
          new Item(
              "ACL default policy",
              Level.FAIL,
              "ACLs are off: anyone who reaches the API may do anything",
              "security.mode secure with management_token on servers, then apply"));
    else if (!s.aclDefaultPolicy().equals("deny"))
      out.add(
          new Item(
              "ACL default policy",
              Level.WARN,
              s.aclDefaultPolicy() + " (intentions default to allow as well)",
              "acl.default_policy deny on the servers"));
    else out.add(new Item("ACL default policy", Level.OK, "deny", ""));
    if (s.remoteScriptChecks() || !s.disableRemoteExec())
      out.add(
          new Item(
              "script checks",
              Level.FAIL,
              String.join(
                  ", ",
                  Stream.of(
                          s.remoteScriptChecks() ? "enable_script_checks is on" : "",
                          !s.disableRemoteExec() ? "remote exec is on" : "")
                      .filter(x -> !x.isEmpty())
                      .toList()),
              "enable_script_checks false, disable_remote_exec true (hashicorp/consul #4931)"));
    else if (s.localScriptChecks())
      out.add(
          new Item(
              "script checks",
              Level.WARN,
              "local script checks on (by the config's opt-in); remote ones off",
              ""));
    else
      out.add(new Item("script checks", Level.OK, "off (remote and local), remote exec off", ""));
  }

  private static void agentToken(List<Item> out, Inputs in, AclApi acl, Optional<JsonNode> auto) {
    Optional<Secret> token =
        in.server()
            ? in.serverAgentToken()
            : auto.map(a -> a.path("Config").path("ACL").path("Tokens").path("Agent").asText(""))
                .filter(t -> !t.isEmpty())
                .map(Secret::new);
    if (token.isEmpty()) {
      out.add(
          new Item(
              "agent token",
              Level.FAIL,
              "none",
              in.server()
                  ? "security.server_agent_token (mesh user-data renders it)"
                  : "the agent gets it at auto_config: journalctl -u consul"));
      return;
    }
    Optional<AclApi.Token> t = acl.tokenSelf(token.get());
    if (t.isEmpty()) {
      out.add(
          new Item(
              "agent token",
              Level.FAIL,
              "present but not accepted by the servers (deleted?)",
              in.server()
                  ? "consul-vm-agent apply on this server makes it again"
                  : "a client's agent token comes only from auto_config: render a new intro JWT"
                      + " (mesh user-data), remove "
                      + in.autoConfigState()
                      + " and restart consul"));
      return;
    }
    boolean mine = t.get().nodeIdentities().stream().anyMatch(n -> n.nodeName().equals(in.node()));
    out.add(
        mine
            ? new Item("agent token", Level.OK, "accepted, node identity " + in.node(), "")
            : new Item(
                "agent token",
                Level.WARN,
                "accepted, but without the node identity " + in.node(),
                "consul-vm-agent apply"));
  }

  /**
   * A client's DNS (default) token (issue 19): without it Consul DNS answers no *.consul name here.
   * Accepted with the read-only DNS role and nothing else, or a fail with what apply can do.
   */
  private static void dnsToken(List<Item> out, Host host, AclApi acl) {
    out.add(
        loginToken(
            LoginTokenResource.DNS,
            "DNS token",
            "Consul DNS answers no *.consul name here",
            "read-only",
            "every token-less local caller gets that",
            host,
            acl));
  }

  /**
   * A client's fleet watcher token (issue 22), for a machine with a fleet block and no token_file
   * of its own: accepted with its group's watcher role and nothing else. Reads only.
   */
  public static Item fleetToken(Host host, AclApi acl, String group) {
    try {
      return loginToken(
          LoginTokenResource.fleet(group),
          "fleet token",
          "consul-vm-agent-watch cannot follow group " + group + "'s rollouts",
          "group " + group + " only",
          "the watcher holds more than its group's rights",
          host,
          acl);
    } catch (ConsulException e) {
      return new Item("fleet token", Level.FAIL, "Consul did not answer: " + e.getMessage(), "");
    }
  }

  private static Item loginToken(
      LoginTokenResource.Kind kind,
      String name,
      String without,
      String scope,
      String tooMuch,
      Host host,
      AclApi acl) {
    Optional<Secret> token = LoginTokenResource.stored(host, kind.path());
    if (token.isEmpty())
      return new Item(
          name,
          Level.FAIL,
          "none (" + kind.path() + "): " + without,
          "consul-vm-agent apply (logs in with the intro JWT)");
    Optional<AclApi.Token> t = acl.tokenSelf(token.get());
    if (t.isEmpty())
      return new Item(
          name,
          Level.FAIL,
          "not accepted by the servers (deleted?): " + without,
          "consul-vm-agent apply logs in again while the intro JWT is valid; after its exp,"
              + " render a new one (mesh user-data) into security.intro_token");
    String grants = LoginTokenResource.grants(t.get());
    return grants.equals(kind.wanted())
        ? new Item(name, Level.OK, "accepted, " + scope + " (" + kind.role() + ")", "")
        : new Item(
            name,
            Level.WARN,
            "accepted, but it grants " + grants + ": " + tooMuch,
            "consul-vm-agent apply replaces it");
  }

  private static void serviceSide(
      List<Item> out, Inputs in, Host host, AclApi acl, Function<Secret, IntentionApi> intentions) {
    String svc = in.service().get();
    String path = ServiceTokenResource.path(svc);
    Optional<Secret> token =
        host.fs()
            .readIfExists(path)
            .map(b -> new String(b, StandardCharsets.UTF_8).strip())
            .filter(s -> !s.isEmpty())
            .map(Secret::new);
    if (token.isEmpty()) {
      out.add(
          new Item("service token", Level.FAIL, "no " + path, "consul-vm-agent apply (logs in)"));
      return;
    }
    Optional<AclApi.Token> t = acl.tokenSelf(token.get());
    if (t.isEmpty()) {
      out.add(
          new Item(
              "service token",
              Level.FAIL,
              "not accepted by the servers (deleted?)",
              "consul-vm-agent apply logs in again while the intro JWT is valid; after its exp,"
                  + " render a new one (mesh user-data) into security.intro_token"));
      return;
    }
    out.add(
        new Item(
            "service token",
            t.get().serviceIdentities().contains(svc) ? Level.OK : Level.WARN,
            "accepted, service identity " + String.join(",", t.get().serviceIdentities()),
            ""));
    TreeSet<String> in_ = new TreeSet<>();
    TreeSet<String> extra = new TreeSet<>();
    for (IntentionApi.Intention i : intentions.apply(token.get()).list()) {
      if (!i.destinationName().equals(svc) || !i.action().equals("allow")) continue;
      if (in.allowFrom().contains(i.sourceName())) in_.add(i.sourceName());
      else if (IntentionsResource.MANAGED_BY.equals(i.meta().get("managed-by")))
        extra.add(i.sourceName());
    }
    TreeSet<String> missing = new TreeSet<>(in.allowFrom());
    missing.removeAll(in_);
    if (!missing.isEmpty())
      out.add(
          new Item(
              "intentions",
              Level.FAIL,
              "allow_from not in place: " + String.join(",", missing),
              "consul-vm-agent apply"));
    else if (!extra.isEmpty())
      out.add(
          new Item(
              "intentions",
              Level.WARN,
              "ours but no longer declared: " + String.join(",", extra),
              "consul-vm-agent apply"));
    else
      out.add(
          new Item(
              "intentions",
              Level.OK,
              in.allowFrom().isEmpty()
                  ? "none declared: every call into " + svc + " is denied"
                  : "allow from "
                      + String.join(",", new TreeSet<>(in.allowFrom()))
                      + "; others denied",
              ""));
  }

  private static Optional<AgentSecurity> fromFiles(Host host, Inputs in, Optional<JsonNode> auto) {
    if (auto.isEmpty()) return Optional.empty();
    JsonNode c = auto.get().path("Config");
    JsonNode local = json(host, in.consulConfig()).orElseGet(JsonNodeFactory.instance::objectNode);
    return Optional.of(
        new AgentSecurity(
            !c.path("Gossip").path("Encryption").path("Key").asText("").isEmpty()
                && c.path("Gossip").path("Encryption").path("VerifyIncoming").asBoolean(false),
            false,
            c.path("TLS").path("VerifyOutgoing").asBoolean(false),
            c.path("TLS").path("VerifyServerHostname").asBoolean(false),
            c.path("ACL").path("Enabled").asBoolean(false),
            c.path("ACL").path("DefaultPolicy").asText(""),
            local.path("enable_script_checks").asBoolean(false),
            local.path("enable_local_script_checks").asBoolean(false),
            local.path("disable_remote_exec").asBoolean(false)));
  }

  private static Optional<JsonNode> json(Host host, String path) {
    try {
      Optional<byte[]> b = host.fs().readIfExists(path);
      if (b.isEmpty()) return Optional.empty();
      JsonNode n = Json.tree(b.get());
      return n != null && n.isObject() ? Optional.of(n) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
