package dev.consulvmagent.spec;

import java.util.ArrayList;
import java.util.List;

/**
 * The connect-service-upstreams grammar of consul-k8s (CE, v2.0 error semantics): {@code
 * name:port[:dc]}, {@code name.svc[.X.peer|.X.dc]:port}, {@code prepared_query:name:port}. Lists as
 * consul-k8s v1.2.9 reads them (endpoints_controller.go processUpstreams): an empty value is no
 * upstream; otherwise split on "," and every item is one upstream, its parts trimmed
 * (strings.TrimSpace) - an empty item has no parts[1] there, so here it is an error naming it.
 */
final class UpstreamParser {
  private UpstreamParser() {}

  static List<Upstream> parse(String raw, String path) {
    List<Upstream> out = new ArrayList<>();
    if (raw.isEmpty()) return out;
    String[] items = raw.split(",", -1);
    for (int i = 0; i < items.length; i++) {
      String el = items[i].trim();
      if (el.isEmpty()) throw new SpecException(path, emptyItem(i, raw));
      out.add(checked(parseOne(el, path), el, path));
    }
    List<Integer> seen = new ArrayList<>();
    for (Upstream u : out) {
      if (seen.contains(u.localBindPort())) {
        throw new SpecException(
            path, "local bind port " + u.localBindPort() + " is used by two upstreams");
      }
      seen.add(u.localBindPort());
    }
    return out;
  }

  /** "item 2 is empty in 'a:1,,b:2'" (1-based, as a person counts). */
  static String emptyItem(int index, String raw) {
    return "item " + (index + 1) + " is empty in '" + raw + "' (remove the extra comma)";
  }

  /**
   * The names in an upstream reach the registration, Envoy's listeners and DNS: the same rules as a
   * service's own name (and a datacenter's), so a space, a newline or a '$' is exit 3 here, not an
   * upstream that never resolves.
   */
  private static Upstream checked(Upstream u, String el, String path) {
    String bad =
        !Validators.isServiceName(u.destinationName())
            ? u.destinationName()
            : u.destinationPeer() != null && !Validators.isServiceName(u.destinationPeer())
                ? u.destinationPeer()
                : u.datacenter() != null && !Validators.isDatacenter(u.datacenter())
                    ? u.datacenter()
                    : null;
    if (bad != null) {
      throw new SpecException(
          path,
          "upstream "
              + Validators.quote(el)
              + ": "
              + Validators.quote(bad)
              + " is not a valid name (letters, digits, '-' and '_'; a datacenter in lower case)");
    }
    return u;
  }

  private static Upstream parseOne(String el, String path) {
    String[] parts = el.split(":", 3);
    for (int i = 0; i < parts.length; i++) parts[i] = parts[i].trim();
    if (parts.length < 2 || parts[0].isEmpty()) {
      throw new SpecException(path, "upstream structured incorrectly: " + el);
    }
    if (parts[0].equals("prepared_query")) {
      if (parts.length != 3 || parts[1].isEmpty())
        throw new SpecException(path, "upstream structured incorrectly: " + el);
      return new Upstream("prepared_query", parts[1], null, null, port(parts[2], el, path));
    }
    String[] dots = parts[0].split("\\.", -1);
    if (dots.length >= 2 && dots[1].equals("svc")) {
      int port = port(parts[1], el, path);
      if (dots.length == 2) return new Upstream("service", dots[0], null, null, port);
      if (dots.length == 4 && dots[3].equals("peer") && !dots[2].isEmpty())
        return new Upstream("service", dots[0], dots[2], null, port);
      if (dots.length == 4 && dots[3].equals("dc") && !dots[2].isEmpty())
        return new Upstream("service", dots[0], null, dots[2], port);
      throw new SpecException(path, "upstream structured incorrectly: " + el);
    }
    int port = port(parts[1], el, path);
    String dc = parts.length == 3 && !parts[2].isEmpty() ? parts[2] : null;
    return new Upstream("service", parts[0], null, dc, port);
  }

  private static int port(String tok, String el, String path) {
    long p;
    try {
      p = parseGoInt(tok);
    } catch (NumberFormatException e) {
      throw new SpecException(
          path, "invalid upstream local bind port \"" + tok + "\" in \"" + el + "\"");
    }
    if (p < 1 || p > 65535) {
      throw new SpecException(
          path, "invalid upstream local bind port \"" + tok + "\" in \"" + el + "\"");
    }
    return (int) p;
  }

  /** Go's strconv.ParseInt(s, 0, 64): 0x, 0o, 0b prefixes and a leading 0 for octal. */
  static long parseGoInt(String s) {
    String t = s.replace("_", "");
    boolean neg = t.startsWith("-");
    if (neg || t.startsWith("+")) t = t.substring(1);
    long v;
    if (t.startsWith("0x") || t.startsWith("0X")) v = Long.parseLong(t.substring(2), 16);
    else if (t.startsWith("0o") || t.startsWith("0O")) v = Long.parseLong(t.substring(2), 8);
    else if (t.startsWith("0b") || t.startsWith("0B")) v = Long.parseLong(t.substring(2), 2);
    else if (t.length() > 1 && t.startsWith("0")) v = Long.parseLong(t.substring(1), 8);
    else v = Long.parseLong(t);
    if (t.isEmpty() || !Character.isLetterOrDigit(t.charAt(t.length() - 1)))
      throw new NumberFormatException(s);
    return neg ? -v : v;
  }
}
