package dev.consulvmagent.host;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * SHA-256 of bytes: the digest every download and cache entry is named and checked by (and the
 * CRC-32 a receipt keeps for a program unpacked from a verified archive).
 */
final class Digests {
  private Digests() {}

  /**
   * One provider lookup per run: getInstance walks the providers and builds each digest by
   * reflection (after 15 calls the JDK generates an accessor class for it), and a run hashes every
   * managed file's content; a fresh clone of one digest costs an array copy.
   */
  private static final MessageDigest PROTOTYPE = lookUp();

  private static MessageDigest lookUp() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static MessageDigest sha256Digest() {
    try {
      return (MessageDigest) PROTOTYPE.clone(); // never updated: every clone starts empty
    } catch (CloneNotSupportedException e) {
      return lookUp();
    }
  }

  static String sha256(byte[] content) {
    return HexFormat.of().formatHex(sha256Digest().digest(content));
  }

  /** A CRC-32 value (java.util.zip.CRC32#getValue) as 8 lower-case hex digits. */
  static String crc32Hex(long value) {
    return HexFormat.of().toHexDigits((int) value);
  }
}
