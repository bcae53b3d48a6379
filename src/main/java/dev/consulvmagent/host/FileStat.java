package dev.consulvmagent.host;

/** What {@link HostFs#stat} reports for one path (the link itself for symlinks). */
public record FileStat(Type type, int mode, int uid, int gid, long size, long mtimeMillis) {
  public enum Type {
    FILE,
    DIRECTORY,
    SYMLINK,
    OTHER
  }
}
