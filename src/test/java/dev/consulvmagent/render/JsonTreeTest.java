package dev.consulvmagent.render;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@link Json#tree} reads what databind's {@code ObjectMapper.readTree} reads, node class by node
 * class, and refuses what it refuses: the oracle is databind itself, with its defaults.
 */
class JsonTreeTest {
  static final ObjectMapper MAPPER = new ObjectMapper();

  /** Both readers on one text: the same tree (equals is by node class and value), or both fail. */
  static void same(String json) {
    JsonNode want;
    try {
      want = MAPPER.readTree(json);
    } catch (IOException e) {
      try {
        JsonNode got = Json.tree(json);
        throw new AssertionError("databind refused " + excerpt(json) + " but tree read " + got);
      } catch (IOException mine) {
        assertThat(mine).as(excerpt(json)).isInstanceOf(e.getClass());
        return;
      }
    }
    JsonNode got;
    try {
      got = Json.tree(json);
    } catch (IOException e) {
      throw new AssertionError("tree refused what databind read: " + excerpt(json), e);
    }
    assertThat(got).as(excerpt(json)).isEqualTo(want);
    assertThat(got.toString()).isEqualTo(want.toString());
    assertThat(got.getNodeType()).isEqualTo(want.getNodeType());
    assertThat(got.getClass()).isEqualTo(want.getClass());
    // and as plain values, as AgentApi reads a proxy's Config (databind's convertValue)
    if (!want.isMissingNode())
      assertThat(Json.plain(got)).isEqualTo(MAPPER.convertValue(want, Object.class));
    // and from bytes, as Doctor, SecurityPosture and Installed read files
    try {
      byte[] b = json.getBytes(StandardCharsets.UTF_8);
      assertThat(Json.tree(b)).isEqualTo(MAPPER.readTree(b));
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  static String excerpt(String s) {
    return s.length() > 80 ? s.substring(0, 80) + "…" : s;
  }

  @Test
  void recordedConsulAnswers_andEveryJsonFileOfTheTests_readTheSame() throws IOException {
    List<Path> files;
    try (Stream<Path> w = Files.walk(Path.of("src/test/resources"))) {
      files = w.filter(p -> p.toString().endsWith(".json")).toList();
    }
    assertThat(files).hasSizeGreaterThan(20);
    int bodies = 0;
    for (Path f : files) {
      String text = Files.readString(f, StandardCharsets.UTF_8);
      same(text);
      // a recording (recorded/consul-1.8.7/) holds the real agent's answer in "body": the JSON
      // itself, or the text of an answer that is not JSON (a 500's message)
      JsonNode body = MAPPER.readTree(text).path("body");
      if (!body.isMissingNode()) {
        same(body.isTextual() ? body.asText() : body.toString());
        bodies++;
      }
    }
    assertThat(bodies).isGreaterThanOrEqualTo(17);
  }

  @Test
  void edgeCases_readTheSame() {
    for (String s :
        List.of(
            "",
            "   \n",
            "null",
            "true",
            "\"leader\"",
            "\"192.0.2.10:8300\"",
            "1",
            "-0",
            "2147483647",
            "2147483648",
            "-2147483649",
            "9223372036854775807",
            "9223372036854775808",
            "123456789012345678901234567890",
            "1.5",
            "-0.0",
            "1e3",
            "1.5e400",
            "4.9e-325",
            "{}",
            "[]",
            "{\"a\":1,\"a\":2}",
            "{\"a\":{\"b\":1},\"a\":[2]}",
            "{\"a\":null}",
            "[1] trailing",
            "{\"a\":1} {\"b\":2}",
            "[1,",
            "{\"a\"",
            "{\"a\":}",
            "[01]",
            "NaN",
            "'single'",
            "{a:1}",
            "[1,]",
            "\"\\u0000\\ud83d\\ude00\"",
            "\"caf\u00e9 \u2603\"",
            "[".repeat(999) + "]".repeat(999),
            "[".repeat(1001) + "]".repeat(1001))) same(s);
  }

  /**
   * The deepest documents the parser allows (1000 levels), read and made plain on a 256 KiB stack,
   * half the launcher's -Xss512k: a recursive plain() overflowed at ~950 levels (review).
   */
  @Test
  void theDeepestAllowedDocuments_fitTheAgentsStacks() throws Exception {
    String objects = "{\"a\":".repeat(999) + "1" + "}".repeat(999);
    String arrays = "[".repeat(999) + "1" + "]".repeat(999);
    List<Object> out = new ArrayList<>();
    Throwable[] failed = new Throwable[1];
    Thread t =
        new Thread(
            null,
            () -> {
              try {
                for (String doc : List.of(objects, arrays)) {
                  out.add(Json.plain(Json.tree(doc)));
                  out.add(Json.parse(doc));
                }
              } catch (Throwable e) {
                failed[0] = e;
              }
            },
            "small-stack",
            256 * 1024);
    t.start();
    t.join();
    assertThat(failed[0]).isNull();
    assertThat(out).hasSize(4);
    assertThat(out.get(0)).isEqualTo(MAPPER.convertValue(MAPPER.readTree(objects), Object.class));
    assertThat(out.get(2)).isEqualTo(MAPPER.convertValue(MAPPER.readTree(arrays), Object.class));
    assertThat(out.get(1)).isEqualTo(out.get(0));
  }

  @Test
  void randomDocuments_readTheSame() {
    Random r = new Random(7);
    for (int i = 0; i < 2000; i++) same(doc(r, 0));
  }

  private static String doc(Random r, int depth) {
    int kind = depth > 4 ? 2 + r.nextInt(6) : r.nextInt(8);
    switch (kind) {
      case 0:
        {
          List<String> fields = new ArrayList<>();
          for (int i = r.nextInt(5); i > 0; i--)
            fields.add("\"" + "abc".charAt(r.nextInt(3)) + "\":" + doc(r, depth + 1));
          return "{" + String.join(",", fields) + "}";
        }
      case 1:
        {
          List<String> items = new ArrayList<>();
          for (int i = r.nextInt(5); i > 0; i--) items.add(doc(r, depth + 1));
          return "[" + String.join(", ", items) + "]";
        }
      case 2:
        return Long.toString(r.nextLong() >> r.nextInt(64));
      case 3:
        return r.nextBoolean() ? "1" + "0".repeat(r.nextInt(30)) : "-" + r.nextInt();
      case 4:
        return Double.toString(r.nextGaussian() * Math.pow(10, r.nextInt(40) - 20));
      case 5:
        return "\"s" + r.nextInt(1000) + (r.nextBoolean() ? "\\n\\u00e9" : "") + "\"";
      case 6:
        return r.nextBoolean() ? "true" : "false";
      default:
        return "null";
    }
  }
}
