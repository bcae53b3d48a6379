package dev.consulvmagent.spec;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Reads a whole cloud-init user-data file the way cloud-init does and returns what cloud-init
 * leaves at the agent's config path: {@link CloudInitParts} turns the blob into parts (MIME read by
 * mime4j, #cloud-config-archive, gzip, type by first line), {@link CloudInitMerge} merges the
 * cloud-config and JSON-patch parts, {@link CloudInitWriteFiles} runs write_files and
 * write_files_deferred over the result. Held against cloud-init's own code by UserDataOracleTest.
 * Where cloud-init writes nothing, or where the supported versions would write different things, or
 * where only the instance could tell (Jinja, #include), it is a SpecException (exit 3).
 */
public final class UserData {
  /** The largest user-data file read (real clouds allow far less: EC2 takes 16 KiB). */
  public static final int MAX_BYTES = 4 * 1024 * 1024;

  /** MIME limits: parts in all, multipart nesting, header fields and bytes decoded in all. */
  static final int MAX_PARTS = 100;

  static final int MAX_DEPTH = 5;
  static final int MAX_HEADERS = 200;
  static final int MAX_HEADER_BLOCK = 64 * 1024;
  static final long MAX_DECODED = 8L * 1024 * 1024;

  private UserData() {}

  /**
   * The accounts that exist where cloud-init runs write_files: an owner it cannot look up ends its
   * module. Null: unknown (owners are then not checked).
   */
  public record Accounts(Set<String> users, Set<String> groups) {
    public static Accounts of(Collection<String> users, Collection<String> groups) {
      return new Accounts(Set.copyOf(users), Set.copyOf(groups));
    }

    /** From /etc/passwd and /etc/group text: the first field of each entry. */
    public static Accounts parse(byte[] passwd, byte[] group) {
      return new Accounts(names(passwd), names(group));
    }

    /**
     * The accounts of the machine at root (its /etc/passwd and /etc/group), or null when either
     * cannot be read (owners are then not checked).
     */
    public static Accounts read(Path root) {
      try {
        return parse(
            SpecLoader.readInput(root.resolve("etc/passwd"), MAX_BYTES, "passwd", ""),
            SpecLoader.readInput(root.resolve("etc/group"), MAX_BYTES, "group", ""));
      } catch (SpecException e) {
        return null;
      }
    }

    private static Set<String> names(byte[] file) {
      Set<String> out = new HashSet<>();
      for (String line : new String(file, StandardCharsets.UTF_8).split("\n")) {
        int c = line.indexOf(':');
        if (c > 0 && !line.startsWith("#") && !line.startsWith("+") && !line.startsWith("-"))
          out.add(line.substring(0, c));
      }
      return Set.copyOf(out);
    }
  }

  /** Reads a user-data file (a regular file, at most {@link #MAX_BYTES}). */
  public static byte[] read(Path file) {
    return SpecLoader.readInput(file, MAX_BYTES, "user-data", "");
  }

  /** As {@link #extract(byte[], String, Accounts)} without owner checks. */
  public static byte[] extract(byte[] raw, String configPath) {
    return extract(raw, configPath, null);
  }

  /** As {@link #extract(byte[], String, Accounts, Supplier)} without instance data. */
  public static byte[] extract(byte[] raw, String configPath, Accounts accounts) {
    return extract(raw, configPath, accounts, Optional::empty);
  }

  /**
   * The bytes cloud-init writes at configPath for this user-data. instanceData: what a Jinja part
   * is rendered with (cloud-init's /run/cloud-init/instance-data-sensitive.json); without it a
   * Jinja part that is not a shell script is refused (exit 3).
   */
  public static byte[] extract(
      byte[] raw,
      String configPath,
      Accounts accounts,
      Supplier<Optional<InstanceData>> instanceData) {
    return extract(raw, configPath, accounts, instanceData, false).orElseThrow();
  }

  /**
   * As {@link #extract(byte[], String)}, but empty where the merged cloud-config has no write_files
   * entry for path (the seed's /srv/consul/service-config.json in a template that has none); any
   * other reason for cloud-init to write nothing there is still an error.
   */
  public static Optional<byte[]> extractIfListed(byte[] raw, String path) {
    return extract(raw, path, null, Optional::empty, true);
  }

  private static Optional<byte[]> extract(
      byte[] raw,
      String configPath,
      Accounts accounts,
      Supplier<Optional<InstanceData>> instanceData,
      boolean unlistedIsEmpty) {
    try {
      return Optional.ofNullable(
          extractChecked(raw, configPath, accounts, instanceData, unlistedIsEmpty));
    } catch (SpecException e) {
      throw e;
    } catch (RuntimeException | StackOverflowError e) {
      // the last line of defence: hostile input is a config error (exit 3), never exit 4
      throw new SpecException("user-data", "cannot be read (" + e.getClass().getSimpleName() + ")");
    }
  }

  /** null: no write_files entry for configPath, and unlistedIsEmpty. */
  private static byte[] extractChecked(
      byte[] raw,
      String configPath,
      Accounts accounts,
      Supplier<Optional<InstanceData>> instanceData,
      boolean unlistedIsEmpty) {
    if (raw.length > MAX_BYTES) throw new SpecException("user-data", "is larger than 4 MiB");
    Budget budget = new Budget();
    List<CloudInitParts.Part> parts = CloudInitParts.process(raw, budget);
    // CloudConfigPartHandler.handle_part over the parts, in order
    Object buf = null;
    int merged = 0;
    List<String> seen = new ArrayList<>();
    for (CloudInitParts.Part part : parts) {
      seen.add(part.type());
      CloudInitParts.Part p = part;
      if (p.type().equals("text/jinja2")) {
        // JinjaTemplatePartHandler.handle_part: render, then hand the text to the sub-handler of
        // its type; the cloud-config handler gets ctype text/jinja2, so a rendered
        // #cloud-config-jsonp is merged as YAML too (CloudConfigPartHandler.handle_part)
        String rendered = jinja(p, instanceData);
        if (rendered == null) continue;
        String sub = CloudInitParts.typeFromStartsWith(rendered, null);
        if (!"text/cloud-config".equals(sub) && !"text/cloud-config-jsonp".equals(sub)) continue;
        p = new CloudInitParts.Part("text/cloud-config", p.headers(), rendered, p.where());
      }
      switch (p.type()) {
        case "text/cloud-config", "text/cloud-config-jsonp" -> {
          if (buf == null || merged == 0) buf = new LinkedHashMap<Object, Object>();
          if (p.payload() == null) continue; // not UTF-8: cloud-init's YAML/JSON load fails
          try {
            if (p.type().equals("text/cloud-config-jsonp")) {
              buf = CloudInitMerge.patch(buf, (String) p.payload(), p.where());
            } else {
              if (!(buf instanceof Map<?, ?>)) continue; // a patch replaced the root: no dict
              buf =
                  CloudInitMerge.mergePart(
                      castMap(buf), p.payload(), p.headers(), p.where(), budget);
            }
            merged++;
          } catch (CloudInitMerge.Skip skip) {
            // cloud-init: "Failed at merging in cloud config part", the part is ignored
          }
        }
        default -> {}
      }
    }
    Map<?, ?> cfg = buf instanceof Map<?, ?> m ? m : Map.of();
    CloudInitWriteFiles.Result r = CloudInitWriteFiles.run(cfg, configPath, accounts, budget);
    if (r.content() != null) return r.content();
    String why;
    if (merged == 0) {
      why = "cloud-init finds no cloud-config in it (parts: " + seen + ")";
    } else if (r.why() != null) {
      why = r.why();
    } else {
      if (unlistedIsEmpty) return null;
      why = "the merged cloud-config has no write_files entry with path " + configPath;
    }
    throw new SpecException(
        "user-data", "cloud-init writes nothing at " + configPath + " for it: " + why);
  }

  /**
   * A Jinja part: the rendered text, or null where it cannot touch write_files (a shell script, or
   * what cloud-init renders to nothing). Without instance data only a shell script passes.
   */
  private static String jinja(
      CloudInitParts.Part p, Supplier<Optional<InstanceData>> instanceData) {
    String text = p.payload() instanceof String s ? s : "";
    int nl = text.indexOf('\n');
    String rest = nl < 0 ? "" : text.substring(nl + 1);
    // a script stays a script whatever the variables render to: no write_files either way
    if ("text/x-shellscript".equals(CloudInitParts.typeFromStartsWith(rest, null))) return null;
    Optional<InstanceData> data = instanceData.get();
    if (data.isPresent()) return CloudInitJinja.render(text, p.where(), data.get());
    // render_jinja_payload_from_file: "Instance data not yet present at ..." (the part is skipped)
    throw new SpecException(
        p.where(),
        "is a Jinja template (## template: jinja): cloud-init renders it with the instance's data ("
            + InstanceData.SENSITIVE
            + "), which is not there; run the agent on the booted instance, or pass --user-data"
            + " /var/lib/cloud/instance/cloud-config.txt (the merged cloud-config cloud-init"
            + " wrote), or drop the template");
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
  private static Map<Object, Object> castMap(Object o) {
    return (Map<Object, Object>) o;
  }
}
