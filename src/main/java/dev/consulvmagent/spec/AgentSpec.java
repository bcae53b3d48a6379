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
  /** A spec without a security or fleet block (the form before the secure mesh and fleets). */
  public AgentSpec(
      ConsulSpec consul,
      EnvoySpec envoy,
      Optional<AppSpec> app,
      Optional<ServiceConfig> service,
      DnsSpec dns,
      DownloadsSpec downloads) {
    this(consul, envoy, app, service, dns, downloads, SecuritySpec.unset(), Optional.empty());
  }

  /** A spec without a security block. */
  public AgentSpec(
      ConsulSpec consul,
      EnvoySpec envoy,
      Optional<AppSpec> app,
      Optional<ServiceConfig> service,
      DnsSpec dns,
      DownloadsSpec downloads,
      Optional<FleetSpec> fleet) {
    this(consul, envoy, app, service, dns, downloads, SecuritySpec.unset(), fleet);
  }

  /** A spec without a fleet block. */
  public AgentSpec(
      ConsulSpec consul,
      EnvoySpec envoy,
      Optional<AppSpec> app,
      Optional<ServiceConfig> service,
      DnsSpec dns,
      DownloadsSpec downloads,
      SecuritySpec security) {
    this(consul, envoy, app, service, dns, downloads, security, Optional.empty());
  }
}
