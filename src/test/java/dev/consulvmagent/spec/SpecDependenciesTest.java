package dev.consulvmagent.spec;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Issue #14: spec is read by the layers above it and reads none of them (STYLE.md), so there is no
 * spec ↔ sidecar (or spec ↔ render) cycle. A source scan: imports and fully qualified names.
 */
class SpecDependenciesTest {
  private static final Pattern OURS = Pattern.compile("dev\\.consulvmagent\\.([a-z]+)\\.");
  private static final List<String> ALLOWED = List.of("spec", "engine", "host");

  @Test
  void spec_usesNoPackageAboveIt() throws Exception {
    List<String> found = new ArrayList<>();
    try (Stream<Path> files = Files.list(Path.of("src/main/java/dev/consulvmagent/spec"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        Matcher m = OURS.matcher(Files.readString(f));
        while (m.find()) {
          if (!ALLOWED.contains(m.group(1))) found.add(f.getFileName() + " → " + m.group(1));
        }
      }
    }
    assertThat(found).isEmpty();
  }
}
