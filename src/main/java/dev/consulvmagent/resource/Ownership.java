package dev.consulvmagent.resource;

import dev.consulvmagent.host.Host;
import dev.consulvmagent.host.Users;

/** Resolves owner/group names to ids in the root being converged. */
final class Ownership {
  private Ownership() {}

  static int[] ids(Host host, String owner, String group) {
    Users u = host.users();
    int uid = u.uid(owner).orElseThrow(() -> new IllegalStateException("user '" + owner + "' does not exist in " + host.fs().root()));
    int gid = u.gid(group).orElseThrow(() -> new IllegalStateException("group '" + group + "' does not exist in " + host.fs().root()));
    return new int[] {uid, gid};
  }

  static String mode(int mode) {
    return String.format("%04o", mode);
  }
}
