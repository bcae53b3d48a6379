package dev.consulvmagent.cli;

import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * The options of the boot-time commands as picocli's model describes them, in {@link #TABLE} and
 * read by {@link QuickArgs}: one description of the command line (the picocli annotations), and a
 * fast path that cannot read an option differently, because it knows only what this table says. The
 * build checks the table against the model (exec-maven-plugin, phase process-classes, runs {@link
 * #main}; QuickArgsTest too) and fails, printing the table to paste, when they differ. A constant,
 * not a resource in the jar: reading a resource opens the jar, whose ~15,000 entries cost a
 * boot-time run ~25 ms to index (measured, BENCHMARKS.md), which a run whose classes all come from
 * the class-data archive otherwise never pays. A row (tab-separated): command, the field's
 * declaring class (simple name), field, arity (0 = flag, 1 = value), type, default value (or
 * {@value #NO_DEFAULT}), then the option's names.
 */
public final class QuickArgsTable {
  static final String NO_DEFAULT = "-";

  static final String TABLE =
      """
      apply\tCommon\tconfig\t1\tPath\t-\t--config
      apply\tCommon\tuserData\t1\tPath\t-\t--user-data
      apply\tCommon\troot\t1\tPath\t/\t--root
      apply\tCommon\tbake\t0\tboolean\t-\t--bake
      apply\tCommon\tmirror\t1\tString\t-\t--mirror
      apply\tCommon\toutput\t1\tOutput\ttext\t--output -o
      apply\tCommon\tverbose\t0\tboolean\t-\t--verbose -v
      apply\tCommon\tstacktrace\t0\tboolean\t-\t--stacktrace
      apply\tCommon\tlockWait\t1\tint\t10\t--lock-wait
      plan\tCommon\tconfig\t1\tPath\t-\t--config
      plan\tCommon\tuserData\t1\tPath\t-\t--user-data
      plan\tCommon\troot\t1\tPath\t/\t--root
      plan\tCommon\tbake\t0\tboolean\t-\t--bake
      plan\tCommon\tmirror\t1\tString\t-\t--mirror
      plan\tCommon\toutput\t1\tOutput\ttext\t--output -o
      plan\tCommon\tverbose\t0\tboolean\t-\t--verbose -v
      plan\tCommon\tstacktrace\t0\tboolean\t-\t--stacktrace
      plan\tPlanCommand\tdetailed\t0\tboolean\t-\t--detailed-exitcode
      validate\tCommon\tconfig\t1\tPath\t-\t--config
      validate\tCommon\tuserData\t1\tPath\t-\t--user-data
      validate\tCommon\troot\t1\tPath\t/\t--root
      validate\tCommon\tbake\t0\tboolean\t-\t--bake
      validate\tCommon\toutput\t1\tOutput\ttext\t--output -o
      validate\tCommon\tverbose\t0\tboolean\t-\t--verbose -v
      validate\tCommon\tstacktrace\t0\tboolean\t-\t--stacktrace
      sidecar-wait\tSidecarWaitCommand\ttimeout\t1\tint\t150\t--timeout
      sidecar-wait\tConsulOptions\thttpAddr\t1\tString\t-\t--http-addr
      sidecar-wait\tConsulOptions\ttoken\t1\tString\t-\t--token
      sidecar-wait\tConsulOptions\ttokenFile\t1\tString\t-\t--token-file
      sidecar-wait\tConsulOptions\tcaFile\t1\tString\t-\t--ca-file
      sidecar-wait\tConsulOptions\tcaPath\t1\tString\t-\t--ca-path
      sidecar-wait\tConsulOptions\tclientCert\t1\tString\t-\t--client-cert
      sidecar-wait\tConsulOptions\tclientKey\t1\tString\t-\t--client-key
      sidecar-wait\tConsulOptions\ttlsServerName\t1\tString\t-\t--tls-server-name
      sidecar-wait\tSidecarWaitCommand\tservice\t1\tString\t-\t#0
      sidecar-init\tSidecarInitCommand\tfilename\t1\tString\t/srv/consul/service-config.json\t--filename -f
      sidecar-init\tSidecarInitCommand\tdry\t0\tboolean\t-\t--dry
      sidecar-init\tSidecarInitCommand\ttype\t1\tString\t-\t--type
      sidecar-init\tSidecarInitCommand\tfull\t0\tboolean\t-\t--full
      sidecar-init\tSidecarInitCommand\troot\t1\tPath\t/\t--root
      sidecar-init\tSidecarInitCommand\tadminPort\t1\tInteger\t-\t--admin-port
      sidecar-init\tSidecarInitCommand\toutput\t1\tOutput\ttext\t--output -o
      sidecar-init\tSidecarInitCommand\thttpAddr\t1\tString\t-\t--http-addr
      redirect-traffic\tRedirectTrafficCommand\tproxyUid\t1\tInteger\t-\t--proxy-uid -proxy-uid
      redirect-traffic\tRedirectTrafficCommand\tproxyId\t1\tString\t-\t--proxy-id -proxy-id
      redirect-traffic\tRedirectTrafficCommand\tinbound\t1\tint\t0\t--proxy-inbound-port -proxy-inbound-port
      redirect-traffic\tRedirectTrafficCommand\toutbound\t1\tint\t15001\t--proxy-outbound-port -proxy-outbound-port
      redirect-traffic\tRedirectTrafficCommand\texcludeInbound\t1\tList\t-\t--exclude-inbound-port -exclude-inbound-port
      redirect-traffic\tRedirectTrafficCommand\texcludeOutbound\t1\tList\t-\t--exclude-outbound-port -exclude-outbound-port
      redirect-traffic\tRedirectTrafficCommand\texcludeCidr\t1\tList\t-\t--exclude-outbound-cidr -exclude-outbound-cidr
      redirect-traffic\tRedirectTrafficCommand\texcludeUid\t1\tList\t-\t--exclude-uid -exclude-uid
      redirect-traffic\tRedirectTrafficCommand\tdnsIp\t1\tString\t-\t--consul-dns-ip -consul-dns-ip
      redirect-traffic\tRedirectTrafficCommand\tdnsPort\t1\tint\t0\t--consul-dns-port -consul-dns-port
      redirect-traffic\tRedirectTrafficCommand\thttpAddr\t1\tString\t-\t--http-addr -http-addr
      redirect-traffic\tRedirectTrafficCommand\ttoken\t1\tString\t-\t--token -token
      redirect-traffic\tRedirectTrafficCommand\tservice\t1\tString\t-\t--service
      redirect-traffic\tRedirectTrafficCommand\twaitReady\t0\tboolean\t-\t--wait-ready
      redirect-traffic\tRedirectTrafficCommand\tnoDefaults\t0\tboolean\t-\t--no-default-exclusions
      redirect-traffic\tRedirectTrafficCommand\tdnsRedirect\t0\tboolean\t-\t--dns-redirect
      redirect-traffic\tRedirectTrafficCommand\tdryRun\t0\tboolean\t-\t--dry-run
      cleanup-iptables\tCleanupIptablesCommand\tservice\t1\tString\t-\t--service
      cleanup-iptables\tCleanupIptablesCommand\tdryRun\t0\tboolean\t-\t--dry-run
      dns-redirect\tDnsRedirectCommand\tremove\t0\tboolean\t-\t--remove
      dns-redirect\tDnsRedirectCommand\tdryRun\t0\tboolean\t-\t--dry-run
      """;

  /**
   * The commands QuickArgs reads; everything else always goes to picocli. apply, plan and validate
   * are the no-op's and cloud-init's; the others are what the units run at every boot
   * (consul-dns-redirect, envoy@'s sidecar-wait, redirect-traffic and cleanup-iptables,
   * consul-sidecar-init), where picocli's model cost each JVM 60-110 ms of its 0.14-0.25 s
   * (class-load timeline in a booted image machine, BENCHMARKS.md).
   */
  static final List<String> COMMANDS =
      List.of(
          "apply",
          "plan",
          "validate",
          "sidecar-wait",
          "sidecar-init",
          "redirect-traffic",
          "cleanup-iptables",
          "dns-redirect");

  /**
   * The option types QuickArgs can convert exactly as picocli does; and {@link Output}, whose
   * values QuickArgs takes only when they are a constant's exact name (else picocli refuses it). An
   * option of another type (a repeatable list, an Integer that may stay null) is listed with its
   * type and never read here: a command line that uses it goes to picocli. It may have no default,
   * so that leaving it out means the same on both paths (the field's own initial value).
   */
  static final Set<Class<?>> TYPES = Set.of(Path.class, String.class, int.class, boolean.class);

  /** A positional parameter's row has one name: this prefix and its index ({@code #0}). */
  static final String POSITIONAL = "#";

  /** Whether QuickArgs can read a value of this row's type (else the row is picocli's only). */
  static boolean quick(Row r) {
    return switch (r.type()) {
      case "Path", "String", "int", "boolean", "Output" -> true;
      default -> false;
    };
  }

  record Row(
      String command,
      String owner,
      String field,
      int arity,
      String type,
      String defaultValue,
      List<String> names) {
    String line() {
      return String.join(
          "\t",
          command,
          owner,
          field,
          Integer.toString(arity),
          type,
          defaultValue,
          String.join(" ", names));
    }

    static Row parse(String line) {
      String[] f = line.split("\t", -1);
      if (f.length != 7) throw new IllegalStateException("bad QuickArgsTable row: " + line);
      return new Row(
          f[0], f[1], f[2], Integer.parseInt(f[3]), f[4], f[5], List.of(f[6].split(" ")));
    }
  }

  private QuickArgsTable() {}

  /** The rows, derived from picocli's model of the commands (the build step, and a test). */
  static List<Row> fromModel() {
    List<Row> rows = new ArrayList<>();
    for (String command : COMMANDS) {
      CommandSpec spec =
          Main.commandLine(new String[] {command}).getSubcommands().get(command).getCommandSpec();
      for (OptionSpec o : spec.options()) {
        if (o.usageHelp() || o.versionHelp()) continue; // help and version: picocli's business
        Field f = field(command, o.longestName(), o.userObject());
        boolean readable = TYPES.contains(o.type()) || o.type() == Output.class;
        if (readable && (o.arity().max() > 1 || o.arity().min() != o.arity().max() || o.negatable())
            || o.defaultValue() != null && (!readable || o.defaultValue().contains("${"))) {
          throw new IllegalStateException(
              command
                  + " "
                  + o.longestName()
                  + ": QuickArgs cannot read this option exactly as picocli does; teach it or"
                  + " leave the command to picocli");
        }
        String[] names = o.names().clone();
        Arrays.sort(names);
        rows.add(
            new Row(
                command,
                f.getDeclaringClass().getSimpleName(),
                f.getName(),
                readable ? o.arity().max() : 1,
                o.type().getSimpleName(),
                o.defaultValue() == null ? NO_DEFAULT : o.defaultValue(),
                List.of(names)));
      }
      for (PositionalParamSpec p : spec.positionalParameters()) {
        Field f = field(command, p.paramLabel(), p.userObject());
        if (!TYPES.contains(p.type())
            || p.type() == boolean.class
            || p.arity().min() != 1
            || p.arity().max() != 1
            || p.index().min() != p.index().max()
            || p.defaultValue() != null) {
          throw new IllegalStateException(
              command
                  + " "
                  + p.paramLabel()
                  + ": QuickArgs reads only single required positional parameters");
        }
        rows.add(
            new Row(
                command,
                f.getDeclaringClass().getSimpleName(),
                f.getName(),
                1,
                p.type().getSimpleName(),
                NO_DEFAULT,
                List.of(POSITIONAL + p.index().min())));
      }
    }
    return rows;
  }

  private static Field field(String command, String name, Object userObject) {
    if (userObject instanceof Field f) return f;
    throw new IllegalStateException(command + " " + name + ": not a field");
  }

  static String render(List<Row> rows) {
    StringBuilder b = new StringBuilder();
    for (Row r : rows) b.append(r.line()).append('\n');
    return b.toString();
  }

  /** The rows of {@link #TABLE}. */
  static List<Row> load() {
    List<Row> rows = new ArrayList<>();
    for (String line : TABLE.split("\n")) {
      if (!line.isEmpty()) rows.add(Row.parse(line));
    }
    return rows;
  }

  /** Build step: fails when {@link #TABLE} no longer says what picocli's model says. */
  public static void main(String[] args) {
    String model = render(fromModel());
    if (!TABLE.equals(model)) {
      throw new IllegalStateException(
          "QuickArgsTable.TABLE is out of date with the commands' options; it must read:\n"
              + model);
    }
  }
}
