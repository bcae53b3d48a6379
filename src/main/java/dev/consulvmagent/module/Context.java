package dev.consulvmagent.module;

import dev.consulvmagent.artifact.Artifact;
import dev.consulvmagent.artifact.Installer;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.resource.BinarySource;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What modules need besides the spec: the artifacts to install (already resolved against the
 * mirror), the installer, the running agent jar (when there is one) and a read-only host for facts
 * such as the systemd version.
 */
public record Context(
    List<Artifact> artifacts, Installer installer, Optional<Path> agentJar, Host host) {
  public Artifact artifact(String destination) {
    return artifacts.stream()
        .filter(a -> a.destination().equals(destination))
        .findFirst()
        .orElseThrow();
  }

  /** The artifact installed at destination, as a BinaryResource's source (via the installer). */
  public BinarySource binary(String destination) {
    return installer.source(artifact(destination));
  }
}
