package dev.consulvmagent.app;

import dev.consulvmagent.host.Host;
import dev.consulvmagent.sidecar.SidecarFiles;
import dev.consulvmagent.spec.AgentSpec;
import dev.consulvmagent.spec.ServiceConfig;
import dev.consulvmagent.spec.SpecLoader;
import java.util.Optional;

/**
 * The seed's way of naming the service (README "Boot a baked image"):
 * /srv/consul/service-config.json written by someone else — cloud-init's write_files on a machine
 * booted from a base image — with no service: block in the agent config. Then that file is the
 * service: apply manages what sidecar-init derives from it (registration, the sidecar's settings)
 * exactly as for a service: block, so a re-run or status sees no drift and never removes the
 * registration, and the file itself is input, never rewritten. A service-config.json the agent
 * wrote itself (in its ownership ledger: a service: block since removed) is not input: a removed
 * service stays removed.
 */
final class SeedServiceConfig {
  private SeedServiceConfig() {}

  static Optional<ServiceConfig> read(AgentSpec spec, Host host) {
    if (spec.service().isPresent()) return Optional.empty();
    String path = SidecarFiles.SERVICE_CONFIG;
    if (OwnershipLedger.read(host.fs()).contains(path)) return Optional.empty();
    // a regular file only, capped, as sidecar-init reads it; errors name the file's keys
    return host.fs().readIfExists(path).map(bytes -> SpecLoader.serviceConfig(bytes));
  }

  static AgentSpec with(AgentSpec spec, ServiceConfig service) {
    return spec.withService(Optional.of(service));
  }
}
