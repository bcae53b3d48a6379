package dev.consulvmagent.spec;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * Reads a whole cloud-init user-data file (a #cloud-config document, or a MIME multipart message as
 * Vagrant builds, optionally gzipped), merges its cloud-config parts as cloud-init does, and
 * returns the content of the write_files entry for the agent config path.
 */
public final class UserData {
  /** The largest user-data file read (real clouds allow far less: EC2 takes 16 KiB). */
  public static final int MAX_BYTES = 4 * 1024 * 1024;

  /** MIME limits: parts in all, multipart nesting, and bytes decoded (base64, gzip) in all. */
  static final int MAX_PARTS = 100;

  static final int MAX_DEPTH = 5;
  static final long MAX_DECODED = 8L * 1024 * 1024;

  private UserData() {}

  /** Reads a user-data file (a regular file, at most {@link #MAX_BYTES}). */
  public static byte[] read(java.nio.file.Path file) {
    return SpecLoader.readInput(file, MAX_BYTES, "user-data", "");
  }

  public static byte[] extract(byte[] raw, String configPath) {
    try {
      return extractChecked(raw, configPath);
    } catch (SpecException e) {
      throw e;
    } catch (RuntimeException | StackOverflowError e) {
      // the last line of defence: hostile input is a config error (exit 3), never exit 4
      throw new SpecException("user-data", "cannot be read (" + e.getClass().getSimpleName() + ")");
    }
  }

  private static byte[] extractChecked(byte[] raw, String configPath) {
    if (raw.length > MAX_BYTES) throw new SpecException("user-data", "is larger than 4 MiB");
    Budget budget = new Budget();
    byte[] data = gunzipIfNeeded(raw, "user-data", budget);
    List<Part> parts = parts(data, budget);
    Map<String, Object> merged = null;
    int seen = 0;
    SpecLoader.Walk walk = new SpecLoader.Walk(false); // one budget of values for all parts
    for (Part p : parts) {
      if (!p.type().equals("text/cloud-config")) continue;
      seen++;
      Node node = SpecLoader.compose(p.body(), walk);
      if (!walk.problems.isEmpty()) throw SpecException.of(walk.problems);
      Object doc = node.plain();
      if (doc == null) continue;
      if (!(doc instanceof Map<?, ?>))
        throw new SpecException("user-data part " + seen, "a cloud-config part must be a mapping");
      @SuppressWarnings("unchecked")
      Map<String, Object> m = new LinkedHashMap<>((Map<String, Object>) doc);
      Object how = m.remove("merge_how");
      Object type = m.remove("merge_type");
      CloudInitMerge.Rules rules =
          p.mergeType() != null
              ? CloudInitMerge.parse(p.mergeType())
              : how != null
                  ? CloudInitMerge.parse(how)
                  : type != null ? CloudInitMerge.parse(type) : CloudInitMerge.Rules.DEFAULT;
      merged = merged == null ? m : castMap(CloudInitMerge.merge(merged, m, rules));
    }
    if (merged == null) {
      throw new SpecException(
          "user-data",
          "has no #cloud-config part (found: " + parts.stream().map(Part::type).toList() + ")");
    }
    return writeFile(merged, configPath, budget);
  }

  /** What one extraction may still decode: a MIME bomb or an append bomb ends here, not in OOM. */
  static final class Budget {
    private long decoded;
    private int parts;

    void decoded(long n, String where) {
      decoded += n;
      if (decoded > MAX_DECODED) {
        throw new SpecException(
            where,
            "user-data decodes (base64, gzip) to more than "
                + MAX_DECODED / (1024 * 1024)
                + " MiB in all; this is not a cloud-init user-data file");
      }
    }

    void part(String where) {
      if (++parts > MAX_PARTS)
        throw new SpecException(where, "has more than " + MAX_PARTS + " MIME parts");
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> castMap(Object o) {
    return (Map<String, Object>) o;
  }

  private static byte[] writeFile(Map<String, Object> cfg, String configPath, Budget budget) {
    Object wf = cfg.get("write_files");
    if (!(wf instanceof List<?> files)) {
      throw new SpecException(
          "user-data.write_files",
          "is missing; the agent config travels as a write_files entry for " + configPath);
    }
    ByteArrayOutputStream out = null;
    int i = 0;
    for (Object o : files) {
      String where = "user-data.write_files[" + i++ + "]";
      if (!(o instanceof Map<?, ?> f) || f.get("path") == null) continue;
      String path;
      try {
        path =
            java.nio.file.Path.of(String.valueOf(f.get("path")))
                .toAbsolutePath()
                .normalize()
                .toString();
      } catch (java.nio.file.InvalidPathException e) {
        continue; // not a path we could have written (a NUL in it); cloud-init fails on it alone
      }
      if (!path.equals(configPath)) continue;
      Object content = f.get("content") == null ? "" : f.get("content");
      Object encoding = f.get("encoding") == null ? "text/plain" : f.get("encoding");
      if (!(content instanceof String) || !(encoding instanceof String)) {
        throw new SpecException(where, "content and encoding must be strings");
      }
      byte[] bytes = decode((String) content, (String) encoding, where, budget);
      boolean append = Boolean.TRUE.equals(f.get("append"));
      if (out == null || !append) out = new ByteArrayOutputStream();
      if ((long) out.size() + bytes.length > SpecLoader.MAX_BYTES) {
        throw new SpecException(
            where, "the agent config it writes (with append) is larger than 1 MiB");
      }
      out.writeBytes(bytes);
    }
    if (out == null)
      throw new SpecException("user-data.write_files", "has no entry with path " + configPath);
    return out.toByteArray();
  }

  /**
   * cloud-init's encodings: b64/base64, gz/gzip, gz+b64 and its spellings (base64, then gunzip).
   */
  static byte[] decode(String content, String encoding, String where) {
    return decode(content, encoding, where, new Budget());
  }

  static byte[] decode(String content, String encoding, String where, Budget budget) {
    String e = encoding.toLowerCase(Locale.ROOT);
    byte[] out =
        switch (e) {
          case "b64", "base64" -> base64(content, where + ".content", budget);
          case "gz", "gzip" ->
              gunzip(content.getBytes(StandardCharsets.ISO_8859_1), where + ".content", budget);
          case "gz+base64", "gzip+base64", "gz+b64", "gzip+b64" ->
              gunzip(base64(content, where + ".content", budget), where + ".content", budget);
          case "text/plain" -> content.getBytes(StandardCharsets.UTF_8);
          default ->
              throw new SpecException(
                  where + ".encoding", "unknown encoding " + Validators.quote(encoding));
        };
    budget.decoded(out.length, where);
    return out;
  }

  private static byte[] base64(String s, String where, Budget budget) {
    budget.decoded(s.length() * 3L / 4, where);
    try {
      return Base64.getMimeDecoder().decode(s);
    } catch (IllegalArgumentException ex) {
      throw new SpecException(where, "is not valid base64");
    }
  }

  private static byte[] gunzipIfNeeded(byte[] b, String where, Budget budget) {
    return b.length > 2 && (b[0] & 0xff) == 0x1f && (b[1] & 0xff) == 0x8b
        ? gunzip(b, where, budget)
        : b;
  }

  private static byte[] gunzip(byte[] b, String where, Budget budget) {
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(b))) {
      byte[] out = in.readNBytes(SpecLoader.MAX_BYTES + 1);
      if (out.length > SpecLoader.MAX_BYTES)
        throw new SpecException(where, "decompresses to more than 1 MiB");
      budget.decoded(out.length, where);
      return out;
    } catch (IOException | RuntimeException e) {
      if (e instanceof SpecException se) throw se;
      throw new SpecException(where, "is not valid gzip data");
    }
  }

  record Part(String type, String mergeType, byte[] body) {}

  static List<Part> parts(byte[] data) {
    return parts(data, new Budget());
  }

  static List<Part> parts(byte[] data, Budget budget) {
    String text = new String(data, StandardCharsets.UTF_8);
    String first = text.lines().findFirst().orElse("").trim();
    if (first.startsWith("#cloud-config"))
      return List.of(new Part("text/cloud-config", null, data));
    if (first.startsWith("## template: jinja"))
      throw new SpecException(
          "user-data",
          "Jinja templates are not supported; render it first (cloud-init devel render)");
    if (first.startsWith("#!")) return List.of(new Part("text/x-shellscript", null, data));
    if (first.toLowerCase(Locale.ROOT).startsWith("content-type:")
        || first.toLowerCase(Locale.ROOT).startsWith("mime-version:")) {
      return mime(text, budget, 0);
    }
    throw new SpecException(
        "user-data",
        "is neither #cloud-config nor a MIME multipart message (first line: "
            + Validators.quote(first)
            + ")");
  }

  /** A minimal RFC 2046 multipart/mixed reader: headers, boundary, base64 or plain parts. */
  static List<Part> mime(String text) {
    return mime(text, new Budget(), 0);
  }

  private static List<Part> mime(String text, Budget budget, int depth) {
    if (depth > MAX_DEPTH)
      throw new SpecException(
          "user-data", "MIME multipart nested more than " + MAX_DEPTH + " deep");
    int split = headerEnd(text);
    Map<String, String> headers = headers(text.substring(0, split));
    String ct = headers.getOrDefault("content-type", "text/plain");
    String body = text.substring(Math.min(text.length(), split));
    if (!ct.toLowerCase(Locale.ROOT).startsWith("multipart/")) {
      budget.part("user-data");
      return List.of(part(headers, body, budget));
    }
    String boundary = param(ct, "boundary");
    if (boundary == null)
      throw new SpecException("user-data", "multipart message without a boundary");
    List<Part> out = new ArrayList<>();
    String delim = "--" + boundary;
    String[] chunks = body.split("(?m)^" + java.util.regex.Pattern.quote(delim));
    for (int i = 1; i < chunks.length; i++) {
      String c = chunks[i];
      if (c.startsWith("--")) break;
      c = c.replaceFirst("^\r?\n", "");
      int e = headerEnd(c);
      Map<String, String> h = headers(c.substring(0, e));
      String b = c.substring(Math.min(c.length(), e));
      budget.part("user-data");
      if (h.getOrDefault("content-type", "").toLowerCase(Locale.ROOT).startsWith("multipart/")) {
        out.addAll(mime(c, budget, depth + 1));
      } else {
        out.add(part(h, b, budget));
      }
    }
    return out;
  }

  private static Part part(Map<String, String> h, String body, Budget budget) {
    String type =
        h.getOrDefault("content-type", "text/plain").split(";")[0].trim().toLowerCase(Locale.ROOT);
    String enc =
        h.getOrDefault("content-transfer-encoding", "7bit").trim().toLowerCase(Locale.ROOT);
    byte[] b =
        enc.equals("base64")
            ? base64(body.trim(), "user-data part (" + type + ")", budget)
            : body.replaceFirst("\r?\n$", "").getBytes(StandardCharsets.UTF_8);
    b = gunzipIfNeeded(b, "user-data part (" + type + ")", budget);
    String merge = h.containsKey("merge-type") ? h.get("merge-type") : h.get("x-merge-type");
    if (type.equals("text/plain")) {
      // cloud-init decides an untyped part by its first line
      String first = new String(b, StandardCharsets.UTF_8).lines().findFirst().orElse("");
      if (first.startsWith("#cloud-config")) type = "text/cloud-config";
    }
    return new Part(type, merge, b);
  }

  private static int headerEnd(String s) {
    int a = s.indexOf("\n\n");
    int b = s.indexOf("\r\n\r\n");
    if (a < 0 && b < 0) return s.length();
    if (b >= 0 && (a < 0 || b < a)) return b + 4;
    return a + 2;
  }

  /** Folded lines are joined in a builder (string concatenation per line was quadratic). */
  private static Map<String, String> headers(String block) {
    if (block.length() > MAX_HEADER_BLOCK) {
      throw new SpecException(
          "user-data", "a MIME header block is longer than " + MAX_HEADER_BLOCK / 1024 + " KiB");
    }
    Map<String, StringBuilder> h = new LinkedHashMap<>();
    StringBuilder last = null;
    for (String line : block.split("\r?\n")) {
      if (line.isEmpty()) continue;
      if ((line.startsWith(" ") || line.startsWith("\t")) && last != null) {
        last.append(' ').append(line.trim());
        continue;
      }
      int c = line.indexOf(':');
      if (c > 0) {
        last = new StringBuilder(line.substring(c + 1).trim());
        h.put(line.substring(0, c).trim().toLowerCase(Locale.ROOT), last);
      }
    }
    Map<String, String> out = new LinkedHashMap<>();
    h.forEach((k, v) -> out.put(k, v.toString()));
    return out;
  }

  static final int MAX_HEADER_BLOCK = 64 * 1024;

  private static String param(String header, String name) {
    for (String p : header.split(";")) {
      String t = p.trim();
      if (t.toLowerCase(Locale.ROOT).startsWith(name + "=")) {
        String v = t.substring(name.length() + 1).trim();
        return v.startsWith("\"") && v.endsWith("\"") ? v.substring(1, v.length() - 1) : v;
      }
    }
    return null;
  }
}
