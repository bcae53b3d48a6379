package dev.consulvmagent.spec;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * consul-k8s annotations (consul.hashicorp.com/…) read with consul-k8s semantics: Go ParseBool
 * booleans, transparent proxy on by default, empty list items dropped, malformed values are errors
 * naming the annotation (reference/consul-tproxy.md §5–§6).
 */
final class Annotations {
  static final String P = "consul.hashicorp.com/";
  static final String VIRTUAL_IP = "alpha.consul.hashicorp.com/virtual-ip";
  private static final Set<String> KNOWN =
      Set.of(
          "connect-inject",
          "connect-service",
          "connect-service-port",
          "connect-service-upstreams",
          "service-tags",
          "transparent-proxy",
          "transparent-proxy-exclude-inbound-ports",
          "transparent-proxy-exclude-outbound-ports",
          "transparent-proxy-exclude-outbound-cidrs",
          "transparent-proxy-exclude-uids",
          "envoy-extra-args",
          "enable-metrics",
          "enable-metrics-merging",
          "merged-metrics-port",
          "prometheus-scrape-port",
          "prometheus-scrape-path",
          "proxy-config-map",
          "consul-dns",
          "service-metrics-port",
          "service-metrics-path");

  /**
   * The other consul.hashicorp.com/ keys consul-k8s v1.2.9 knows (control-plane/connect-inject/
   * constants/annotations_and_labels.go): Kubernetes-only, so they have no effect on a VM. Like
   * every key we do not use, they are ignored with a warning (consul-k8s and the seed read the keys
   * they know and ignore the rest); an unknown key is named as such, it may be a typo.
   */
  private static final Set<String> K8S_ONLY =
      Set.of(
          "kubernetes-service",
          "connect-inject-mount-volume",
          "sidecar-proxy-cpu-limit",
          "sidecar-proxy-cpu-request",
          "sidecar-proxy-memory-limit",
          "sidecar-proxy-memory-request",
          "consul-namespace",
          "use-proxy-health-check",
          "transparent-proxy-overwrite-probes",
          "connect-inject-status",
          "original-pod",
          "redirect-traffic-config",
          "consul-envoy-proxy-concurrency",
          "sidecar-proxy-startup-failure-seconds",
          "sidecar-proxy-liveness-failure-seconds",
          "peering-version",
          "consul-sidecar-user-volume",
          "consul-sidecar-user-volume-mount",
          "connect-inject-managed-by",
          "connect-k8s-version",
          "enable-sidecar-proxy-lifecycle",
          "enable-sidecar-proxy-lifecycle-shutdown-drain-listeners",
          "sidecar-proxy-lifecycle-graceful-port",
          "sidecar-proxy-lifecycle-graceful-shutdown-path",
          "sidecar-proxy-lifecycle-shutdown-grace-period-seconds",
          "gateway-consul-service-name",
          "gateway-kind",
          "gateway-namespace",
          "gateway-wan-address-source",
          "gateway-wan-address-static",
          "gateway-wan-port",
          "mesh-gateway-container-port",
          "peering-token",
          "prometheus-ca-file",
          "prometheus-ca-path",
          "prometheus-cert-file",
          "prometheus-key-file",
          "service-ignore",
          "telemetry-collector",
          "transparent-proxy-status");

  private final Map<String, String> values;
  private final String base;
  private final List<String> warnings = new ArrayList<>();

  private final int defaultPort;

  /** defaultPort: the port when connect-service-port is absent (0: none). */
  Annotations(Map<String, String> values, String base, int defaultPort) {
    this.values = values;
    this.base = base;
    this.defaultPort = defaultPort;
  }

  private SpecException error(String annotation, String message) {
    return new SpecException(base + ".annotations." + annotation, message);
  }

  /** At most one warning: the consul.hashicorp.com annotations that were ignored. */
  List<String> warnings() {
    return warnings;
  }

  MeshService toMesh() {
    List<String> noEffect = new ArrayList<>();
    List<String> unknown = new ArrayList<>();
    for (String key : values.keySet()) {
      if (key.startsWith(P)) {
        String name = key.substring(P.length());
        if (K8S_ONLY.contains(name)) noEffect.add(key);
        else if (!KNOWN.contains(name) && !name.startsWith("service-meta-")) unknown.add(key);
      } else if (key.startsWith("alpha." + P) && !key.equals(VIRTUAL_IP)) {
        unknown.add(key);
      } // any other annotation (prometheus.io/…, app.kubernetes.io/…) is not ours: silently ignored
    }
    if (!noEffect.isEmpty() || !unknown.isEmpty()) {
      List<String> parts = new ArrayList<>();
      if (!noEffect.isEmpty()) {
        parts.add("Kubernetes-only, no effect on a VM: " + String.join(", ", noEffect));
      }
      if (!unknown.isEmpty()) {
        parts.add("unknown to consul-k8s 1.2 (a typo?): " + String.join(", ", unknown));
      }
      warnings.add(base + ".annotations: ignoring " + String.join("; ", parts));
    }
    boolean connect = bool("connect-inject", true);
    String name =
        get("connect-service")
            .map(
                v -> {
                  if (v.contains(","))
                    throw error(
                        P + "connect-service", "multi-port services are not supported on a VM");
                  if (!Validators.isServiceName(v))
                    throw error(P + "connect-service", "'" + v + "' is not a valid service name");
                  return v;
                })
            .orElseThrow(
                () ->
                    error(
                        P + "connect-service",
                        "is required on a VM (there is no Kubernetes Service to take the name"
                            + " from)"));
    // Optional, as in consul-k8s (endpoints_controller.go @v1.2.9 createServiceRegistrations:
    // `if raw, ok := pod.Annotations[AnnotationPort]; ok && raw != ""`, else Port stays 0) and
    // the seed (sets "port" only when the annotation is given). 0 = register without a port.
    int port =
        get("connect-service-port")
            .filter(v -> !v.isEmpty())
            .map(v -> port(P + "connect-service-port", v))
            .orElse(defaultPort);
    List<String> tags = tags(get("service-tags").orElse(""));
    Map<String, String> meta = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : values.entrySet()) {
      if (e.getKey().startsWith(P + "service-meta-")) {
        String k = e.getKey().substring((P + "service-meta-").length());
        if (k.isEmpty()) throw error(e.getKey(), "meta key is empty");
        String problem = Validators.metaProblem(k, e.getValue());
        if (problem != null) throw error(e.getKey(), problem);
        meta.put(k, e.getValue());
      }
    }
    if (meta.size() > Validators.MAX_META_PAIRS) {
      throw error(P + "service-meta-", "more than " + Validators.MAX_META_PAIRS + " meta entries");
    }
    List<Upstream> upstreams =
        UpstreamParser.parse(
            get("connect-service-upstreams").orElse(""),
            base + ".annotations." + P + "connect-service-upstreams");
    boolean tproxy = bool("transparent-proxy", true);
    List<Integer> inPorts = portList("transparent-proxy-exclude-inbound-ports");
    List<Integer> outPorts = portList("transparent-proxy-exclude-outbound-ports");
    List<String> cidrs = new ArrayList<>();
    for (String c : items("transparent-proxy-exclude-outbound-cidrs")) {
      if (!isCidrOrIp(c))
        throw error(
            P + "transparent-proxy-exclude-outbound-cidrs",
            "'" + c + "' is not an IPv4 address or CIDR");
      cidrs.add(c);
    }
    List<Integer> uids = new ArrayList<>();
    for (String u : items("transparent-proxy-exclude-uids")) {
      try {
        long v = Long.parseLong(u);
        if (v < 0 || v > 4294967294L) throw new NumberFormatException();
        uids.add((int) v);
      } catch (NumberFormatException e) {
        throw error(P + "transparent-proxy-exclude-uids", "'" + u + "' is not a numeric uid");
      }
    }
    List<String> extra =
        get("envoy-extra-args")
            .map(v -> ShellWords.split(v, base + ".annotations." + P + "envoy-extra-args"))
            .orElse(List.of());
    for (String t : extra) {
      if (t.chars().anyMatch(Character::isWhitespace) || t.contains("$") || t.contains("%")) {
        throw error(
            P + "envoy-extra-args",
            "argument '"
                + t
                + "' contains whitespace, '$' or '%', which the Envoy unit cannot pass through");
      }
    }
    boolean metrics = bool("enable-metrics", false);
    Optional<Integer> scrapePort = Optional.empty();
    if (metrics) {
      int sp =
          get("prometheus-scrape-port")
              .map(v -> port(P + "prometheus-scrape-port", v))
              .orElse(20200);
      if (sp < 1024) throw error(P + "prometheus-scrape-port", "must be between 1024 and 65535");
      scrapePort = Optional.of(sp);
    }
    String scrapePath = get("prometheus-scrape-path").orElse("/metrics");
    if (!scrapePath.startsWith("/"))
      throw error(P + "prometheus-scrape-path", "must start with '/'");
    if (!Validators.isUrlPath(scrapePath)) { // it becomes one word of Envoy's command line
      throw error(P + "prometheus-scrape-path", "must be a URL path without spaces or quotes");
    }
    Map<String, Object> proxyConfig = new LinkedHashMap<>();
    Optional<String> cm = get("proxy-config-map");
    if (cm.isPresent() && !cm.get().isBlank()) {
      try {
        Object parsed = json(cm.get());
        if (!(parsed instanceof Map<?, ?> m))
          throw error(P + "proxy-config-map", "must be a JSON object");
        m.forEach((k, v) -> proxyConfig.put(String.valueOf(k), v));
      } catch (IOException e) {
        String why =
            e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
        throw error(P + "proxy-config-map", "is not valid JSON: " + why);
      }
    }
    boolean dns = bool("consul-dns", false);
    Optional<String> vip =
        Optional.ofNullable(values.get(VIRTUAL_IP))
            .map(
                v -> {
                  if (!Validators.isIpv4(v))
                    throw error(VIRTUAL_IP, "'" + v + "' is not an IPv4 address");
                  return v;
                });
    return new MeshService(
        name,
        port,
        tags,
        meta,
        connect,
        tproxy,
        false,
        upstreams,
        inPorts,
        outPorts,
        cidrs,
        uids,
        extra,
        scrapePort,
        scrapePath,
        proxyConfig,
        dns,
        vip);
  }

  /**
   * A JSON document as maps (in order), lists, strings, numbers, booleans and null, read with
   * jackson-core's streaming parser (as render.Json does; spec must not depend on render).
   */
  static Object json(String text) throws IOException {
    try (JsonParser p = JSON.createParser(text)) {
      if (p.nextToken() == null) throw new IOException("empty document");
      Object v = read(p);
      if (p.nextToken() != null) {
        throw new IOException("trailing content after the JSON value");
      }
      return v;
    }
  }

  private static final JsonFactory JSON = new JsonFactory();

  private static Object read(JsonParser p) throws IOException {
    switch (p.currentToken()) {
      case START_OBJECT -> {
        Map<String, Object> m = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String k = p.currentName();
          p.nextToken();
          m.put(k, read(p));
        }
        return m;
      }
      case START_ARRAY -> {
        List<Object> l = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) l.add(read(p));
        return l;
      }
      case VALUE_STRING -> {
        return p.getText();
      }
      case VALUE_NUMBER_INT -> {
        return p.getNumberValue();
      }
      case VALUE_NUMBER_FLOAT -> {
        return p.getDoubleValue();
      }
      case VALUE_TRUE -> {
        return Boolean.TRUE;
      }
      case VALUE_FALSE -> {
        return Boolean.FALSE;
      }
      case VALUE_NULL -> {
        return null;
      }
      default -> throw new IOException("unexpected " + p.currentToken());
    }
  }

  private Optional<String> get(String name) {
    return Optional.ofNullable(values.get(P + name));
  }

  /** Go's strconv.ParseBool, exactly. */
  private boolean bool(String name, boolean dflt) {
    Optional<String> v = get(name);
    if (v.isEmpty()) return dflt;
    return switch (v.get()) {
      case "1", "t", "T", "TRUE", "true", "True" -> true;
      case "0", "f", "F", "FALSE", "false", "False" -> false;
      default -> throw error(P + name, "'" + v.get() + "' is not a boolean (true/false, 1/0, t/f)");
    };
  }

  private int port(String annotation, String v) {
    long p;
    try {
      p = UpstreamParser.parseGoInt(v.trim());
    } catch (NumberFormatException e) {
      throw error(
          annotation, "'" + v + "' is not a port number (named ports exist only on Kubernetes)");
    }
    if (p < 1 || p > 65535) throw error(annotation, "port must be between 1 and 65535, got " + p);
    return (int) p;
  }

  /**
   * An exclusion list (transparent-proxy-exclude-*): consul-k8s v1.2.9 splits it on "," and hands
   * every item to iptables (webhook/container_init.go splitCommaSeparatedItemsFromAnnotation,
   * redirect_traffic.go), so every item must be valid; an empty one is an error naming it. Items
   * are trimmed, as the seed does (parse_csv).
   */
  private List<String> items(String name) {
    List<String> out = new ArrayList<>();
    Optional<String> raw = get(name);
    if (raw.isEmpty()) return out;
    String[] items = raw.get().split(",", -1);
    for (int i = 0; i < items.length; i++) {
      String item = items[i].trim();
      if (item.isEmpty()) throw error(P + name, UpstreamParser.emptyItem(i, raw.get()));
      out.add(item);
    }
    return out;
  }

  private List<Integer> portList(String name) {
    List<Integer> out = new ArrayList<>();
    for (String s : items(name)) out.add(port(P + name, s));
    return out;
  }

  /** Split on unescaped commas; "\," is a literal comma; trimmed; empty items dropped. */
  static List<String> tags(String raw) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '\\' && i + 1 < raw.length() && raw.charAt(i + 1) == ',') {
        cur.append(',');
        i++;
      } else if (c == ',') {
        add(out, cur);
      } else {
        cur.append(c);
      }
    }
    add(out, cur);
    return out;
  }

  private static void add(List<String> out, StringBuilder cur) {
    String t = cur.toString().trim();
    if (!t.isEmpty()) out.add(t);
    cur.setLength(0);
  }

  static boolean isCidrOrIp(String c) {
    return Validators.isIpv4OrCidr(c);
  }
}
