package dev.consulvmagent.testing;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import dev.consulvmagent.render.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * A response of the real Consul 1.8.7 agent, recorded by RecordedResponsesRealTest into
 * src/test/resources/recorded/consul-1.8.7/NAME.json (see the README there). WireMock stubs of the
 * Consul API answer with these, and only these.
 */
public record Recorded(String name, String request, int status, String contentType, JsonNode body) {
  public static final String DIR = "recorded/consul-1.8.7/";

  public static Recorded load(String name) {
    try (InputStream in =
        Recorded.class.getClassLoader().getResourceAsStream(DIR + name + ".json")) {
      if (in == null)
        throw new IllegalArgumentException("no recorded response " + DIR + name + ".json");
      JsonNode n = Json.mapper().readTree(in);
      return new Recorded(
          name,
          n.path("request").asText(),
          n.path("status").asInt(),
          n.path("content_type").asText(),
          n.path("body"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The body as the agent sent it: JSON re-serialised, text as is. */
  public String bodyText() {
    return body.isTextual() ? body.asText() : body.toPrettyString();
  }

  /** A WireMock answer with exactly this status, content type and body. */
  public ResponseDefinitionBuilder response() {
    ResponseDefinitionBuilder r = aResponse().withStatus(status).withBody(bodyText());
    return contentType.isEmpty() ? r : r.withHeader("Content-Type", contentType);
  }
}
