package dev.consulvmagent.secure;

import dev.consulvmagent.consul.AclApi;
import dev.consulvmagent.consul.ConsulBadAnswerException;
import dev.consulvmagent.engine.State;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.host.HostFs;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The JWT auth method clients log in with ({@link ServerBootstrap#AUTH_METHOD}): the same public
 * key, issuer and audience the servers' auto_config.authorization.static checks, so the one intro
 * JWT a client gets serves both. Keys as 1.8's go-sso Config spells them (hashicorp/consul
 * internal/go-sso/oidcauth/config.go: JWTValidationPubKeys, BoundIssuer, BoundAudiences,
 * ClaimMappings; ES256 is accepted without JWTSupportedAlgs on the real 1.8.7).
 */
final class AuthMethodResource extends ClusterResource {
  private final AclApi acl;
  private final AclApi.AuthMethod method;

  AuthMethodResource(AclApi acl, AclApi.AuthMethod method) {
    super("acl-auth-method/" + method.name());
    this.acl = acl;
    this.method = method;
  }

  @Override
  public State desired() {
    return state(method);
  }

  private static State state(AclApi.AuthMethod m) {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("type", m.type());
    f.put("description", m.description());
    // public keys are public, but long: compared and shown by digest
    f.put(
        "public_keys_sha256",
        String.join(
            ",",
            m.jwtValidationPubKeys().stream()
                .map(k -> HostFs.sha256(k.strip().getBytes(StandardCharsets.UTF_8)))
                .sorted()
                .toList()));
    f.put("bound_issuer", m.boundIssuer());
    f.put("bound_audiences", String.join(",", m.boundAudiences().stream().sorted().toList()));
    f.put("claim_mappings", new TreeMap<>(m.claimMappings()).toString());
    return State.of(f);
  }

  @Override
  Optional<State> read(Host host) {
    return acl.authMethod(method.name()).map(AuthMethodResource::state);
  }

  @Override
  void write(Host host, Optional<State> current) {
    try {
      acl.writeAuthMethod(method, current.isPresent());
    } catch (ConsulBadAnswerException raced) {
      if (current.isPresent() || acl.authMethod(method.name()).isEmpty()) throw raced;
      acl.writeAuthMethod(method, true); // another server created it meanwhile
    }
  }
}
