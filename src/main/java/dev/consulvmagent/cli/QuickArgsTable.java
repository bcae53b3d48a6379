package dev.consulvmagent.cli;

import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

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
      """;

  /** The commands QuickArgs reads; everything else always goes to picocli. */
  static final List<String> COMMANDS = List.of("apply", "plan", "validate");

  /**
   * The option types QuickArgs can convert exactly as picocli does; and {@link Output}, whose
   * values QuickArgs takes only when they are a constant's exact name (else picocli refuses it).
   */
  static final Set<Class<?>> TYPES = Set.of(Path.class, String.class, int.class, boolean.class);

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
        if (!(o.userObject() instanceof Field f)) {
          throw new IllegalStateException(command + " " + o.longestName() + ": not a field option");
        }
        if (!(TYPES.contains(o.type()) || o.type() == Output.class)
            || o.arity().max() > 1
            || o.arity().min() != o.arity().max()
            || o.negatable()
            || o.defaultValue() != null && o.defaultValue().contains("${")) {
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
                o.arity().max(),
                o.type().getSimpleName(),
                o.defaultValue() == null ? NO_DEFAULT : o.defaultValue(),
                List.of(names)));
      }
    }
    return rows;
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
