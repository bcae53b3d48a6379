package dev.consulvmagent.testing;

import dev.consulvmagent.host.Host;
import dev.consulvmagent.host.HostFs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Temp roots with /etc/passwd and /etc/group, and a snapshot of everything under a root. */
public final class Roots {
  private Roots() {}

  /**
   * /etc/passwd and /etc/group with root, consul and envoy. Run as root, they get their usual ids;
   * run by anyone else, all three map to that user's own uid and gid, so every chown the agent
   * makes is one an unprivileged user may make, and the tests really run.
   */
  public static Path withUsers(Path root) throws IOException {
    Files.createDirectories(root.resolve("etc"));
    boolean privileged = isRoot();
    int uid = privileged ? 0 : (Integer) Files.getAttribute(root, "unix:uid");
    int gid = privileged ? 0 : (Integer) Files.getAttribute(root, "unix:gid");
    int consul = privileged ? 998 : uid;
    int envoy = privileged ? 997 : uid;
    int cg = privileged ? 998 : gid;
    int eg = privileged ? 997 : gid;
    Files.writeString(
        root.resolve("etc/passwd"),
        "root:x:"
            + uid
            + ":"
            + gid
            + ":root:/root:/bin/sh\n"
            + "consul:x:"
            + consul
            + ":"
            + cg
            + "::/var/lib/consul:/usr/sbin/nologin\n"
            + "envoy:x:"
            + envoy
            + ":"
            + eg
            + "::/nonexistent:/usr/sbin/nologin\n");
    Files.writeString(
        root.resolve("etc/group"),
        "root:x:" + gid + ":\nconsul:x:" + cg + ":\nenvoy:x:" + eg + ":\n");
    return root;
  }

  /**
   * A fresh root for apply: bare when the tests run as root (systemd-sysusers creates the users for
   * real, with ids only root may chown to); for anyone else, with the users already made ({@link
   * #withUsers}), so the same apply runs unprivileged.
   */
  public static Path forApply(Path dir) throws IOException {
    Files.createDirectories(dir);
    return isRoot() ? dir : withUsers(dir);
  }

  /** Whether the tests run as root (real chown to other users, sysusers, userdel --root). */
  public static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  public static Host host(Path root, FakeExec exec) {
    return Host.of(new HostFs(root, false), exec, false);
  }

  /** path → "type mode uid size mtime sha" for every entry: byte-for-byte comparisons of a root. */
  public static Map<String, String> snapshot(Path root) {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      s.forEach(
          p -> {
            try {
              String rel = root.relativize(p).toString();
              if (Files.isSymbolicLink(p)) {
                out.put(rel, "link " + Files.readSymbolicLink(p));
              } else if (Files.isDirectory(p)) {
                out.put(rel, "dir " + Files.getAttribute(p, "unix:mode"));
              } else {
                out.put(
                    rel,
                    "file "
                        + Files.getAttribute(p, "unix:mode")
                        + " "
                        + Files.getAttribute(p, "unix:uid")
                        + " "
                        + Files.getLastModifiedTime(p).toMillis()
                        + " "
                        + HostFs.sha256(Files.readAllBytes(p)));
              }
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }
}
