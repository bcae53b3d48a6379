package dev.consulvmagent.resource;

import dev.consulvmagent.host.HostFs;
import java.util.Map;
import java.util.Optional;

/**
 * What a receipt records of an installed program's bytes, to tell later whether the file is still
 * the one installed when its size or mtime changed (BinaryResource's "intact" or "modified since
 * install", uninstall's "replaced"). That is a check for drift, not for an attacker: whoever can
 * write /usr/bin can restore an mtime and write the receipt too; what vouches for the program is
 * the archive's sha256, verified before anything is unpacked, and kept as the receipt's
 * archive_sha256.
 *
 * <p>So a program taken out of an archive is not hashed with SHA-256 a second time: its receipt
 * keeps the CRC-32 that was computed while it was unpacked, the checksum a zip's central directory
 * declares for each entry (APPNOTE.TXT §4.4.7), checked there against it: one SHA-256 per byte
 * downloaded, and a cold install of the bench's 110 MiB Consul takes 70-125 ms less (BENCHMARKS.md,
 * 2026-12-08). A program downloaded as it is (Envoy) keeps its sha256, which is the archive's and
 * costs nothing. Receipts written before keep their sha256 and are read as they are.
 */
public record ProgramDigest(Kind kind, String hex) {
  /** The receipt field each kind is kept in. */
  public enum Kind {
    SHA256("sha256"),
    CRC32("crc32");

    private final String field;

    Kind(String field) {
      this.field = field;
    }

    public String field() {
      return field;
    }
  }

  public static ProgramDigest sha256(String hex) {
    return new ProgramDigest(Kind.SHA256, hex);
  }

  /** From java.util.zip.CRC32#getValue. */
  public static ProgramDigest crc32(long value) {
    return new ProgramDigest(Kind.CRC32, HostFs.crc32Hex(value));
  }

  /** The digest a receipt records (its crc32, else its sha256); empty when it records neither. */
  public static Optional<ProgramDigest> inReceipt(Map<String, Object> receipt) {
    for (Kind k : new Kind[] {Kind.CRC32, Kind.SHA256}) {
      if (receipt.get(k.field()) instanceof String s && !s.isEmpty()) {
        return Optional.of(new ProgramDigest(k, s));
      }
    }
    return Optional.empty();
  }

  /** The same kind of digest of the file at path now. */
  public ProgramDigest ofFile(HostFs fs, String path) {
    return new ProgramDigest(kind, kind == Kind.CRC32 ? fs.crc32(path) : fs.sha256(path));
  }

  /** Puts this digest in a receipt under its field. */
  public void into(Map<String, Object> receipt) {
    receipt.put(kind.field(), hex);
  }

  /** For a message: "sha256 0123456789ab…" or "crc32 01234567". */
  public String describe() {
    return kind.field() + " " + shortHex();
  }

  /** The first 12 hex digits ("…" when there are more). */
  public String shortHex() {
    return hex.length() > 12 ? hex.substring(0, 12) + "…" : hex;
  }
}
