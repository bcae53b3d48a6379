package dev.consulvmagent.host;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** Name ↔ id lookups from the root's /etc/passwd and /etc/group (not the JVM host's NSS). */
public final class Users {
  private final Map<String, Integer> uids = new HashMap<>();
  private final Map<String, Integer> gids = new HashMap<>();
  private final Map<Integer, String> userNames = new HashMap<>();
  private final Map<Integer, String> groupNames = new HashMap<>();
  private final Map<String, Integer> primaryGid = new HashMap<>();

  public static Users read(HostFs fs) {
    Users u = new Users();
    fs.readIfExists("/etc/passwd")
        .ifPresent(
            b -> {
              for (String line : new String(b, StandardCharsets.UTF_8).split("\n")) {
                String[] f = line.split(":", -1);
                if (f.length >= 4 && f[2].matches("[0-9]+")) {
                  u.uids.put(f[0], Integer.parseInt(f[2]));
                  u.userNames.putIfAbsent(Integer.parseInt(f[2]), f[0]);
                  if (f[3].matches("[0-9]+")) u.primaryGid.put(f[0], Integer.parseInt(f[3]));
                }
              }
            });
    fs.readIfExists("/etc/group")
        .ifPresent(
            b -> {
              for (String line : new String(b, StandardCharsets.UTF_8).split("\n")) {
                String[] f = line.split(":", -1);
                if (f.length >= 3 && f[2].matches("[0-9]+")) {
                  u.gids.put(f[0], Integer.parseInt(f[2]));
                  u.groupNames.putIfAbsent(Integer.parseInt(f[2]), f[0]);
                }
              }
            });
    u.uids.putIfAbsent("root", 0);
    u.gids.putIfAbsent("root", 0);
    u.userNames.putIfAbsent(0, "root");
    u.groupNames.putIfAbsent(0, "root");
    return u;
  }

  public Optional<Integer> uid(String user) {
    return Optional.ofNullable(uids.get(user));
  }

  public Optional<Integer> gid(String group) {
    return Optional.ofNullable(gids.get(group));
  }

  public String userName(int uid) {
    return userNames.getOrDefault(uid, String.valueOf(uid));
  }

  public String groupName(int gid) {
    return groupNames.getOrDefault(gid, String.valueOf(gid));
  }
}
