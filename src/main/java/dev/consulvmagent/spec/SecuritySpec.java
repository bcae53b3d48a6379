package dev.consulvmagent.spec;

import java.util.List;
import java.util.Optional;

/**
 * The config's {@code security:} section (board: "Secure-mesh contract"): the secrets and public
 * material this machine needs for a mesh with gossip encryption, TLS, ACLs in default-deny and
 * auto_config. {@code consul-vm-agent mesh user-data} fills it in; a server carries its
 * certificate, key, the gossip key, the intro-JWT public key and the two ACL tokens, a client only
 * the CA certificate and its short-lived intro JWT. Secrets are {@link Secret}s. {@code services}
 * (servers, optional; board CONTRACT CHANGE 03:00): the mesh services allowed to manage their own
 * intentions, for the runtime bootstrap's roles. {@code fleetGroups} (servers, optional; issue 22):
 * the fleet groups whose watchers log in for a group role ({@code security.fleet_groups}, entries
 * as {@link FleetSpec#groupEntry}; their token_file is empty).
 */
public record SecuritySpec(
    Mode mode,
    Optional<String> caCert,
    Optional<String> serverCert,
    Optional<Secret> serverKey,
    Optional<Secret> gossipKey,
    Optional<String> jwtPublicKey,
    Optional<Secret> managementToken,
    Optional<Secret> serverAgentToken,
    Optional<Secret> introToken,
    List<String> services,
    List<FleetSpec> fleetGroups) {

  public SecuritySpec {
    services = List.copyOf(services);
    fleetGroups = List.copyOf(fleetGroups);
  }

  public enum Mode {
    SECURE,
    INSECURE,
    /**
     * No security section: rendered as insecure, and refused by every command that acts on a config
     * ({@link SpecLoader#requireSecurity}), naming the section.
     */
    UNSET
  }

  /** {@code security: {mode: insecure}}: no TLS, no gossip key, no ACLs (warned every run). */
  public static SecuritySpec insecure() {
    return new SecuritySpec(
        Mode.INSECURE,
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        List.of(),
        List.of());
  }

  public boolean secure() {
    return mode == Mode.SECURE;
  }

  /** The section as loaded from a config without one. */
  public static SecuritySpec unset() {
    SecuritySpec i = insecure();
    return new SecuritySpec(
        Mode.UNSET,
        i.caCert(),
        i.serverCert(),
        i.serverKey(),
        i.gossipKey(),
        i.jwtPublicKey(),
        i.managementToken(),
        i.serverAgentToken(),
        i.introToken(),
        i.services(),
        i.fleetGroups());
  }

  /** The warning plan, apply and status print for an insecure config. */
  public static final String INSECURE_WARNING =
      "security.mode is insecure: no gossip encryption, no TLS, no ACLs; anyone on the network can"
          + " join this Consul datacenter, read it and register services (run `consul-vm-agent"
          + " mesh init` and `mesh user-data` to make this machine's secrets)";

  /** JWT claim values servers check and {@code mesh user-data} mints (board contract). */
  public static final String JWT_AUDIENCE = "consul-auto-config";

  /** The intro JWT's issuer for datacenter dc: "consul-vm-agent:&lt;dc&gt;". */
  public static String jwtIssuer(String dc) {
    return "consul-vm-agent:" + dc;
  }
}
