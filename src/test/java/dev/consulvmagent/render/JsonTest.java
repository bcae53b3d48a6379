package dev.consulvmagent.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The streaming renderer must produce exactly what databind's sorted pretty printer did: files
 * rendered by earlier versions compare equal, so an upgrade is not a change on every host.
 */
class JsonTest {
  static final ObjectMapper DATABIND =
      new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
  static final DefaultPrettyPrinter PRETTY =
      new DefaultPrettyPrinter()
          .withObjectIndenter(new DefaultIndenter("  ", "\n"))
          .withArrayIndenter(new DefaultIndenter("  ", "\n"));

  static Map<String, Object> sample() {
    Map<String, Object> inner = new LinkedHashMap<>();
    inner.put("zeta", List.of());
    inner.put("alpha", Map.of());
    inner.put("port", 8500);
    inner.put("big", 1L << 40);
    inner.put("huge", new BigInteger("123456789012345678901234567890"));
    inner.put("ratio", 0.25);
    inner.put("on", true);
    inner.put("nothing", null);
    inner.put(
        "text", "quote \" backslash \\ tab \t newline \n unicode é ✓ control \u0001 </script>");
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("service", Map.of("name", "dashboard", "tags", List.of("b", "a"), "port", 9002));
    m.put("b", inner);
    m.put("a", new ArrayList<>(Arrays.asList(1, "two", null, List.of(3), Map.of("k", "v"))));
    m.put("10", "keys sort as strings");
    m.put("9", "after 10");
    return m;
  }

  @Test
  void render_isByteForByteWhatDatabindWrote() throws Exception {
    String expected = DATABIND.writer(PRETTY).writeValueAsString(sample()) + "\n";
    assertThat(new String(Json.render(sample()), StandardCharsets.UTF_8)).isEqualTo(expected);
    assertThat(Json.compact(sample())).isEqualTo(DATABIND.writeValueAsString(sample()));
    assertThat(new String(Json.render(Map.of()), StandardCharsets.UTF_8))
        .isEqualTo(DATABIND.writer(PRETTY).writeValueAsString(Map.of()) + "\n");
  }

  @Test
  void parse_givesWhatDatabindGave() throws Exception {
    byte[] doc = Json.render(sample());
    assertThat(Json.parse(doc)).isEqualTo(DATABIND.readValue(doc, Object.class));
    assertThat(Json.parse("[1, 2.5, 9999999999, \"x\", false]"))
        .isEqualTo(List.of(1, 2.5, 9999999999L, "x", false));
  }

  @Test
  void parse_refusesBrokenDocuments() {
    assertThatThrownBy(() -> Json.parse("{\"a\": 1")).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> Json.parse("{} {}"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("trailing");
    assertThatThrownBy(() -> Json.parse("")).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> Json.parseObject("[1]".getBytes()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("object");
    assertThat(Json.flatten("not json".getBytes())).containsEntry("(unparsable)", "true");
  }

  @Test
  void flatten_namesEachLeaf() {
    assertThat(Json.flatten("{\"b\":{\"y\":[1,2],\"x\":\"s\"},\"a\":{}}".getBytes()))
        .containsExactly(
            Map.entry("a", "{}"), Map.entry("b.x", "\"s\""), Map.entry("b.y", "[1,2]"));
  }

  @Test
  void somethingThatIsNotPlainData_isRefused() {
    assertThatThrownBy(() -> Json.render(Map.of("when", Instant.EPOCH)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Instant");
  }
}
