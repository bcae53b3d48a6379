package dev.consulvmagent.resource;

import dev.consulvmagent.host.Host;
import dev.consulvmagent.host.Users;

/**
 * Resolves owner/group names to ids in the root being converged, "root" included: it is uid 0
 * wherever the root's /etc/passwd does not say otherwise (a test root made by an unprivileged user
 * maps it to that user, so the same chown calls run without privileges).
 */
final class Ownership {
  private Ownership() {}

  static int[] ids(Host host, String owner, String group) {
    Users u = host.users();
    int uid =
        u.uid(owner)
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "user '" + owner + "' does not exist in " + host.fs().root()));
    int gid =
        u.gid(group)
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "group '" + group + "' does not exist in " + host.fs().root()));
    return new int[] {uid, gid};
  }

  /**
   * "user:group" of a file, named as wanted where the ids match (two names may share an id: the
   * file is owned by the wanted one then), else by the first name the root gives the id.
   */
  static String owner(Users u, int uid, int gid, String wantUser, String wantGroup) {
    String user =
        u.uid(wantUser)
            .filter(id -> id == uid)
            .map(id -> wantUser)
            .orElseGet(() -> u.userName(uid));
    String group =
        u.gid(wantGroup)
            .filter(id -> id == gid)
            .map(id -> wantGroup)
            .orElseGet(() -> u.groupName(gid));
    return user + ":" + group;
  }

  static String mode(int mode) {
    return String.format("%04o", mode);
  }
}
