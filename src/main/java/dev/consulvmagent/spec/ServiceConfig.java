package dev.consulvmagent.spec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The seed's /srv/consul/service-config.json, in either of its forms: {@code {"name", "port"}}
 * (plus optional tags, meta, upstreams) or {@code {"annotations": {…}}}. Holds the raw document
 * (written back verbatim), the normalised {@link MeshService} and warnings about what was ignored.
 */
public record ServiceConfig(Map<String, Object> raw, MeshService mesh, List<String> warnings) {

  public ServiceConfig(Map<String, Object> raw, MeshService mesh) {
    this(raw, mesh, List.of());
  }

  /** Parses the JSON file's bytes (JSON is read with the same strict YAML reader). */
  public static ServiceConfig parse(byte[] json, String path) {
    Node root = SpecLoader.compose(json);
    return fromNode(root, path, Optional.empty());
  }

  /**
   * The services allowed to call this one ({@code intentions: {allow_from: [...]}}); every other
   * caller is denied (secure mode: ACL default deny). The same meaning as Consul's
   * service-intentions config entry (1.9+) {@code Sources: [{Name, Action: allow}]} and as one
   * legacy allow intention per source on 1.8, so the spelling maps onto both.
   */
  public List<String> allowFrom() {
    Object in = raw.get("intentions");
    if (!(in instanceof Map<?, ?> m) || !(m.get("allow_from") instanceof List<?> l))
      return List.of();
    return l.stream().map(String::valueOf).distinct().toList();
  }

  private static List<String> allowFrom(Node n) {
    Node in = n.get("intentions");
    if (in == null) return List.of();
    if (!in.isMapping()) throw in.error("expected a mapping: {allow_from: [service, ...]}");
    List<String> out = new ArrayList<>();
    Node allow = in.get("allow_from");
    if (allow != null) {
      for (Node s : allow.list()) {
        String name = Validators.serviceName(s);
        if (!out.contains(name)) out.add(name);
      }
    }
    in.done();
    return List.copyOf(out);
  }

  public static ServiceConfig fromNode(Node n) {
    return fromNode(n, n.path(), Optional.empty());
  }

  /**
   * The agent config's {@code service}: without a port of its own it takes {@code app.port}
   * (appPort); with neither, the service is registered without a port (it only calls upstreams).
   */
  public static ServiceConfig fromNode(Node n, Optional<Integer> appPort) {
    return fromNode(n, n.path(), appPort);
  }

  private static ServiceConfig fromNode(Node n, String base, Optional<Integer> appPort) {
    if (!n.isMapping())
      throw n.error("expected a mapping with either name and port, or annotations");
    Node ann = n.get("annotations");
    MeshService mesh;
    List<String> warnings = List.of();
    // intentions: {allow_from: [..]} sits beside either form (the annotations have no such key)
    List<String> allowFrom = allowFrom(n);
    if (ann != null) {
      if (n.keys().stream().filter(k -> !k.equals("intentions")).count() > 1) {
        throw n.error("use either 'annotations' or the simple form (name, port, …), not both");
      }
      Map<String, String> values = new LinkedHashMap<>();
      for (Map.Entry<String, String> e : ann.stringMap().entrySet())
        values.put(e.getKey(), e.getValue());
      Annotations a =
          new Annotations(values, base.isEmpty() ? "service-config" : base, appPort.orElse(0));
      mesh = a.toMesh();
      warnings = List.copyOf(a.warnings());
    } else {
      String name = Validators.serviceName(n.require("name"));
      int port = Optional.ofNullable(n.get("port")).map(Node::port).or(() -> appPort).orElse(0);
      // empty tags are skipped, as in the service-tags annotation (parsetags.ParseTags)
      List<String> tags =
          Optional.ofNullable(n.get("tags")).map(Node::strings).orElse(List.of()).stream()
              .map(String::trim)
              .filter(t -> !t.isEmpty())
              .toList();
      Map<String, String> meta =
          Optional.ofNullable(n.get("meta")).map(Node::stringMap).orElse(Map.of());
      for (Map.Entry<String, String> e : meta.entrySet()) {
        String problem = Validators.metaProblem(e.getKey(), e.getValue());
        if (problem != null) throw n.get("meta").get(e.getKey()).error(problem);
      }
      if (meta.size() > Validators.MAX_META_PAIRS) {
        throw n.get("meta").error("more than " + Validators.MAX_META_PAIRS + " entries");
      }
      List<Upstream> ups = new ArrayList<>();
      Node up = n.get("upstreams");
      if (up != null) {
        for (Node u : up.list()) {
          String dest = Validators.serviceName(u.require("destination_name"));
          int bind = u.require("local_bind_port").port();
          Optional<String> dc = Optional.ofNullable(u.get("datacenter")).map(Node::text);
          u.done();
          ups.add(new Upstream("service", dest, null, dc.orElse(null), bind));
        }
      }
      boolean tproxy = Optional.ofNullable(n.get("transparent_proxy")).map(Node::bool).orElse(true);
      n.done();
      mesh =
          new MeshService(
              name,
              port,
              tags,
              meta,
              true,
              tproxy,
              true,
              ups,
              List.of(),
              List.of(),
              List.of(),
              List.of(),
              List.of(),
              Optional.empty(),
              "/metrics",
              Map.of(),
              false,
              Optional.empty());
    }
    // read last: plain() visits every key, which would hide unknown ones from done()
    @SuppressWarnings("unchecked")
    Map<String, Object> raw = (Map<String, Object>) n.plain();
    return new ServiceConfig(raw, mesh, warnings);
  }
}
