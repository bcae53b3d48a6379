package dev.consulvmagent.sidecar;

import dev.consulvmagent.render.Json;
import dev.consulvmagent.spec.MeshService;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * What {@code generate-sidecar-configs.py --dry --type T} prints, for the same service config (the
 * seed's script: blake/ansible-collection-consul@0c86abe,
 * roles/transparent_proxy/files/generate-sidecar-configs.py). The script prints a result and a
 * newline only when the result is not empty ({@code if result: print(result)}):
 *
 * <ul>
 *   <li>{@code envoy}: the raw {@code consul.hashicorp.com/envoy-extra-args} value ({@code
 *       generate_envoy_args});
 *   <li>{@code connect-envoy}: {@code -prometheus-scrape-path=<value>} when that annotation is
 *       given ({@code add_connect_envoy_arg}), nothing else;
 *   <li>{@code redirect}: one {@code -exclude-<kind>=<item>} per item of the four {@code
 *       transparent-proxy-exclude-*} annotations, in the file's annotation order; the seed's
 *       wrapper {@code consul-redirect-traffic.sh} adds {@code -proxy-id}, {@code -proxy-uid} and
 *       {@code -exclude-uid=<consul>} itself;
 *   <li>{@code service-registration}: the registration document, as sidecar-init writes it.
 * </ul>
 *
 * Values are the validated ones (numbers in decimal), so a config we reject prints nothing.
 */
public final class SeedDryRun {
  private static final String P = "consul.hashicorp.com/";

  private SeedDryRun() {}

  /**
   * The text to print for a --type (already ending in a newline, or empty); the registration is
   * rendered for Consul {@code consulVersion}.
   */
  public static String print(
      String type, Map<String, Object> raw, MeshService mesh, String consulVersion) {
    String result =
        switch (type) {
          case "envoy" -> annotation(raw, "envoy-extra-args");
          case "connect-envoy" -> connectEnvoy(raw);
          case "redirect" -> String.join(" ", redirect(raw, mesh));
          case "service-registration" -> {
            String doc =
                new String(
                    Json.render(Registration.document(mesh, consulVersion)),
                    StandardCharsets.UTF_8);
            yield doc.endsWith("\n") ? doc.substring(0, doc.length() - 1) : doc;
          }
          default -> throw new IllegalArgumentException("unknown type " + type);
        };
    return result.isEmpty() ? "" : result + "\n";
  }

  private static String connectEnvoy(Map<String, Object> raw) {
    String path = annotation(raw, "prometheus-scrape-path");
    return annotations(raw).containsKey(P + "prometheus-scrape-path")
        ? "-prometheus-scrape-path=" + path
        : "";
  }

  /** The -exclude-* flags, annotation by annotation in document order, items in list order. */
  static List<String> redirect(Map<String, Object> raw, MeshService m) {
    List<String> out = new ArrayList<>();
    for (Object k : annotations(raw).keySet()) {
      String key = String.valueOf(k);
      switch (key.startsWith(P) ? key.substring(P.length()) : "") {
        case "transparent-proxy-exclude-inbound-ports" ->
            add(out, "exclude-inbound-port", m.excludeInboundPorts().iterator());
        case "transparent-proxy-exclude-outbound-ports" ->
            add(out, "exclude-outbound-port", m.excludeOutboundPorts().iterator());
        case "transparent-proxy-exclude-outbound-cidrs" ->
            add(out, "exclude-outbound-cidr", m.excludeOutboundCidrs().iterator());
        case "transparent-proxy-exclude-uids" ->
            add(out, "exclude-uid", m.excludeUids().iterator());
        default -> {}
      }
    }
    return out;
  }

  private static void add(List<String> out, String flag, Iterator<?> items) {
    while (items.hasNext()) out.add("-" + flag + "=" + items.next());
  }

  private static Map<?, ?> annotations(Map<String, Object> raw) {
    return raw.get("annotations") instanceof Map<?, ?> m ? m : Map.of();
  }

  private static String annotation(Map<String, Object> raw, String name) {
    Object v = annotations(raw).get(P + name);
    return v == null ? "" : String.valueOf(v);
  }
}
