package dev.consulvmagent.resource;

import dev.consulvmagent.host.HostFs;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where a {@link BinaryResource}'s program comes from and how it is made ready: what resource needs
 * of a download, nothing more. The artifact package implements it (artifact.Installer's source for
 * an Artifact); modules wire the two together, so resource never depends on the layer above it
 * (STYLE.md).
 */
public interface BinarySource {
  /** The absolute path the program is installed at, inside the root. */
  String destination();

  /** What identifies the program whatever the mirror: its upstream address. */
  String source();

  /** The address it is actually fetched from (a mirror, a file: directory, or the source). */
  String fetchedFrom();

  /** How it is verified, for the plan and the receipt. */
  String verifiedBy();

  /** The archive's sha256 when the config pins it: the one archive this program may come from. */
  default Optional<String> pinnedSha256() {
    return Optional.empty();
  }

  int mode();

  /**
   * Downloads, verifies and unpacks into a temp file next to the destination (a read-only fs
   * refuses before any network); the installed program is never touched here.
   */
  Staged prepare(HostFs fs, String cacheDir);

  /** A verified program in a temp file, ready to be renamed over the destination. */
  interface Staged {
    Path temp();

    String archiveSha256();

    /** The program's digest for its receipt (see {@link ProgramDigest}). */
    ProgramDigest binaryDigest();
  }
}
