package dev.consulvmagent.secure;

import dev.consulvmagent.consul.AclApi;
import dev.consulvmagent.consul.IntentionApi;
import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.spec.Secret;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * A client's cluster side, once its agent has joined through auto_config: the service token (login
 * with the intro JWT), then the service's allow intentions written with that token.
 */
public final class ClientMesh {
  private ClientMesh() {}

  /** acl: on the local agent, no token; intentions: an IntentionApi that sends the given token. */
  public static List<Resource> resources(
      ClientSecurity c, AclApi acl, Function<Secret, IntentionApi> intentions) {
    return List.of(
        new ServiceTokenResource(acl, c),
        new IntentionsResource(c.service(), c.allowFrom(), intentions));
  }

  /**
   * The client agent's DNS (default) token, kept by login with the intro JWT (issue 19): every
   * secure client has one, with or without a service. acl: on the local agent, no token.
   */
  public static Resource dnsToken(String node, Optional<Secret> introToken, AclApi acl) {
    return new LoginTokenResource(LoginTokenResource.DNS, acl, node, introToken);
  }

  /**
   * The fleet watcher's token of group (issue 22), kept by login with the intro JWT (its {@code
   * group} claim picks the role {@code consul-vm-agent-fleet-<group>}). acl: on the local agent, no
   * token.
   */
  public static Resource fleetToken(
      String node, String group, Optional<Secret> introToken, AclApi acl) {
    return new LoginTokenResource(LoginTokenResource.fleet(group), acl, node, introToken);
  }

  /** Where the fleet watcher's login token is kept (0600 root:root). */
  public static String fleetTokenFile() {
    return LoginTokenResource.FLEET_PATH;
  }

  /**
   * The DNS token as kept on this host, for the agent's acl.tokens.default; empty before the first
   * login.
   */
  public static Optional<Secret> storedDnsToken(Host host) {
    return LoginTokenResource.stored(host, LoginTokenResource.DNS.path());
  }

  /** The engine key of {@link #dnsToken}: a run that changed it must render Consul's config. */
  public static String dnsTokenKey() {
    return LoginTokenResource.DNS.key();
  }

  /**
   * The service token as kept on this host (secret, file), for the registration and Envoy's unit;
   * empty before the first login.
   */
  public static Optional<Map.Entry<String, String>> storedToken(Host host, String service) {
    String f = tokenFile(service);
    return host.fs()
        .readIfExists(f)
        .map(b -> new String(b, StandardCharsets.UTF_8).strip())
        .filter(t -> !t.isEmpty())
        .map(t -> Map.entry(t, f));
  }

  /** Where the service's token is kept (0640 root:envoy): Envoy's -token-file. */
  public static String tokenFile(String service) {
    return ServiceTokenResource.path(service);
  }
}
