package dev.consulvmagent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bake's class list from the jar: the agent's, its HTTP client's and Jackson's classes, nothing
 * else.
 */
class CdsClassListTest {
  @TempDir Path tmp;

  @Test
  void listsTheAgentsItsHttpClientsAndJacksonsClasses_inClassListForm() throws Exception {
    Path jar = tmp.resolve("agent.jar");
    try (OutputStream f = Files.newOutputStream(jar);
        ZipOutputStream z = new ZipOutputStream(f)) {
      for (String e :
          List.of(
              "META-INF/MANIFEST.MF",
              "dev/consulvmagent/cli/Boot.class",
              "dev/consulvmagent/render/Units$1.class",
              "dev/consulvmagent/README.txt",
              "okhttp3/OkHttpClient.class",
              "okio/Buffer.class",
              "com/fasterxml/jackson/databind/ObjectMapper.class",
              "com/fasterxml/jackson/core/JsonFactory.class",
              "META-INF/versions/9/module-info.class",
              "okio/module-info.class",
              "kotlin/Unit.class",
              "org/bouncycastle/Foo.class")) {
        z.putNextEntry(new ZipEntry(e));
        z.closeEntry();
      }
    }
    assertThat(CdsClassList.classes(jar.toString()))
        .containsExactly(
            "dev/consulvmagent/cli/Boot",
            "dev/consulvmagent/render/Units$1",
            "okhttp3/OkHttpClient",
            "okio/Buffer",
            "com/fasterxml/jackson/databind/ObjectMapper",
            "com/fasterxml/jackson/core/JsonFactory");
  }
}
