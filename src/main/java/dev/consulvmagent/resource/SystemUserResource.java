package dev.consulvmagent.resource;

import dev.consulvmagent.engine.Observed;
import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.engine.ResourceKey;
import dev.consulvmagent.engine.State;
import dev.consulvmagent.host.FileStat;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.host.UnsafePathException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A system user and its group, created with systemd-sysusers (which also works on a --root prefix,
 * creating /etc/passwd there if needed). Existing users are left alone: only presence is converged,
 * never a uid change.
 */
public final class SystemUserResource implements Resource {
  private final String name;
  private final String description;
  private final String home;

  public SystemUserResource(String name, String description, String home) {
    this.name = name;
    this.description = description;
    this.home = home;
  }

  /** The account databases; in a bare --root, systemd-sysusers creates them. */
  static final List<String> ACCOUNT_FILES =
      List.of(
          "/etc",
          "/etc/passwd",
          "/etc/group",
          "/etc/shadow",
          "/etc/gshadow",
          "/etc/passwd-",
          "/etc/group-",
          "/etc/shadow-",
          "/etc/gshadow-",
          "/etc/.pwd.lock");

  @Override
  public List<String> sideEffectPaths() {
    return ACCOUNT_FILES;
  }

  @Override
  public ResourceKey key() {
    return ResourceKey.user(name);
  }

  @Override
  public State desired() {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("user", name);
    f.put("group", name);
    return State.of(f);
  }

  @Override
  public Observed observe(Host host) {
    var users = host.users();
    if (users.uid(name).isEmpty() && users.gid(name).isEmpty()) return Observed.absent();
    Map<String, String> f = new LinkedHashMap<>();
    f.put("user", users.uid(name).isPresent() ? name : "(missing)");
    f.put("group", users.gid(name).isPresent() ? name : "(missing)");
    return Observed.present(State.of(f));
  }

  @Override
  public void converge(Host host, Observed observed) {
    String line = "u " + name + " - \"" + description + "\" " + home + " /usr/sbin/nologin\n";
    // sysusers locks /etc/.pwd.lock and renames over /etc/passwd: /etc must be a real directory
    // of this root (a planted link would make it write another root's accounts)
    var etc = host.fs().stat("/etc");
    if (etc.isEmpty()) {
      host.fs().mkdir("/etc", 0755, 0, 0);
    } else if (etc.get().type() != FileStat.Type.DIRECTORY) {
      throw new UnsafePathException(
          host.fs().resolve("/etc")
              + " is a "
              + etc.get().type().name().toLowerCase()
              + ", not a directory: not creating users through it; replace it with a real"
              + " directory");
    }
    for (String f : ACCOUNT_FILES) {
      var st = host.fs().stat(f);
      if (st.isPresent() && st.get().type() == FileStat.Type.SYMLINK) {
        throw new UnsafePathException(
            host.fs().resolve(f)
                + " is a symbolic link: systemd-sysusers would"
                + " write through it; replace it with the real file");
      }
    }
    List<String> argv = new ArrayList<>(List.of("systemd-sysusers"));
    if (!host.live()) argv.add("--root=" + host.fs().root());
    argv.add("-");
    host.run(argv, Duration.ofSeconds(30), line.getBytes(StandardCharsets.UTF_8)).check();
  }
}
