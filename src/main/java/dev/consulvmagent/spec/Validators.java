package dev.consulvmagent.spec;

import java.util.regex.Pattern;

/** Checks on single values shared by the config and the service-config readers. */
public final class Validators {
  private static final Pattern SERVICE_NAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9_-]{0,62})");
  private static final Pattern VERSION = Pattern.compile("[0-9]+\\.[0-9]+\\.[0-9]+(\\+ent(\\.fips1402)?)?");
  private static final Pattern IPV4 =
      Pattern.compile("((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+");
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]{0,252})");
  private static final Pattern GO_DISCOVER = Pattern.compile("provider=[a-z0-9]+( [a-z_]+=[A-Za-z0-9_./:@-]+)*");
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  private Validators() {}

  public static boolean isServiceName(String s) {
    return SERVICE_NAME.matcher(s).matches();
  }

  public static boolean isIpv4(String s) {
    return IPV4.matcher(s).matches();
  }

  public static boolean isIp(String s) {
    if (isIpv4(s)) return true;
    if (!s.contains(":") || !IPV6.matcher(s).matches()) return false;
    try {
      java.net.InetAddress.getByName(s); // a literal: no lookup happens
      return true;
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  public static String serviceName(Node n) {
    String v = n.text();
    if (!isServiceName(v)) {
      throw n.error("'" + v + "' is not a valid service name (letters, digits, '-' and '_', at most 63, starting with a letter or digit)");
    }
    return v;
  }

  public static String version(Node n) {
    String v = n.text();
    if (!VERSION.matcher(v).matches()) {
      throw n.error("'" + v + "' is not a release version like 1.16.6");
    }
    return v;
  }

  public static String ip(Node n) {
    String v = n.text();
    if (!isIp(v)) {
      throw n.error("'" + v + "' is not an IP address");
    }
    return v;
  }

  /** retry_join accepts an IP, a host name or a go-discover "provider=… key=value" string. */
  public static String joinAddress(Node n) {
    String v = n.text();
    if (isIp(v) || HOST.matcher(v).matches() || GO_DISCOVER.matcher(v).matches()) {
      return v;
    }
    throw n.error("'" + v + "' is not an IP address, host name or go-discover string");
  }

  public static String sha256(Node n) {
    String v = n.text().toLowerCase();
    if (!SHA256.matcher(v).matches()) {
      throw n.error("expected 64 hexadecimal digits (a sha256)");
    }
    return v;
  }

  public static String fileName(Node n) {
    String v = n.text();
    if (!FILE_NAME.matcher(v).matches()) {
      throw n.error("'" + v + "' is not a plain file name (letters, digits, '.', '_', '-')");
    }
    return v;
  }

  public static String httpUrl(Node n) {
    String v = n.text();
    try {
      java.net.URI u = new java.net.URI(v);
      if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null) {
        throw n.error("'" + v + "' is not an http(s) URL");
      }
      return v;
    } catch (java.net.URISyntaxException e) {
      throw n.error("'" + v + "' is not a valid URL: " + e.getReason());
    }
  }
}
