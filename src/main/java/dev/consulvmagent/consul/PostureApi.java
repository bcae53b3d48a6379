package dev.consulvmagent.consul;

import com.fasterxml.jackson.databind.JsonNode;
import dev.consulvmagent.spec.Secret;
import java.util.Optional;

/**
 * The security settings an agent runs with, from GET /v1/agent/self (agent:read on the node: the
 * management token has it; a client's node-identity agent token and service token do not — real
 * 1.8.7 answers them 403 — so clients read the same facts from their auto-config.json instead, see
 * secure.SecurityPosture). Field names as 1.8.7's DebugConfig spells them (seen on the real agent).
 */
public final class PostureApi {
  private final ConsulHttp http;

  public PostureApi(ConsulHttp http) {
    this.http = http;
  }

  /** What /v1/agent/self says; empty when the token may not read it (403). */
  public Optional<AgentSecurity> agentSecurity(Secret token) {
    String path = "/v1/agent/self";
    ConsulHttp.Raw r = http.exchange("GET", path, null, ConsulQuery.NONE.withToken(token));
    if (r.code() == 403) return Optional.empty();
    if (r.code() != 200)
      throw new ConsulBadAnswerException(path, r.code(), ConsulHttp.excerpt(r.body()));
    JsonNode self = AclApi.parse(r.body(), path);
    JsonNode c = self.path("DebugConfig");
    return Optional.of(
        new AgentSecurity(
            "true".equals(self.path("Stats").path("serf_lan").path("encrypted").asText()),
            c.path("VerifyIncomingRPC").asBoolean(false)
                || c.path("VerifyIncoming").asBoolean(false),
            c.path("VerifyOutgoing").asBoolean(false),
            c.path("VerifyServerHostname").asBoolean(false),
            c.path("ACLsEnabled").asBoolean(false),
            c.path("ACLDefaultPolicy").asText(""),
            c.path("EnableRemoteScriptChecks").asBoolean(true),
            c.path("EnableLocalScriptChecks").asBoolean(true),
            c.path("DisableRemoteExec").asBoolean(false)));
  }

  /** The agent's security-relevant settings. */
  public record AgentSecurity(
      boolean gossipEncrypted,
      boolean verifyIncomingRpc,
      boolean verifyOutgoing,
      boolean verifyServerHostname,
      boolean aclsEnabled,
      String aclDefaultPolicy,
      boolean remoteScriptChecks,
      boolean localScriptChecks,
      boolean disableRemoteExec) {}
}
