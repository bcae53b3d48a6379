package dev.consulvmagent.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The shipped example configs, prepared for tests against {@link #mirror()}: signature checks off
 * (the mirror's doubles are not release-signed), optional text replacements.
 */
public final class Examples {
  private static TestMirror mirror;

  private Examples() {}

  /**
   * The shipped examples are secret-free templates (mesh user-data completes them); a test that
   * runs one against the mirror's doubles, whose Consul cannot check a token, says so explicitly.
   */
  public static final String INSECURE = "security:\n  mode: insecure\n";

  /** One mirror of test doubles for the whole test run. */
  public static synchronized TestMirror mirror() {
    if (mirror == null) {
      try {
        mirror = new TestMirror("1.16.6", "1.26.8");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      Runtime.getRuntime().addShutdownHook(new Thread(mirror::close));
    }
    return mirror;
  }

  /** examples/NAME.yaml with each (from, to) pair replaced, written into dir. */
  public static Path config(Path dir, String name, String... replace) {
    try {
      String text = Files.readString(Path.of("examples", name + ".yaml"));
      for (int i = 0; i < replace.length; i += 2) text = text.replace(replace[i], replace[i + 1]);
      Path p = dir.resolve(name + ".yaml");
      Files.writeString(p, text + "downloads:\n  verify_signatures: false\n" + INSECURE);
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
