package dev.consulvmagent.secure;

import dev.consulvmagent.fleet.FleetKeys;
import dev.consulvmagent.spec.Secret;
import java.util.List;

/**
 * What a server's bootstrap needs, in the secure-mesh contract's terms (board: "Secure-mesh
 * contract"): node and datacenter, security.management_token, security.server_agent_token,
 * security.jwt_public_key, and security.services (the services that may manage their own
 * intentions), and security.fleet_groups (the fleet groups whose watchers get a role, each with its
 * KV prefix). The JWT's issuer is {@code consul-vm-agent:<dc>}, its audience {@link #AUDIENCE}.
 */
public record ServerSecurity(
    String node,
    String datacenter,
    Secret managementToken,
    Secret agentToken,
    String jwtPublicKeyPem,
    List<String> services,
    List<FleetKeys> fleetGroups) {
  public static final String AUDIENCE = "consul-auto-config";

  public ServerSecurity {
    services = List.copyOf(services);
    fleetGroups = List.copyOf(fleetGroups);
  }

  /** Without fleet groups. */
  public ServerSecurity(
      String node,
      String datacenter,
      Secret managementToken,
      Secret agentToken,
      String jwtPublicKeyPem,
      List<String> services) {
    this(node, datacenter, managementToken, agentToken, jwtPublicKeyPem, services, List.of());
  }

  public String issuer() {
    return "consul-vm-agent:" + datacenter;
  }
}
