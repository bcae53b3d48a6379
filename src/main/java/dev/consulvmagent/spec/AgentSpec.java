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
  /** A spec without a fleet block (the form before fleet rollouts). */
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

  /** A spec without a fleet block and without a security section (as loaded: unset). */
  public AgentSpec(
      ConsulSpec consul,
      EnvoySpec envoy,
      Optional<AppSpec> app,
      Optional<ServiceConfig> service,
      DnsSpec dns,
      DownloadsSpec downloads) {
    this(consul, envoy, app, service, dns, downloads, SecuritySpec.unset(), Optional.empty());
  }

  /** A spec with a fleet block, without a security section (as loaded: unset). */
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
}
