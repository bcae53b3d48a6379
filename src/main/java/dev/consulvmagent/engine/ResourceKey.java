package dev.consulvmagent.engine;

import java.util.Optional;

/**
 * The identity of a resource: its kind and the thing it manages (a path, a user name). Shown and
 * stored as "kind:name" (e.g. {@code file:/etc/consul.d/consul.json}, {@code user:consul}); {@link
 * #parse} is the one place that reads that text back.
 */
public record ResourceKey(Kind kind, String name) {
  public enum Kind {
    FILE("file"),
    DIRECTORY("directory"),
    LINK("link"),
    ABSENT("absent"),
    BINARY("binary"),
    COPY("copy"),
    USER("user"),
    REMOVE("remove"),
    REMOVE_USER("remove:user"),
    /** An object in the Consul cluster (ACL token, policy, auth method, intentions). */
    CONSUL("consul");

    private final String prefix;

    Kind(String prefix) {
      this.prefix = prefix;
    }

    public String prefix() {
      return prefix;
    }
  }

  public ResourceKey {
    if (kind == null || name == null || name.isEmpty())
      throw new IllegalArgumentException("kind and name are required");
  }

  public static ResourceKey of(Kind kind, String name) {
    return new ResourceKey(kind, name);
  }

  /** The key of a system user (as the ownership ledger records it). */
  public static ResourceKey user(String name) {
    return new ResourceKey(Kind.USER, name);
  }

  /** Reads "kind:name" back; empty for text that is no key (a ledger path, say). */
  public static Optional<ResourceKey> parse(String text) {
    Kind best = null;
    for (Kind k : Kind.values()) {
      if (text.startsWith(k.prefix + ":")
          && text.length() > k.prefix.length() + 1
          && (best == null || k.prefix.length() > best.prefix.length())) {
        best = k;
      }
    }
    return best == null
        ? Optional.empty()
        : Optional.of(new ResourceKey(best, text.substring(best.prefix.length() + 1)));
  }

  @Override
  public String toString() {
    return kind.prefix + ":" + name;
  }
}
