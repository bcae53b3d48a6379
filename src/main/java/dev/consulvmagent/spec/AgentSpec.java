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
    Optional<FleetSpec> fleet,
    SecuritySpec security) {
  /** A spec without a fleet block (the form before fleet rollouts) nor a security section. */
  public AgentSpec(
      ConsulSpec consul,
      EnvoySpec envoy,
      Optional<AppSpec> app,
      Optional<ServiceConfig> service,
      DnsSpec dns,
      DownloadsSpec downloads) {
    this(consul, envoy, app, service, dns, downloads, Optional.empty(), SecuritySpec.unset());
  }

  /** A spec without a security section (rendered insecure; refused by the commands). */
  public AgentSpec(
      ConsulSpec consul,
      EnvoySpec envoy,
      Optional<AppSpec> app,
      Optional<ServiceConfig> service,
      DnsSpec dns,
      DownloadsSpec downloads,
      Optional<FleetSpec> fleet) {
    this(consul, envoy, app, service, dns, downloads, fleet, SecuritySpec.unset());
  }
}
