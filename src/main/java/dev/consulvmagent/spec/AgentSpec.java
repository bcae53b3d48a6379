package dev.consulvmagent.spec;

import java.util.Optional;

/** The whole agent configuration: what this machine should be. Immutable, validated. */
public record AgentSpec(
    ConsulSpec consul,
    EnvoySpec envoy,
    Optional<AppSpec> app,
    Optional<ServiceConfig> service,
    DnsSpec dns,
    DownloadsSpec downloads,
    SecuritySpec security,
    Optional<FleetSpec> fleet) {
  /**
   * This spec with service as its service, everything else kept (the security block above all: a
   * copy built field by field once dropped it, and a secure machine booted from a baked image got
   * an insecure Consul; scripts/e2e prebuilt-image-secure).
   */
  public AgentSpec withService(Optional<ServiceConfig> service) {
    return new AgentSpec(consul, envoy, app, service, dns, downloads, security, fleet);
  }
}
