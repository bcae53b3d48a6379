package dev.consulvmagent.secure;

import dev.consulvmagent.consul.AclApi;
import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.fleet.FleetAcl;
import dev.consulvmagent.fleet.FleetKeys;
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
 *       identity) and BindType role, BindName {@code consul-vm-agent-svc-${value.service}};
 *   <li>the DNS read role and its auth method ({@link #dnsResources});
 *   <li>per group in security.fleet_groups, the fleet watchers' policy and role, and their auth
 *       method ({@link #fleetResources}).
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
    for (String svc : s.services())
      out.addAll(
          loginRole(
              acl,
              ROLE_PREFIX + svc,
              MARK + "login role of service " + svc,
              ROLE_PREFIX + svc + "-intentions",
              MARK + "lets service " + svc + " keep the intentions that allow calls to it",
              "service \"" + svc + "\" {\n  policy = \"read\"\n  intentions = \"write\"\n}\n"));
    out.add(
        introMethod(
            s,
            acl,
            AUTH_METHOD,
            MARK + "intro JWTs minted by consul-vm-agent mesh user-data",
            Map.of("node", "node", "service", "service")));
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
    out.addAll(dnsResources(s, acl));
    out.addAll(fleetResources(s, acl));
    return out;
  }

  /** The policy that lets a client agent answer DNS; see {@link #dnsResources}. */
  public static final String DNS_POLICY = "consul-vm-agent-dns-read";

  /** The role a DNS login token gets. */
  public static final String DNS_ROLE = "consul-vm-agent-dns";

  /** The auth method a client logs in to (same intro JWT) for its agent's default token. */
  public static final String DNS_AUTH_METHOD = "consul-vm-agent-jwt-dns";

  /**
   * Read-only catalog access, what Consul DNS needs (Consul's 1.8 docs,
   * website/pages/docs/security/acl/acl-rules.mdx: "Node Rules": without node read on a node "the
   * DNS interface will return no records" for it; service read for service names; "Prepared Query
   * Rules": executing a query, also over DNS, "is subject to node/node_prefix and
   * service/service_prefix policies", so no query rule is needed). Checked against the real 1.8.7
   * in DnsTokenRealTest. No write of any kind: every local process that sends no token gets these
   * rights.
   */
  static final String DNS_RULES =
      "node_prefix \"\" {\n  policy = \"read\"\n}\n"
          + "service_prefix \"\" {\n  policy = \"read\"\n}\n";

  /**
   * Issue 19, DNS on secure clients: under default deny a DNS lookup runs with the agent's default
   * token (acl.tokens.default), and a client has none. The same intro JWT logs in to a second auth
   * method whose only binding rule gives the role {@value #DNS_ROLE} (read-only catalog), and the
   * client installs that token as its default (secure.LoginTokenResource). A second method, because
   * binding rules select on the JWT's claims only, so one method cannot give one JWT two different
   * tokens. Policy and role exist before the method, as for the service roles.
   */
  static List<Resource> dnsResources(ServerSecurity s, AclApi acl) {
    List<Resource> out =
        new ArrayList<>(
            loginRole(
                acl,
                DNS_ROLE,
                MARK + "default token of client agents: DNS",
                DNS_POLICY,
                MARK + "read-only catalog for Consul DNS on client agents (their default token)",
                DNS_RULES));
    out.add(
        introMethod(
            s,
            acl,
            DNS_AUTH_METHOD,
            MARK + "intro JWTs, for the client agent's DNS (default) token",
            Map.of("node", "node")));
    out.add(
        new BindingRuleResource(
            acl, DNS_AUTH_METHOD, MARK + "DNS read role for every intro JWT", "role", DNS_ROLE));
    return out;
  }

  /** The auth method a fleet VM logs in to (same intro JWT) for its watcher's token. */
  public static final String FLEET_AUTH_METHOD = "consul-vm-agent-jwt-fleet";

  /** The role of group G's watchers is this prefix + G. */
  public static final String FLEET_ROLE_PREFIX = "consul-vm-agent-fleet-";

  /**
   * Issue 22, the fleet watcher's token from the secure bootstrap: per group in
   * security.fleet_groups, a policy with the group's watcher rules
   * (fleet.FleetAcl#groupWatcherRules) and the role {@code consul-vm-agent-fleet-<group>}; a third
   * JWT auth method mapping the intro JWT's {@code group} claim (mesh user-data adds it for a
   * machine with a fleet block), whose one binding rule gives the role {@code
   * consul-vm-agent-fleet-${value.group}}. A third method, since a method's binding rules apply to
   * every login and the service and DNS tokens must not get a fleet role. A JWT without a group
   * claim, or naming a group the servers were not told about, gets no role and its login is refused
   * (real 1.8.7, FleetTokenRealTest). No method is made without groups, so a mesh without fleets
   * has no fleet login at all.
   */
  static List<Resource> fleetResources(ServerSecurity s, AclApi acl) {
    if (s.fleetGroups().isEmpty()) return List.of();
    List<Resource> out = new ArrayList<>();
    for (FleetKeys k : s.fleetGroups()) {
      String role = FLEET_ROLE_PREFIX + k.group();
      out.addAll(
          loginRole(
              acl,
              role,
              MARK + "fleet watcher role of group " + k.group(),
              role + "-watch",
              MARK
                  + "the fleet watchers of group "
                  + k.group()
                  + " (under "
                  + k.prefix()
                  + "): read its rollouts, report, take its slots; never push",
              FleetAcl.groupWatcherRules(k)));
    }
    out.add(
        introMethod(
            s,
            acl,
            FLEET_AUTH_METHOD,
            MARK + "intro JWTs with a group claim, for the fleet watcher's token",
            Map.of("node", "node", "group", "group")));
    out.add(
        new BindingRuleResource(
            acl,
            FLEET_AUTH_METHOD,
            MARK + "fleet watcher role of the JWT's group",
            "role",
            FLEET_ROLE_PREFIX + "${value.group}"));
    return out;
  }

  /**
   * A role a login's binding rule gives, and the one policy it holds (policy first: a role names
   * existing policies).
   */
  private static List<Resource> loginRole(
      AclApi acl,
      String role,
      String roleDescription,
      String policy,
      String policyDescription,
      String rules) {
    return List.of(
        new PolicyResource(acl, policy, policyDescription, rules),
        new RoleResource(acl, role, roleDescription, List.of(policy)));
  }

  /**
   * A JWT auth method for the intro JWTs mesh user-data mints (the servers' public key, issuer and
   * audience), with the claims it maps to values its binding rules select on.
   */
  private static Resource introMethod(
      ServerSecurity s, AclApi acl, String name, String description, Map<String, String> claims) {
    return new AuthMethodResource(
        acl,
        new AclApi.AuthMethod(
            name,
            "jwt",
            description,
            List.of(s.jwtPublicKeyPem()),
            s.issuer(),
            List.of(ServerSecurity.AUDIENCE),
            claims));
  }
}
