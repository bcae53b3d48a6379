package dev.consulvmagent.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Not a command: the launcher runs this once, when a base image is baked ({@code apply --bake}), to
 * add every class of the agent and of its HTTP stack to the class list of the image's class-data
 * archive (render/Units#launcher), so that the boot's commands find their classes there, success
 * paths included, not only those the bake's training runs loaded. Prints one class a line, in the
 * class-list form of {@code -XX:SharedClassListFile} (internal names, {@code a/b/C}).
 */
public final class CdsClassList {
  /**
   * The agent's own classes, its HTTP client (okhttp and okio) and Jackson: every boot command uses
   * them. Jackson too: the training runs' requests fail (no agent answers at bake), so they never
   * built the ObjectMapper that reads an answer, and on the image sidecar-wait, redirect-traffic
   * and sidecar-init each loaded ~300 jackson-databind classes from the jar (measured in a booted
   * machine with -Xlog:class+load: 296 each; 0.31-0.34 s wall per command, 0.23 s with them in the
   * archive, BENCHMARKS.md).
   */
  static final List<String> PREFIXES =
      List.of("dev/consulvmagent/", "okhttp3/", "okio/", "com/fasterxml/jackson/");

  private CdsClassList() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: CdsClassList JAR");
      System.exit(2);
    }
    print(args[0], System.out);
  }

  static void print(String jar, PrintStream out) throws IOException {
    for (String c : classes(jar)) out.println(c);
    out.flush();
  }

  /** The jar's classes under {@link #PREFIXES}, in the jar's order; no module-info, no versions. */
  static List<String> classes(String jar) throws IOException {
    List<String> out = new ArrayList<>();
    try (ZipFile zip = new ZipFile(jar)) {
      for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
        String name = e.nextElement().getName();
        if (!name.endsWith(".class") || name.endsWith("module-info.class")) continue;
        if (PREFIXES.stream().noneMatch(name::startsWith)) continue;
        out.add(name.substring(0, name.length() - ".class".length()));
      }
    }
    return out;
  }
}
