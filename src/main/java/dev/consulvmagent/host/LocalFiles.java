package dev.consulvmagent.host;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Reads of the local input files the operator names, outside any --root and never written: the
 * --config and --user-data files, a file: mirror's artifacts, the running jar. A link to a file is
 * fine here (the operator chose the path); what the agent manages goes through {@link HostFs}.
 */
public final class LocalFiles {
  private LocalFiles() {}

  /**
   * What is at p, links followed: type (FILE, DIRECTORY or OTHER for a device, FIFO or socket),
   * size and mtime; mode and owner are not read (0, -1). Throws NoSuchFileException when nothing is
   * there (a dangling link included).
   */
  public static FileStat stat(Path p) throws IOException {
    InputLog.note(p, InputLog.Kind.FOLLOWED);
    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
    FileStat.Type type =
        a.isRegularFile()
            ? FileStat.Type.FILE
            : a.isDirectory() ? FileStat.Type.DIRECTORY : FileStat.Type.OTHER;
    return new FileStat(type, 0, -1, -1, a.size(), a.lastModifiedTime().toMillis());
  }

  /** Whether p is a regular file (links followed); false when nothing is there. */
  public static boolean isRegularFile(Path p) {
    InputLog.note(p, InputLog.Kind.FOLLOWED);
    return Files.isRegularFile(p);
  }

  /** Opens p for reading (the caller looked at it with {@link #stat} first). */
  public static InputStream open(Path p) throws IOException {
    InputLog.note(p, InputLog.Kind.FOLLOWED);
    return Files.newInputStream(p);
  }
}
