package dev.consulvmagent.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bombs and malformed input in user-data: each is a SpecException (exit 3), never OOM or exit 4.
 */
class HostileUserDataTest {
  static final String PATH = "/etc/consul-vm-agent/agent.yaml";
  static final String GOOD =
      "#cloud-config\nwrite_files:\n  - path: "
          + PATH
          + "\n    content: 'consul: {role: server}'\n";

  static byte[] gzip(byte[] b) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (GZIPOutputStream g = new GZIPOutputStream(out)) {
        g.write(b);
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  static String b64(byte[] b) {
    return Base64.getMimeEncoder().encodeToString(b);
  }

  static String mimePart(String headers, String body) {
    return "--XYZ\n" + headers + "\n\n" + body + "\n";
  }

  static String mime(String... parts) {
    return "Content-Type: multipart/mixed; boundary=\"XYZ\"\nMIME-Version: 1.0\n\n"
        + String.join("", parts)
        + "--XYZ--\n";
  }

  static Stream<Arguments> bombs() {
    byte[] zeros = new byte[1024 * 1024];
    String gzPart =
        mimePart(
            "Content-Type: application/x-gzip\nContent-Transfer-Encoding: base64",
            b64(gzip(("#cloud-config\nx: '" + "a".repeat(1000 * 1000) + "'\n").getBytes())));
    StringBuilder manyGz = new StringBuilder();
    for (int i = 0; i < 12; i++) manyGz.append(gzPart);
    String nested = GOOD;
    for (int i = 0; i < 8; i++) {
      String b = "B" + i;
      nested =
          "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\""
              + b
              + "\"\n\n--"
              + b
              + "\n"
              + nested
              + "\n--"
              + b
              + "--\n";
    }
    StringBuilder manyParts = new StringBuilder();
    for (int i = 0; i < 150; i++)
      manyParts.append(mimePart("Content-Type: text/x-shellscript", "#!/bin/sh\ntrue"));
    StringBuilder folded = new StringBuilder("MIME-Version: 1.0\nContent-Type: multipart/mixed;\n");
    for (int i = 0; i < 200_000; i++) folded.append(" x=").append(i).append('\n');
    folded.append("\n--XYZ--\n");
    String gzB64Zeros = b64(gzip(zeros)).replace("\r\n", "");
    StringBuilder decodeBomb = new StringBuilder("#cloud-config\nwrite_files:\n");
    for (int i = 0; i < 30; i++) {
      decodeBomb
          .append("  - {path: ")
          .append(PATH)
          .append(", encoding: gz+b64, content: ")
          .append(gzB64Zeros)
          .append("}\n");
    }
    StringBuilder append =
        new StringBuilder("#cloud-config\nc: &c '")
            .append("a".repeat(200_000))
            .append("'\nwrite_files:\n");
    for (int i = 0; i < 8; i++)
      append.append("  - {path: ").append(PATH).append(", append: true, content: *c}\n");
    StringBuilder aliasAppend =
        new StringBuilder("#cloud-config\nc: &c '")
            .append("a".repeat(1000))
            .append("'\nwrite_files:\n");
    for (int i = 0; i < 12_000; i++)
      aliasAppend.append("  - {path: ").append(PATH).append(", append: true, content: *c}\n");
    return Stream.of(
        Arguments.of(
            "top-level gzip bomb",
            gzip(new byte[64 * 1024 * 1024]),
            "decompresses to more than 4 MiB"),
        Arguments.of("gzip'd parts", mime(manyGz.toString()).getBytes(), "MiB in all"),
        Arguments.of("nested multipart", nested.getBytes(), "nested"),
        Arguments.of("many parts", mime(manyParts.toString()).getBytes(), "MIME parts"),
        Arguments.of("folded header", folded.toString().getBytes(), "header"),
        Arguments.of(
            "many header fields (mime4j's limit)",
            ("MIME-Version: 1.0\n" + "X-A: b\n".repeat(UserData.MAX_HEADERS + 1) + "\n" + GOOD)
                .getBytes(),
            "header"),
        Arguments.of("decode bomb", decodeBomb.toString().getBytes(), "MiB in all"),
        Arguments.of("append bomb", append.toString().getBytes(), "larger than 1 MiB"),
        Arguments.of("alias append bomb", aliasAppend.toString().getBytes(), "larger than 1 MiB"),
        Arguments.of("too big", new byte[UserData.MAX_BYTES + 1], "larger than 4 MiB"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("bombs")
  void bombs_areConfigErrors(String name, byte[] userData, String expected) {
    assertThatThrownBy(() -> UserData.extract(userData, PATH))
        .isInstanceOf(SpecException.class)
        .hasMessageContaining(expected);
  }

  static Stream<Arguments> malformed() {
    String part = "Content-Type: text/cloud-config\nContent-Transfer-Encoding: base64";
    return Stream.of(
        Arguments.of("bad base64 part", mime(mimePart(part, "!!!not base64***"))),
        Arguments.of(
            "bad gzip in part", mime(mimePart(part, b64(new byte[] {0x1f, (byte) 0x8b, 1, 2, 3})))),
        Arguments.of(
            "bad content base64",
            "#cloud-config\nwrite_files:\n  - {path: " + PATH + ", encoding: b64, content: 'A'}\n"),
        Arguments.of(
            "bad content gzip",
            "#cloud-config\nwrite_files:\n  - {path: "
                + PATH
                + ", encoding: gz+b64, content: AAAA}\n"),
        Arguments.of(
            "content not text",
            "#cloud-config\nwrite_files:\n  - {path: " + PATH + ", content: [1, 2]}\n"),
        Arguments.of(
            "encoding not text",
            "#cloud-config\nwrite_files:\n  - {path: " + PATH + ", encoding: [x], content: a}\n"),
        Arguments.of(
            "path with NUL",
            "#cloud-config\nwrite_files:\n  - {path: \"/etc/x\\0y\", content: a}\n"),
        Arguments.of("write_files not a list", "#cloud-config\nwrite_files: {a: b}\n"),
        Arguments.of("merge_how open paren", GOOD + "merge_how: 'list(append'\n"),
        Arguments.of("merge_how close first", GOOD + "merge_how: 'list)append('\n"),
        Arguments.of("merge_how trailing", GOOD + "merge_how: 'list(append)x'\n"),
        Arguments.of("merge_how unknown", GOOD + "merge_how: 'tuple()'\n"),
        Arguments.of("merge_how number", GOOD + "merge_how: 5\n"),
        Arguments.of("merge_how list of numbers", GOOD + "merge_how: [1]\n"),
        Arguments.of("merge_how name number", GOOD + "merge_how: [{name: 5}]\n"),
        Arguments.of(
            "merge_how settings scalar", GOOD + "merge_how: [{name: list, settings: append}]\n"),
        Arguments.of(
            "merge_how settings nested",
            GOOD + "merge_how: [{name: list, settings: [[append]]}]\n"),
        Arguments.of(
            "merge_type header",
            mime(mimePart("Content-Type: text/cloud-config\nMerge-Type: dict(", GOOD))),
        Arguments.of("not a mapping", "#cloud-config\n- a\n"),
        Arguments.of("no boundary", "Content-Type: multipart/mixed\n\n--X\n"),
        Arguments.of("binary", "Content-Type: text/plain\n\n\u0000\u0001"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void malformedInput_isAConfigError_notAnInternalOne(String name, String userData) {
    assertThatThrownBy(() -> UserData.extract(userData.getBytes(StandardCharsets.UTF_8), PATH))
        .isInstanceOf(SpecException.class);
  }

  @Test
  void aFifoSwappedInAfterTheCheck_givesUpAtTheDeadline(@TempDir Path dir) throws Exception {
    Path fifo = dir.resolve("fifo");
    Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
    Assumptions.assumeTrue(mk.waitFor(10, TimeUnit.SECONDS) && mk.exitValue() == 0, "no mkfifo");
    long start = System.nanoTime();
    assertThatThrownBy(() -> SpecLoader.readWithDeadline(fifo, 10, Duration.ofMillis(300)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("no data within 300 ms");
    assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(5_000);
  }

  @Test
  void randomMutations_neverEscapeAsAnythingButSpecException() {
    String base =
        mime(
            mimePart(
                "Content-Type: text/cloud-config\nContent-Transfer-Encoding: base64",
                b64(
                    ("#cloud-config\nmerge_how: 'list(append)+dict(recurse_list)'\n"
                            + GOOD.substring(14))
                        .getBytes())),
            mimePart(
                "Content-Type: text/cloud-config\nX-Merge-Type: list(append)+dict(no_replace)",
                GOOD));
    assertThat(new String(UserData.extract(base.getBytes(), PATH)))
        .isEqualTo("consul: {role: server}");
    Random r = new Random(13);
    byte[] chars =
        "()+,:;[]{}&*!|>'\"%@`#\n\r\t -=/\\0AZaz~\u0000\u001f\u007f"
            .getBytes(StandardCharsets.ISO_8859_1);
    for (int i = 0; i < 3000; i++) {
      byte[] b = base.getBytes(StandardCharsets.UTF_8);
      for (int k = 0; k < 1 + r.nextInt(4); k++)
        b[r.nextInt(b.length)] = chars[r.nextInt(chars.length)];
      try {
        UserData.extract(b, PATH);
      } catch (SpecException expected) {
        // fine: a config error
      }
    }
  }
}
