package dev.consulvmagent.secure;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.consulvmagent.spec.Secret;
import dev.consulvmagent.spec.SecuritySpec;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Optional;
import java.util.UUID;

/**
 * A client's intro JWT for Consul's auto_config (board: "Secure-mesh contract"), signed ES256 with
 * the mesh's JWT key by nimbus-jose-jwt: iss "consul-vm-agent:&lt;dc&gt;", aud
 * "consul-auto-config", sub and claim {@code node} = the node name (servers assert {@code
 * value.node == "${node}"}), claim {@code service} when the machine runs one (the JWT auth method's
 * binding rule makes a service identity of it), claim {@code group} when it has a fleet block (the
 * fleet auth method's binding rule gives that group's watcher role, issue 22), iat, nbf, a short
 * exp and a jti. Short because on Consul 1.8.7 nothing else limits it: it is not single-use, and
 * CVE-2021-41803 lets a crafted node name pass the assertion (shared/reference/real-consul.md).
 */
public final class IntroToken {
  private IntroToken() {}

  /** Shortest and longest lifetimes mesh user-data accepts (--ttl). */
  public static final Duration MIN_TTL = Duration.ofMinutes(5);

  public static final Duration MAX_TTL = Duration.ofDays(30);
  public static final Duration DEFAULT_TTL = Duration.ofHours(24);

  /** How far iat and nbf are set back from now. */
  public static final Duration CLOCK_SKEW = Duration.ofMinutes(2);

  public static Secret mint(
      PrivateKey key, String dc, String node, Optional<String> service, Duration ttl, Instant now) {
    return mint(key, dc, node, service, Optional.empty(), ttl, now);
  }

  /** group: the machine's fleet group, if it has a fleet block. */
  public static Secret mint(
      PrivateKey key,
      String dc,
      String node,
      Optional<String> service,
      Optional<String> group,
      Duration ttl,
      Instant now) {
    // iat and nbf a little in the past: the operator's clock may run ahead of the servers'
    // (Consul's JWT check allows about a minute of skew); exp counts from now
    Instant iat = Instant.ofEpochSecond(now.getEpochSecond()).minus(CLOCK_SKEW);
    JWTClaimsSet.Builder c =
        new JWTClaimsSet.Builder()
            .issuer(SecuritySpec.jwtIssuer(dc))
            .audience(SecuritySpec.JWT_AUDIENCE)
            .subject(node)
            .claim("node", node)
            .issueTime(Date.from(iat))
            .notBeforeTime(Date.from(iat))
            .expirationTime(Date.from(iat.plus(CLOCK_SKEW).plus(ttl)))
            .jwtID(UUID.randomUUID().toString());
    service.ifPresent(s -> c.claim("service", s));
    group.ifPresent(g -> c.claim("group", g));
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.ES256).type(JOSEObjectType.JWT).build(), c.build());
    try {
      jwt.sign(new ECDSASigner((ECPrivateKey) key));
    } catch (JOSEException | ClassCastException e) {
      throw new IllegalStateException("cannot sign the intro JWT: " + e.getMessage(), e);
    }
    return new Secret(jwt.serialize());
  }
}
