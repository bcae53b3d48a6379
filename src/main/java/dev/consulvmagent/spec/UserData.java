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
 * Reads a whole cloud-init user-data file (a #cloud-config document, or a MIME multipart message
 * as Vagrant builds, optionally gzipped), merges its cloud-config parts as cloud-init does, and
 * returns the content of the write_files entry for the agent config path.
 */
public final class UserData {
  private UserData() {}

  public static byte[] extract(byte[] raw, String configPath) {
    byte[] data = gunzipIfNeeded(raw, "user-data");
    List<Part> parts = parts(data);
    Map<String, Object> merged = null;
    int seen = 0;
    for (Part p : parts) {
      if (!p.type().equals("text/cloud-config")) continue;
      seen++;
      Object doc = SpecLoader.compose(p.body()).plain();
      if (doc == null) continue;
      if (!(doc instanceof Map<?, ?>)) throw new SpecException("user-data part " + seen, "a cloud-config part must be a mapping");
      @SuppressWarnings("unchecked")
      Map<String, Object> m = new LinkedHashMap<>((Map<String, Object>) doc);
      Object how = m.remove("merge_how");
      Object type = m.remove("merge_type");
      CloudInitMerge.Rules rules = p.mergeType() != null ? CloudInitMerge.parse(p.mergeType())
          : how != null ? CloudInitMerge.parse(how) : type != null ? CloudInitMerge.parse(type) : CloudInitMerge.Rules.DEFAULT;
      merged = merged == null ? m : castMap(CloudInitMerge.merge(merged, m, rules));
    }
    if (merged == null) {
      throw new SpecException("user-data", "has no #cloud-config part (found: " + parts.stream().map(Part::type).toList() + ")");
    }
    return writeFile(merged, configPath);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> castMap(Object o) {
    return (Map<String, Object>) o;
  }

  private static byte[] writeFile(Map<String, Object> cfg, String configPath) {
    Object wf = cfg.get("write_files");
    if (!(wf instanceof List<?> files)) {
      throw new SpecException("user-data.write_files", "is missing; the agent config travels as a write_files entry for " + configPath);
    }
    ByteArrayOutputStream out = null;
    int i = 0;
    for (Object o : files) {
      String where = "user-data.write_files[" + i++ + "]";
      if (!(o instanceof Map<?, ?> f) || f.get("path") == null) continue;
      String path = java.nio.file.Path.of(String.valueOf(f.get("path"))).toAbsolutePath().normalize().toString();
      if (!path.equals(configPath)) continue;
      byte[] content = decode(String.valueOf(f.get("content") == null ? "" : f.get("content")),
          f.get("encoding") == null ? "text/plain" : String.valueOf(f.get("encoding")), where);
      boolean append = Boolean.TRUE.equals(f.get("append"));
      if (out == null || !append) out = new ByteArrayOutputStream();
      out.writeBytes(content);
    }
    if (out == null) throw new SpecException("user-data.write_files", "has no entry with path " + configPath);
    return out.toByteArray();
  }

  /** cloud-init's encodings: b64/base64, gz/gzip, gz+b64 and its spellings (base64, then gunzip). */
  static byte[] decode(String content, String encoding, String where) {
    String e = encoding.toLowerCase(Locale.ROOT);
    try {
      return switch (e) {
        case "b64", "base64" -> Base64.getMimeDecoder().decode(content);
        case "gz", "gzip" -> gunzip(content.getBytes(StandardCharsets.ISO_8859_1), where);
        case "gz+base64", "gzip+base64", "gz+b64", "gzip+b64" -> gunzip(Base64.getMimeDecoder().decode(content), where);
        case "text/plain" -> content.getBytes(StandardCharsets.UTF_8);
        default -> throw new SpecException(where + ".encoding", "unknown encoding '" + encoding + "'");
      };
    } catch (IllegalArgumentException ex) {
      throw new SpecException(where + ".content", "is not valid base64");
    }
  }

  private static byte[] gunzipIfNeeded(byte[] b, String where) {
    return b.length > 2 && (b[0] & 0xff) == 0x1f && (b[1] & 0xff) == 0x8b ? gunzip(b, where) : b;
  }

  private static byte[] gunzip(byte[] b, String where) {
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(b))) {
      byte[] out = in.readNBytes(SpecLoader.MAX_BYTES + 1);
      if (out.length > SpecLoader.MAX_BYTES) throw new SpecException(where, "decompresses to more than 1 MiB");
      return out;
    } catch (IOException e) {
      throw new SpecException(where, "is not valid gzip data");
    }
  }

  record Part(String type, String mergeType, byte[] body) {}

  static List<Part> parts(byte[] data) {
    String text = new String(data, StandardCharsets.UTF_8);
    String first = text.lines().findFirst().orElse("").trim();
    if (first.startsWith("#cloud-config")) return List.of(new Part("text/cloud-config", null, data));
    if (first.startsWith("## template: jinja")) throw new SpecException("user-data", "Jinja templates are not supported; render it first (cloud-init devel render)");
    if (first.startsWith("#!")) return List.of(new Part("text/x-shellscript", null, data));
    if (first.toLowerCase(Locale.ROOT).startsWith("content-type:") || first.toLowerCase(Locale.ROOT).startsWith("mime-version:")) {
      return mime(text);
    }
    throw new SpecException("user-data", "is neither #cloud-config nor a MIME multipart message (first line: '"
        + (first.length() > 40 ? first.substring(0, 40) + "…" : first) + "')");
  }

  /** A minimal RFC 2046 multipart/mixed reader: headers, boundary, base64 or plain parts. */
  static List<Part> mime(String text) {
    int split = headerEnd(text);
    Map<String, String> headers = headers(text.substring(0, split));
    String ct = headers.getOrDefault("content-type", "text/plain");
    String body = text.substring(Math.min(text.length(), split));
    if (!ct.toLowerCase(Locale.ROOT).startsWith("multipart/")) {
      return List.of(part(headers, body));
    }
    String boundary = param(ct, "boundary");
    if (boundary == null) throw new SpecException("user-data", "multipart message without a boundary");
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
      if (h.getOrDefault("content-type", "").toLowerCase(Locale.ROOT).startsWith("multipart/")) {
        out.addAll(mime(c));
      } else {
        out.add(part(h, b));
      }
    }
    return out;
  }

  private static Part part(Map<String, String> h, String body) {
    String type = h.getOrDefault("content-type", "text/plain").split(";")[0].trim().toLowerCase(Locale.ROOT);
    String enc = h.getOrDefault("content-transfer-encoding", "7bit").trim().toLowerCase(Locale.ROOT);
    byte[] b = enc.equals("base64") ? Base64.getMimeDecoder().decode(body.trim())
        : body.replaceFirst("\r?\n$", "").getBytes(StandardCharsets.UTF_8);
    b = gunzipIfNeeded(b, "user-data part");
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

  private static Map<String, String> headers(String block) {
    Map<String, String> h = new LinkedHashMap<>();
    String last = null;
    for (String line : block.split("\r?\n")) {
      if (line.isEmpty()) continue;
      if ((line.startsWith(" ") || line.startsWith("\t")) && last != null) {
        h.put(last, h.get(last) + " " + line.trim());
        continue;
      }
      int c = line.indexOf(':');
      if (c > 0) {
        last = line.substring(0, c).trim().toLowerCase(Locale.ROOT);
        h.put(last, line.substring(c + 1).trim());
      }
    }
    return h;
  }

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
