package dev.consulvmagent.app;

import dev.consulvmagent.host.LocalFiles;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * What a run was asked to do: where the config comes from, which root, which mirror; bake: make a
 * base image (README "Bake a base image"): what is per-instance is left for boot, nothing starts.
 */
public record RunOptions(
    Optional<Path> config,
    Optional<Path> userData,
    Path root,
    Optional<String> mirror,
    Optional<Path> agentJar,
    Duration lockWait,
    boolean bake) {
  public static final String DEFAULT_CONFIG = "/etc/consul-vm-agent/agent.yaml";

  /** A --root that is "/" under another name is refused before anything (the lock) is taken. */
  public RunOptions {
    Hosts.checkRoot(root);
  }

  public RunOptions(
      Optional<Path> config,
      Optional<Path> userData,
      Path root,
      Optional<String> mirror,
      Optional<Path> agentJar,
      Duration lockWait) {
    this(config, userData, root, mirror, agentJar, lockWait, false);
  }

  public RunOptions(
      Optional<Path> config,
      Optional<Path> userData,
      Path root,
      Optional<String> mirror,
      Optional<Path> agentJar) {
    this(config, userData, root, mirror, agentJar, Duration.ofSeconds(10));
  }

  /** The jar this agent runs from (for agentJar), empty when run from classes. */
  public static Optional<Path> runningJar() {
    try {
      Path p =
          Path.of(RunOptions.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      return LocalFiles.isRegularFile(p) && p.toString().endsWith(".jar")
          ? Optional.of(p)
          : Optional.empty();
    } catch (URISyntaxException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** The running system itself: root is / and this is not a bake (a bake never starts anything). */
  public boolean live() {
    return !bake && Hosts.isLive(root);
  }
}
