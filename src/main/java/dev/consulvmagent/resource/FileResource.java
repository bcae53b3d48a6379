package dev.consulvmagent.resource;

import dev.consulvmagent.engine.Change;
import dev.consulvmagent.engine.Notification;
import dev.consulvmagent.engine.Observed;
import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.engine.ResourceKey;
import dev.consulvmagent.engine.State;
import dev.consulvmagent.host.FileStat;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.host.HostFs;
import dev.consulvmagent.host.Users;
import dev.consulvmagent.render.Json;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A file with exact content, mode and owner. Content is compared by sha256; JSON files are also
 * diffed key by key so a plan says "json.datacenter: dc2 (was dc1)". Sensitive files never show
 * their values.
 */
public final class FileResource implements Resource {
  private final String path;
  private final byte[] content;
  private final int mode;
  private final String owner;
  private final String group;
  private final boolean json;
  private final boolean sensitive;
  private final List<Notification> notifications;
  private final String sha;

  private FileResource(Builder b) {
    this.path = b.path;
    this.content = b.content;
    this.mode = b.mode;
    this.owner = b.owner;
    this.group = b.group;
    this.json = b.json;
    this.sensitive = b.sensitive;
    this.notifications = List.copyOf(b.notifications);
    this.sha = HostFs.sha256(content);
  }

  public static Builder at(String path, byte[] content) {
    return new Builder(path, content);
  }

  public byte[] content() {
    return content.clone();
  }

  @Override
  public Optional<String> path() {
    return Optional.of(path);
  }

  @Override
  public ResourceKey key() {
    return ResourceKey.of(ResourceKey.Kind.FILE, path);
  }

  @Override
  public State desired() {
    return state(content, mode, owner, group);
  }

  private State state(byte[] bytes, int m, String o, String g) {
    Map<String, String> f = new LinkedHashMap<>();
    Set<String> secret = new LinkedHashSet<>();
    f.put(
        "content",
        sensitive
            ? HostFs.sha256(bytes).substring(0, 12) + "…"
            : HostFs.sha256(bytes).substring(0, 12));
    if (json) {
      for (Map.Entry<String, String> e : Json.flatten(bytes).entrySet()) {
        String k = "json." + e.getKey();
        f.put(k, e.getValue());
        if (sensitive || Json.looksSecret(e.getKey())) secret.add(k);
      }
    } else if (!sensitive && path.endsWith(".service")) {
      // what changed in a unit, as a person reads it: "set unit.Service.ExecStart to …"
      for (Map.Entry<String, String> e : unitDirectives(bytes).entrySet()) {
        f.put(e.getKey(), e.getValue());
        if (Json.looksSecret(e.getValue())) secret.add(e.getKey());
      }
    }
    f.put("mode", Ownership.mode(m));
    f.put("owner", o + ":" + g);
    if (sensitive) secret.add("content");
    return new State(f, secret);
  }

  /**
   * A unit file's directives as "unit.SECTION.KEY" → value (a repeated key's values joined by " ;
   * "), for the plan's field lines; comments and blank lines are not directives
   * (systemd.syntax(7)). Continuation lines are kept as written; a file that is not text gives no
   * fields.
   */
  static Map<String, String> unitDirectives(byte[] bytes) {
    Map<String, String> out = new LinkedHashMap<>();
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      return out;
    }
    String section = "";
    for (String raw : text.split("\n")) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) continue;
      if (line.startsWith("[") && line.endsWith("]")) {
        section = line.substring(1, line.length() - 1);
        continue;
      }
      int eq = line.indexOf('=');
      if (eq <= 0 || section.isEmpty()) continue;
      String k = "unit." + section + "." + line.substring(0, eq).strip();
      String v = line.substring(eq + 1).strip();
      out.merge(k, v, (a, b) -> a + " ; " + b);
    }
    return out;
  }

  @Override
  public Observed observe(Host host) {
    Optional<FileStat> st = host.fs().stat(path);
    if (st.isEmpty()) return Observed.absent();
    if (st.get().type() != FileStat.Type.FILE) {
      return Observed.present(State.of(Map.of("type", st.get().type().name().toLowerCase())));
    }
    if (st.get().size() > HostFs.MAX_READ) {
      // never ours (we write far less): replaced whole, never read into memory
      return Observed.present(State.of(Map.of("size", st.get().size() + " bytes")));
    }
    Users u = host.users();
    byte[] have = host.fs().read(path);
    String[] og = Ownership.owner(u, st.get().uid(), st.get().gid(), owner, group).split(":", 2);
    return Observed.present(state(have, st.get().mode(), og[0], og[1]));
  }

  @Override
  public void converge(Host host, Observed observed) {
    int[] ids = Ownership.ids(host, owner, group);
    if (observed instanceof Observed.Present p
        && sha.startsWith(stripEllipsis(p.state().get("content")))
        && HostFs.sha256(host.fs().read(path)).equals(sha)) {
      host.fs().setAttributes(path, mode, ids[0], ids[1]); // only metadata differs: keep the inode
    } else {
      host.fs().writeAtomic(path, content, mode, ids[0], ids[1]);
    }
  }

  private static String stripEllipsis(String s) {
    return s == null ? "-" : s.replace("…", "");
  }

  @Override
  public List<Notification> notifications(Change change) {
    return notifications;
  }

  /** Builder: path and content are required; defaults are 0644 root:root. */
  public static final class Builder {
    private final String path;
    private final byte[] content;
    private int mode = 0644;
    private String owner = "root";
    private String group = "root";
    private boolean json;
    private boolean sensitive;
    private final List<Notification> notifications = new ArrayList<>();

    private Builder(String path, byte[] content) {
      this.path = path;
      this.content = content.clone();
    }

    public Builder mode(int m) {
      this.mode = m;
      return this;
    }

    public Builder owner(String o, String g) {
      this.owner = o;
      this.group = g;
      return this;
    }

    public Builder json() {
      this.json = true;
      return this;
    }

    public Builder sensitive() {
      this.sensitive = true;
      return this;
    }

    public Builder notify(Notification... n) {
      notifications.addAll(List.of(n));
      return this;
    }

    public FileResource build() {
      return new FileResource(this);
    }
  }
}
