package dev.consulvmagent.artifact;

import dev.consulvmagent.host.HostFs;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What a download delivered, for messages that say what arrived and from where (a captive portal's
 * HTML page, a 404 page served with 200, a JSON error) rather than blaming the filesystem.
 */
record Arrival(String url, String contentType, long size, byte[] head) {
  static final int HEAD = 64;

  /** What the cache file (a host path under fs's root) holds, for a download read from it. */
  static Arrival of(String url, String contentType, HostFs fs, Path file) throws IOException {
    try (InputStream in = fs.openFile(file)) {
      return new Arrival(url, contentType, fs.size(file), in.readNBytes(HEAD));
    }
  }

  boolean looksLikeHtml() {
    String t =
        new String(head, StandardCharsets.ISO_8859_1).stripLeading().toLowerCase(Locale.ROOT);
    return contentType.toLowerCase(Locale.ROOT).startsWith("text/html")
        || t.startsWith("<!doctype html")
        || t.startsWith("<html")
        || t.startsWith("<head")
        || t.startsWith("<?xml");
  }

  private String kind() {
    if (looksLikeHtml()) return "an HTML page";
    if (starts(0x50, 0x4b, 0x03, 0x04) || starts(0x50, 0x4b, 0x05, 0x06)) return "a zip archive";
    if (starts(0x1f, 0x8b)) return "gzip data";
    if (starts(0x7f, 'E', 'L', 'F')) return "an ELF program";
    if (starts('#', '!')) return "a script";
    String t = new String(head, StandardCharsets.ISO_8859_1).stripLeading();
    if (t.startsWith("{") || t.startsWith("[")) return "JSON or text";
    return size == 0 ? "nothing" : "data";
  }

  private boolean starts(int... magic) {
    if (head.length < magic.length) return false;
    for (int i = 0; i < magic.length; i++) if ((head[i] & 0xff) != magic[i]) return false;
    return true;
  }

  /** The first bytes, printable ASCII kept, everything else (control characters too) as '.'. */
  String firstBytes() {
    StringBuilder b = new StringBuilder();
    for (byte x : head) b.append(x >= 0x20 && x < 0x7f ? (char) x : '.');
    return b.toString();
  }

  String describe() {
    String type = contentType.isEmpty() ? "" : ", Content-Type " + printable(contentType);
    return "received "
        + kind()
        + " ("
        + size
        + " bytes"
        + type
        + ") from "
        + url
        + (size == 0 ? "" : ", starting \"" + firstBytes() + "\"");
  }

  private static String printable(String s) {
    String t = s.length() > 80 ? s.substring(0, 80) : s;
    return t.replaceAll("[^\\x20-\\x7e]", ".");
  }
}
