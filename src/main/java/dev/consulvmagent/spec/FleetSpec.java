package dev.consulvmagent.spec;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The optional {@code fleet:} block: this VM takes part in rollouts of its group through Consul's
 * KV store (README "Fleet rollouts"). {@code kvPrefix} ends with '/'; {@code tokenFile} holds the
 * watcher's ACL token (never the token itself in the config).
 */
public record FleetSpec(String group, String kvPrefix, Optional<Path> tokenFile) {
  public static final String DEFAULT_PREFIX = "consul-vm-agent/";

  /** A group name: it is one KV path segment and part of an ACL rule. */
  public static boolean isGroup(String g) {
    return g != null && g.matches("[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?");
  }

  /**
   * A KV prefix: segments of [A-Za-z0-9._-], no empty, '.' or '..' segment, no leading '/', ending
   * with '/', at most 128 characters.
   */
  public static boolean isPrefix(String p) {
    if (p == null || p.isEmpty() || p.length() > 128 || !p.endsWith("/") || p.startsWith("/"))
      return false;
    for (String s : p.substring(0, p.length() - 1).split("/", -1)) {
      if (s.isEmpty() || s.equals(".") || s.equals("..") || !s.matches("[A-Za-z0-9._-]+"))
        return false;
    }
    return true;
  }

  /**
   * Everything of one group in the KV store (fleet/FleetKeys: spec/, revisions/, nodes/, lock/).
   */
  public static String groupRoot(String kvPrefix, String group) {
    return kvPrefix + "groups/" + group + "/";
  }

  /**
   * This group as one entry of a server's {@code security.fleet_groups}: the group name, with the
   * KV prefix in front when it is not the default ({@code apps/dashboard}: prefix {@code apps/}).
   */
  public String groupEntry() {
    return kvPrefix.equals(DEFAULT_PREFIX) ? group : kvPrefix + group;
  }

  /** An entry of {@code security.fleet_groups} (see {@link #groupEntry}); empty if malformed. */
  public static Optional<FleetSpec> ofGroupEntry(String e) {
    if (e == null) return Optional.empty();
    int slash = e.lastIndexOf('/');
    String group = e.substring(slash + 1);
    String prefix = slash < 0 ? DEFAULT_PREFIX : e.substring(0, slash + 1);
    if (!isGroup(group) || !isPrefix(prefix)) return Optional.empty();
    return Optional.of(new FleetSpec(group, prefix, Optional.empty()));
  }
}
