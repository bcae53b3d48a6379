package dev.consulvmagent.spec;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;

/** Reads {@code service:} of the agent config and the service-config file (sidecar-init). */
final class ServiceSection {
  private ServiceSection() {}

  /**
   * The service config, with every error: its reader stops at the first, so it is read again
   * without the keys and annotations already reported (at most {@link #SERVICE_ROUNDS} times; an
   * error about a key already left out is a consequence, not a new problem, and ends the search),
   * and each annotation error gets the line of its annotation.
   */
  static Optional<ServiceConfig> read(Node n, SpecLoader.Problems p, Optional<Integer> appPort) {
    Set<String> dropped = new HashSet<>();
    Node current = n;
    for (int round = 0; round < SERVICE_ROUNDS; round++) {
      try {
        ServiceConfig c = ServiceConfig.fromNode(current, appPort);
        if (c.mesh().name().equals("consul")) {
          // Consul's servers register their own service named consul (consul.service.consul,
          // which DNS and the doctor resolve): a mesh service of that name collides with it
          Node ann = n.get("annotations");
          p.add(
              ann != null
                  ? new SpecException(
                      n.path() + ".annotations." + CONNECT_SERVICE,
                      ann.keyLine(CONNECT_SERVICE),
                      "'consul' is reserved: it is Consul's own service; choose another name")
                  : new SpecException(
                      n.path() + ".name",
                      n.keyLine("name"),
                      "'consul' is reserved: it is Consul's own service; choose another name"));
          return Optional.empty();
        }
        return dropped.isEmpty() ? Optional.of(c) : Optional.empty();
      } catch (SpecException e) {
        List<String> again = new ArrayList<>();
        for (SpecException one : e.problems()) {
          String key = droppable(n, one.path());
          if (key != null && dropped.contains(key)) return Optional.empty();
          boolean annotation = key != null && key.startsWith("a:");
          p.add(
              !annotation || one.line() > 0
                  ? one
                  : new SpecException(
                      one.path(), n.get("annotations").keyLine(key.substring(2)), one.detail()));
          if (key == null) return Optional.empty();
          again.add(key);
        }
        dropped.addAll(again);
        current = without(n, dropped);
      }
    }
    return Optional.empty();
  }

  static final int SERVICE_ROUNDS = 20;

  private static final String CONNECT_SERVICE = "consul.hashicorp.com/connect-service";

  /**
   * What an error path names in the service mapping: "a:KEY" for an annotation
   * (service.annotations.KEY…), "k:KEY" for a key of the simple form (service.KEY…), or null.
   */
  private static String droppable(Node service, String path) {
    if (!service.isMapping() || path == null || !path.startsWith(service.path() + ".")) return null;
    Node ann = service.get("annotations");
    String annPrefix = service.path() + ".annotations.";
    if (ann != null && ann.isMapping() && path.startsWith(annPrefix)) {
      String rest = path.substring(annPrefix.length());
      String best = null;
      for (String k : ann.keys()) {
        boolean names = rest.equals(k) || rest.startsWith(k + ".") || rest.startsWith(k + "[");
        if (names && (best == null || k.length() > best.length())) best = k;
      }
      return best == null ? null : "a:" + best;
    }
    String rest = path.substring(service.path().length() + 1);
    int end = rest.length();
    for (char c : new char[] {'.', '['})
      if (rest.indexOf(c) >= 0) end = Math.min(end, rest.indexOf(c));
    String top = rest.substring(0, end);
    return top.equals("annotations") || !service.keys().contains(top) ? null : "k:" + top;
  }

  /**
   * Required keys get a valid stand-in instead of being left out, so the search goes on past them
   * (the stand-in is never used: the config is refused anyway).
   */
  private static final Map<String, String> STAND_INS =
      Map.of(
          "k:name",
          "stand-in",
          "k:port",
          "1",
          "a:consul.hashicorp.com/connect-service",
          "stand-in",
          "a:consul.hashicorp.com/connect-service-port",
          "1");

  /** The service node without these keys and annotations (a copy; the document is unchanged). */
  private static Node without(Node service, Set<String> dropped) {
    MappingNode s = (MappingNode) service.yaml();
    List<NodeTuple> tuples = new ArrayList<>();
    for (NodeTuple t : s.getValue()) {
      if (!(t.getKeyNode() instanceof ScalarNode k)) continue;
      if (dropped.contains("k:" + k.getValue())) {
        String standIn = STAND_INS.get("k:" + k.getValue());
        if (standIn != null) tuples.add(new NodeTuple(k, standIn(standIn, t.getValueNode())));
        continue;
      }
      if (k.getValue().equals("annotations") && t.getValueNode() instanceof MappingNode a) {
        List<NodeTuple> kept = new ArrayList<>();
        for (NodeTuple at : a.getValue()) {
          String ak = at.getKeyNode() instanceof ScalarNode x ? "a:" + x.getValue() : null;
          if (!dropped.contains(ak)) kept.add(at);
          else if (STAND_INS.containsKey(ak))
            kept.add(new NodeTuple(at.getKeyNode(), standIn(STAND_INS.get(ak), at.getValueNode())));
        }
        tuples.add(
            new NodeTuple(
                k,
                new MappingNode(
                    a.getTag(), true, kept, a.getStartMark(), a.getEndMark(), a.getFlowStyle())));
      } else {
        tuples.add(t);
      }
    }
    return new Node(
        service.path(),
        new MappingNode(
            s.getTag(), true, tuples, s.getStartMark(), s.getEndMark(), s.getFlowStyle()));
  }

  private static ScalarNode standIn(String value, org.yaml.snakeyaml.nodes.Node at) {
    return new ScalarNode(
        Tag.STR, value, at.getStartMark(), at.getEndMark(), DumperOptions.ScalarStyle.PLAIN);
  }
}
