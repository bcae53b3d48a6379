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

  public static Path withUsers(Path root) throws IOException {
    Files.createDirectories(root.resolve("etc"));
    Files.writeString(root.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nconsul:x:998:998::/var/lib/consul:/usr/sbin/nologin\nenvoy:x:997:997::/nonexistent:/usr/sbin/nologin\n");
    Files.writeString(root.resolve("etc/group"), "root:x:0:\nconsul:x:998:\nenvoy:x:997:\n");
    return root;
  }

  public static Host host(Path root, FakeExec exec) {
    return new Host(new HostFs(root, false), exec, false, false);
  }

  /** path → "type mode uid size mtime sha" for every entry: byte-for-byte comparisons of a root. */
  public static Map<String, String> snapshot(Path root) {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      s.forEach(p -> {
        try {
          String rel = root.relativize(p).toString();
          if (Files.isSymbolicLink(p)) {
            out.put(rel, "link " + Files.readSymbolicLink(p));
          } else if (Files.isDirectory(p)) {
            out.put(rel, "dir " + Files.getAttribute(p, "unix:mode"));
          } else {
            out.put(rel, "file " + Files.getAttribute(p, "unix:mode") + " " + Files.getAttribute(p, "unix:uid") + " "
                + Files.getLastModifiedTime(p).toMillis() + " " + HostFs.sha256(Files.readAllBytes(p)));
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
