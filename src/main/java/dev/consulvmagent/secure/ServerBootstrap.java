package dev.consulvmagent.secure;

import dev.consulvmagent.consul.AclApi;
import dev.consulvmagent.engine.Resource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The cluster objects a server keeps, in order, once a leader exists (all with the management
 * token; a re-run reads them and changes nothing; one deleted is made again):
 *
 * <ol>
 *   <li>the management token is the cluster's (ACL bootstrap happened, from acl.tokens.master);
 *   <li>the server's own agent token (pre-set secret, node identity node:dc);
 *   <li>per service in security.services, a policy {@code service "<s>" {policy = "read",
 *       intentions = "write"}} and a role {@code consul-vm-agent-svc-<s>} holding it;
 *   <li>the JWT auth method {@value #AUTH_METHOD};
 *   <li>binding rules: BindType service, BindName {@code ${value.service}} (the service's own
 *       identity) and BindType role, BindName {@code consul-vm-agent-svc-${value.service}}.
 * </ol>
 *
 * <p>Who writes intentions: the destination's own agent, with its login token. A service identity
 * alone cannot (real 1.8.7: 403), and giving every service token {@code intentions = "write"} on
 * {@code service_prefix ""} would let any VM open any service. The server cannot write them either:
 * the declarations live in each client's config, which the server never sees, and a server-side
 * loop would need the management token to act on clients' say-so. So the server makes, per service
 * it is told about, a role that grants intentions:write on that one destination; the role binding
 * rule puts it on that service's login token (real 1.8.7: a role binding whose role does not exist
 * is skipped at login, so a service not listed still logs in, and its agent says which setting is
 * missing). The roles exist before the auth method, so no client can log in before its role is
 * there.
 */
public final class ServerBootstrap {
  public static final String AUTH_METHOD = "consul-vm-agent-jwt";
  public static final String ROLE_PREFIX = "consul-vm-agent-svc-";
  static final String MARK = "consul-vm-agent: ";

  private ServerBootstrap() {}

  /** acl: an AclApi whose endpoint carries the management token. */
  public static List<Resource> resources(ServerSecurity s, AclApi acl) {
    List<Resource> out = new ArrayList<>();
    out.add(new ManagementTokenResource(acl, s.managementToken()));
    out.add(new AgentTokenResource(acl, s.agentToken(), s.node(), s.datacenter()));
    for (String svc : s.services()) {
      String policy = ROLE_PREFIX + svc + "-intentions";
      out.add(
          new PolicyResource(
              acl,
              policy,
              MARK + "lets service " + svc + " keep the intentions that allow calls to it",
              "service \"" + svc + "\" {\n  policy = \"read\"\n  intentions = \"write\"\n}\n"));
      out.add(
          new RoleResource(
              acl, ROLE_PREFIX + svc, MARK + "login role of service " + svc, List.of(policy)));
    }
    out.add(
        new AuthMethodResource(
            acl,
            new AclApi.AuthMethod(
                AUTH_METHOD,
                "jwt",
                MARK + "intro JWTs minted by consul-vm-agent mesh user-data",
                List.of(s.jwtPublicKeyPem()),
                s.issuer(),
                List.of(ServerSecurity.AUDIENCE),
                Map.of("node", "node", "service", "service"))));
    out.add(
        new BindingRuleResource(
            acl,
            AUTH_METHOD,
            MARK + "service identity from the JWT's service claim",
            "service",
            "${value.service}"));
    out.add(
        new BindingRuleResource(
            acl,
            AUTH_METHOD,
            MARK + "intentions role of the JWT's service",
            "role",
            ROLE_PREFIX + "${value.service}"));
    return out;
  }
}
