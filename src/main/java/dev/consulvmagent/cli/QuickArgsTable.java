package dev.consulvmagent.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The options of the boot-time commands as picocli's model describes them, written at build time
 * (exec-maven-plugin, phase process-classes) to {@value #RESOURCE} and read by {@link QuickArgs}:
 * one description of the command line (the picocli annotations), and a fast path that cannot read
 * an option differently, because it knows only what this table says. A row: command, the field's
 * declaring class (simple name), field, arity (0 = flag, 1 = value), type, default value (or
 * {@value #NO_DEFAULT}), then the option's names.
 */
public final class QuickArgsTable {
  static final String RESOURCE = "quick-args.tsv";
  static final String NO_DEFAULT = "-";

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
      if (f.length != 7) throw new IllegalStateException("bad " + RESOURCE + " row: " + line);
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

  /**
   * The table shipped in the jar; empty when a build skipped the step (an IDE's compile), so every
   * command line then goes to picocli (QuickArgsTest fails on such a build).
   */
  static List<Row> load() {
    try (InputStream in = QuickArgsTable.class.getResourceAsStream(RESOURCE)) {
      if (in == null) return List.of();
      List<Row> rows = new ArrayList<>();
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (!line.isEmpty()) rows.add(Row.parse(line));
      }
      return rows;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Build step: writes the table into the class output directory given as the argument. */
  public static void main(String[] args) throws IOException {
    Path out = Path.of(args[0], QuickArgsTable.class.getPackageName().replace('.', '/'), RESOURCE);
    Files.createDirectories(out.getParent());
    Files.writeString(out, render(fromModel()));
  }
}
