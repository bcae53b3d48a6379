package dev.consulvmagent.spec;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/** Checks on single values shared by the config and the service-config readers. */
public final class Validators {
  private static final Pattern SERVICE_NAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9_-]{0,62})");
  private static final Pattern VERSION =
      Pattern.compile("[0-9]+\\.[0-9]+\\.[0-9]+(\\+ent(\\.fips1402)?)?");
  private static final Pattern IPV4 =
      Pattern.compile(
          "((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+");
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]{0,252})");
  private static final Pattern GO_DISCOVER =
      Pattern.compile("provider=[a-z0-9]+( [a-z_]+=[A-Za-z0-9_./:@-]+)*");
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  /** RFC 3986 path characters (pchar and "/"): no whitespace, quotes or backslashes. */
  private static final Pattern URL_PATH =
      Pattern.compile("/[A-Za-z0-9._~!$&'()*+,;=:@/%-]{0,1023}");

  /**
   * Consul's rule for datacenter names (hashicorp/consul agent/config/builder.go, Validate:
   * "datacenter cannot be %q. Please use only [a-z0-9-_]", checked with Consul 1.8.7's {@code
   * consul validate}); Consul lower-cases the name first, we ask for it lower-case.
   */
  private static final Pattern DATACENTER = Pattern.compile("[a-z0-9_-]{1,64}");

  /**
   * Consul warns that a node name outside "alpha-numerics and dashes" or longer than 63 characters
   * "will not be discoverable via DNS" (hashicorp/consul agent/config/builder.go, dns.InvalidNameRe
   * and the 63-character check); we refuse what Consul only warns about.
   */
  private static final Pattern NODE_NAME =
      Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");

  /**
   * Unit names we write (/etc/systemd/system/NAME.service) and, as an application's unit name is
   * also its DynamicUser name (systemd.exec(5): a static user of that name is used if it exists),
   * user names an application must not run as: ours and the base system's.
   */
  private static final Set<String> RESERVED_APP_NAMES =
      Set.of(
          "consul",
          "envoy",
          "consul-vm-agent",
          "consul-sidecar-init",
          "consul-sidecar",
          "consul-dns-redirect", // module/DnsModule.REDIRECT_UNIT
          "root",
          "daemon",
          "bin",
          "sys",
          "sync",
          "games",
          "man",
          "lp",
          "mail",
          "news",
          "uucp",
          "proxy",
          "www-data",
          "backup",
          "list",
          "irc",
          "gnats",
          "nobody",
          "nogroup",
          "messagebus",
          "sshd",
          "ssh",
          "dbus",
          "cron",
          "rsyslog",
          "polkit",
          "getty",
          "serial-getty",
          "cloud-init",
          "cloud-init-local",
          "cloud-config",
          "cloud-final",
          "networking",
          "NetworkManager",
          "user",
          "init",
          "emergency",
          "rescue",
          "halt",
          "reboot",
          "poweroff",
          "shutdown",
          "apt-daily",
          "apt-daily-upgrade",
          "unattended-upgrades",
          "chrony",
          "chronyd",
          "ntp",
          "ntpsec");

  /**
   * Program names an application binary (/usr/local/bin/NAME) must not take: /usr/local/bin comes
   * before /usr/bin on root's and systemd's PATH, so such a file would replace a command that root
   * runs: our launcher, what the launcher runs (java, stat, mkdir, mv, sh), what the agent and the
   * units run, and the base tools.
   */
  private static final Set<String> RESERVED_BINARIES =
      Set.of(
          "consul-vm-agent",
          "consul",
          "envoy",
          "java",
          "sh",
          "bash",
          "dash",
          "env",
          "stat",
          "mkdir",
          "mv",
          "cp",
          "rm",
          "ln",
          "ls",
          "cat",
          "chmod",
          "chown",
          "test",
          "true",
          "false",
          "id",
          "kill",
          "ps",
          "ss",
          "ip",
          "nft",
          "systemctl",
          "journalctl",
          "resolvectl",
          "userdel",
          "useradd",
          "groupadd",
          "groupdel",
          "usermod",
          "getent",
          "sudo",
          "su",
          "login",
          "passwd",
          "mount",
          "umount",
          "gpg",
          "gpgv",
          "tar",
          "gzip",
          "unzip",
          "curl",
          "wget",
          "apt",
          "apt-get",
          "dpkg",
          "cloud-init",
          "perl",
          "awk",
          "sed",
          "grep",
          "find",
          "xargs",
          "sort",
          "head",
          "tail",
          "tee",
          "date",
          "sleep",
          "uname",
          "hostname",
          "readlink",
          "realpath",
          "dirname",
          "basename",
          "install",
          "touch",
          "timeout",
          "nohup",
          "flock",
          "setpriv",
          "runuser",
          "nsenter",
          "unshare",
          "chroot",
          "modprobe",
          "sysctl",
          "ssh",
          "sshd",
          "cron",
          "crontab",
          "at",
          "python",
          "python3");

  private static final List<String> RESERVED_BINARY_PREFIXES =
      List.of(
          "consul-vm-agent",
          "systemd-",
          "iptables",
          "ip6tables",
          "ebtables",
          "arptables",
          "python3.",
          "java-");

  private Validators() {}

  public static boolean isEnvironmentName(String s) {
    return ENV_NAME.matcher(s).matches();
  }

  /**
   * The index of the first character a systemd unit or environment file (or a terminal) cannot
   * carry safely, or -1. Refused always: control characters (C0 incl. CR and NUL, DEL, C1), line
   * and paragraph separators, format characters (byte-order mark, bidi overrides), lone surrogates
   * and Unicode noncharacters (systemd.exec(5), EnvironmentFile=: "valid characters are unicode
   * scalar values other than noncharacters, U+0000 NUL, and U+FEFF"). With {@code multiline},
   * newline and tab are allowed (multi-line text such as file content).
   */
  public static int unsafeCharAt(String s, boolean multiline) {
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      if (!(multiline && (cp == '\n' || cp == '\t')) && isUnsafeChar(cp)) return i;
      i += Character.charCount(cp);
    }
    return -1;
  }

  static boolean isUnsafeChar(int cp) {
    switch (Character.getType(cp)) {
      case Character.CONTROL,
      Character.FORMAT,
      Character.LINE_SEPARATOR,
      Character.PARAGRAPH_SEPARATOR,
      Character.SURROGATE,
      Character.PRIVATE_USE:
        return true;
      default:
        return (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE;
    }
  }

  /** The character at i as a name for messages: "newline (U+000A)". */
  public static String describeChar(String s, int i) {
    int cp = s.codePointAt(i);
    String name =
        switch (cp) {
          case '\n' -> "a newline ";
          case '\r' -> "a carriage return ";
          case 0 -> "a NUL ";
          case '\t' -> "a tab ";
          default -> "the character ";
        };
    return name + String.format("(U+%04X)", cp);
  }

  /**
   * A value for an error message: quoted, control characters shown as escapes, cut to 60
   * characters, so a message never echoes a megabyte or moves the cursor of a terminal.
   */
  public static String quote(String s) {
    if (HIDE_VALUES.get()) return HIDDEN;
    StringBuilder b = new StringBuilder("'");
    int n = 0;
    for (int i = 0; i < s.length() && n < 60; n++) {
      int cp = s.codePointAt(i);
      if (isUnsafeChar(cp) || cp == '\t') b.append(String.format("\\u%04X", cp));
      else b.appendCodePoint(cp);
      i += Character.charCount(cp);
    }
    if (s.codePointCount(0, s.length()) > 60) {
      b.append("…' (").append(s.length()).append(" characters)");
      return b.toString();
    }
    return b.append('\'').toString();
  }

  private static final ThreadLocal<Boolean> HIDE_VALUES = ThreadLocal.withInitial(() -> false);
  static final String HIDDEN =
      "(a value not shown: the config was rendered with secret instance data)";

  /**
   * Runs a parse whose errors quote no value ({@link #quote}): a config rendered from a Jinja part
   * with /run/cloud-init/instance-data-sensitive.json may carry its secrets in any field, and an
   * error goes to the terminal, cloud-init's output log and last-run.json.
   */
  public static <T> T withValuesHidden(Supplier<T> parse) {
    boolean was = HIDE_VALUES.get();
    HIDE_VALUES.set(true);
    try {
      return parse.get();
    } finally {
      HIDE_VALUES.set(was);
    }
  }

  /** A one-line text value that may reach a unit, an environment file or a command line. */
  public static String singleLine(Node n) {
    String v = n.text();
    int at = unsafeCharAt(v, false);
    if (at >= 0) {
      throw n.error(
          "contains "
              + describeChar(v, at)
              + " at offset "
              + at
              + "; one-line values cannot hold control or format characters");
    }
    return v;
  }

  public static boolean isUrlPath(String s) {
    return URL_PATH.matcher(s).matches();
  }

  /** The application's name: its unit name and its DynamicUser name; never one of ours. */
  public static String appName(Node n) {
    String v = serviceName(n);
    if (RESERVED_APP_NAMES.contains(v)
        || v.startsWith("consul-vm-agent")
        || v.startsWith("systemd-")) {
      throw n.error(
          quote(v)
              + " is reserved: it names a unit, user or program the agent or the "
              + "system manages; choose another application name");
    }
    return v;
  }

  /** The installed program name (/usr/local/bin/NAME); never a command root runs. */
  public static String appBinary(Node n) {
    String v = fileName(n);
    boolean prefix = RESERVED_BINARY_PREFIXES.stream().anyMatch(v::startsWith);
    if (RESERVED_BINARIES.contains(v) || prefix) {
      throw n.error(
          quote(v)
              + " is reserved: /usr/local/bin/"
              + v
              + " would replace a program the "
              + "agent, its units or root run; choose another binary name");
    }
    return v;
  }

  /**
   * A Go duration as Consul's retry_interval takes it (time.ParseDuration), restricted to one whole
   * number and unit between 1s and 1h: no join loop spinning faster, none idling longer.
   */
  private static final Pattern JOIN_INTERVAL = Pattern.compile("([1-9][0-9]{0,3})(s|m)");

  /** consul.retry_interval: "1s" … "60m". */
  public static String joinInterval(Node n) {
    String v = n.text();
    var m = JOIN_INTERVAL.matcher(v);
    if (!m.matches() || Integer.parseInt(m.group(1)) * (m.group(2).equals("m") ? 60 : 1) > 3600) {
      throw n.error(
          quote(v)
              + " is not a join interval (whole seconds or minutes, 1s to 60m: \"2s\", \"1m\")");
    }
    return v;
  }

  public static String datacenter(Node n) {
    String v = n.text();
    if (!DATACENTER.matcher(v).matches()) {
      throw n.error(
          quote(v)
              + " is not a valid datacenter name (Consul allows lower-case letters, "
              + "digits, '-' and '_'; at most 64 here)");
    }
    return v;
  }

  public static String nodeName(Node n) {
    String v = n.text();
    if (!NODE_NAME.matcher(v).matches()) {
      throw n.error(
          quote(v)
              + " is not a valid node name (a DNS label, as Consul requires for "
              + "DNS: letters, digits and '-', at most 63, not starting or ending with '-')");
    }
    return v;
  }

  private static final Pattern META_KEY = Pattern.compile("[a-zA-Z0-9_-]{1,128}");

  /**
   * Why Consul would refuse this service meta entry, or null: the agent rejects the whole
   * registration (hashicorp/consul agent/structs/structs.go ValidateServiceMetadata: metaKeyFormat
   * `^[a-zA-Z0-9_-]+$`, metaKeyMaxLength 128, metaValueMaxLength 512, metaKeyReservedPrefix
   * "consul-"), so the sidecar would never come up: refused here instead, with exit 3.
   */
  public static String metaProblem(String key, String value) {
    if (!META_KEY.matcher(key).matches()) {
      return "meta key "
          + quote(key)
          + " is not one Consul accepts (letters, digits, '-' and '_', at most 128)";
    }
    if (key.startsWith("consul-")) {
      return "meta key " + quote(key) + " uses the prefix 'consul-', which Consul reserves";
    }
    if (value.length() > 512) {
      return "meta value of " + key + " is longer than the 512 characters Consul accepts";
    }
    return null;
  }

  /** Consul's metaMaxKeyPairs (structs.go), less the managed-by entry the agent adds. */
  public static final int MAX_META_PAIRS = 63;

  public static boolean isDatacenter(String s) {
    return DATACENTER.matcher(s).matches();
  }

  public static boolean isServiceName(String s) {
    return SERVICE_NAME.matcher(s).matches();
  }

  public static boolean isIpv4(String s) {
    return IPV4.matcher(s).matches();
  }

  private static final Pattern PREFIX_LENGTH = Pattern.compile("[0-9]|[12][0-9]|3[0-2]");

  /**
   * An IPv4 address or CIDR, ASCII only ("10.0.0.0/8"): it is written into an iptables-restore
   * script, so nothing after it (" -j ACCEPT", a newline and a rule) may pass.
   */
  public static boolean isIpv4OrCidr(String s) {
    int slash = s.indexOf('/');
    if (slash < 0) return isIpv4(s);
    return isIpv4(s.substring(0, slash)) && PREFIX_LENGTH.matcher(s.substring(slash + 1)).matches();
  }

  public static boolean isIp(String s) {
    if (isIpv4(s)) return true;
    if (!s.contains(":") || !IPV6.matcher(s).matches()) return false;
    try {
      InetAddress.getByName(s); // a literal: no lookup happens
      return true;
    } catch (UnknownHostException e) {
      return false;
    }
  }

  public static String serviceName(Node n) {
    String v = n.text();
    if (!isServiceName(v)) {
      throw n.error(
          quote(v)
              + " is not a valid service name (letters, digits, '-' and '_', at most 63, starting"
              + " with a letter or digit)");
    }
    return v;
  }

  public static String version(Node n) {
    String v = n.text();
    if (!VERSION.matcher(v).matches()) {
      throw n.error(quote(v) + " is not a release version like 1.16.6");
    }
    return v;
  }

  public static String ip(Node n) {
    String v = n.text();
    if (!isIp(v)) {
      throw n.error(quote(v) + " is not an IP address");
    }
    return v;
  }

  /** retry_join accepts an IP, a host name or a go-discover "provider=… key=value" string. */
  public static String joinAddress(Node n) {
    String v = n.text();
    if (isIp(v) || HOST.matcher(v).matches() || GO_DISCOVER.matcher(v).matches()) {
      return v;
    }
    throw n.error(quote(v) + " is not an IP address, host name or go-discover string");
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
      throw n.error(quote(v) + " is not a plain file name (letters, digits, '.', '_', '-')");
    }
    return v;
  }

  public static String httpUrl(Node n) {
    String v = n.text();
    try {
      URI u = new URI(v);
      if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null) {
        throw n.error(quote(v) + " is not an http(s) URL");
      }
      return v;
    } catch (URISyntaxException e) {
      throw n.error(quote(v) + " is not a valid URL: " + e.getReason());
    }
  }
}
