package dev.consulvmagent.cli;

import java.lang.reflect.Field;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The boot-time command lines without picocli. `apply`, `plan` and `validate` with only their own
 * options — the form cloud-init, the systemd unit and operators use — are read here: building
 * picocli's model costs ~100–150 ms, a third of a no-op run at every boot, even with the class-data
 * archive. What the options are (names, arity, type, default, field) is not written here: it is
 * {@link QuickArgsTable}, derived from picocli's model at build time. This class only knows how to
 * read the simplest spellings; anything else (help, --version, a typo, a repeated option, clustered
 * short options, @files, an option-like or empty value) returns empty and goes to picocli.
 * QuickArgsTest checks both read every accepted form the same way.
 */
final class QuickArgs {
  /** The command object (its own options set) and its common options. */
  record Parsed(String command, Object target, Common common) {
    boolean detailedExitCode() {
      return target instanceof PlanCommand p && p.detailed;
    }
  }

  private QuickArgs() {}

  static Optional<Parsed> parse(String[] args) {
    if (args.length == 0 || !QuickArgsTable.COMMANDS.contains(args[0])) return Optional.empty();
    String command = args[0];
    Map<String, QuickArgsTable.Row> byName = new HashMap<>();
    List<QuickArgsTable.Row> rows =
        QuickArgsTable.load().stream().filter(r -> r.command().equals(command)).toList();
    if (rows.isEmpty()) return Optional.empty();
    for (QuickArgsTable.Row r : rows) r.names().forEach(n -> byName.put(n, r));
    Common common = new Common();
    Object target =
        switch (command) {
          case "apply" -> new ApplyCommand();
          case "plan" -> new PlanCommand();
          case "validate" -> new ValidateCommand();
          case "sidecar-wait" -> new SidecarWaitCommand();
          case "sidecar-init" -> new SidecarInitCommand();
          case "redirect-traffic" -> new RedirectTrafficCommand();
          case "cleanup-iptables" -> new CleanupIptablesCommand();
          case "dns-redirect" -> new DnsRedirectCommand();
          default -> null;
        };
    if (target == null) return Optional.empty();
    // every mixin made, as picocli makes them, whether or not one of its options is given
    for (QuickArgsTable.Row r : rows) owner(r, target, common);
    try {
      for (QuickArgsTable.Row r : rows) {
        if (!r.defaultValue().equals(QuickArgsTable.NO_DEFAULT))
          set(r, target, common, r.defaultValue());
      }
      Set<String> seen = new HashSet<>();
      int positional = 0;
      for (int i = 1; i < args.length; i++) {
        String name = args[i];
        String value = null;
        int eq = name.indexOf('=');
        if (name.startsWith("--") && eq > 2) {
          value = name.substring(eq + 1);
          name = name.substring(0, eq);
        } else if (!name.startsWith("-") && !name.isEmpty() && !name.startsWith("@")) {
          // a positional parameter (sidecar-wait SERVICE): the next index, if the command has it
          value = name;
          name = QuickArgsTable.POSITIONAL + positional++;
        }
        QuickArgsTable.Row r = byName.get(name);
        // unknown, repeated, or an option only picocli reads: picocli explains or reads it
        if (r == null || !QuickArgsTable.quick(r) || !seen.add(r.owner() + "." + r.field()))
          return Optional.empty();
        if (r.arity() == 0) {
          if (value != null) return Optional.empty();
          set(r, target, common, "true");
          continue;
        }
        if (value == null) {
          if (i + 1 >= args.length) return Optional.empty();
          value = args[++i];
        }
        // values picocli might read differently (option-like, @argument files, empty) go to it
        if (value.isEmpty() || value.startsWith("-") || value.startsWith("@"))
          return Optional.empty();
        if (r.type().equals("int") && !value.matches("[0-9]{1,9}")) return Optional.empty();
        if (r.type().equals(Output.class.getSimpleName()) && !isOutput(value))
          return Optional.empty(); // picocli's message lists the values
        set(r, target, common, value);
      }
      // every positional parameter is required: without one, picocli's usage error
      for (QuickArgsTable.Row r : rows) {
        if (r.names().get(0).startsWith(QuickArgsTable.POSITIONAL)
            && !seen.contains(r.owner() + "." + r.field())) return Optional.empty();
      }
    } catch (InvalidPathException e) {
      return Optional.empty();
    }
    // redirect-traffic without --service reads Consul's flags, whose mistakes are picocli's usage
    // errors (RedirectTrafficCommand#flags): only the unit's form, --service NAME, is read here
    if (target instanceof RedirectTrafficCommand rt && rt.service == null) return Optional.empty();
    return Optional.of(new Parsed(command, target, common));
  }

  /** The option names of a boot-time command (empty for any other), for Boot.consulSpellings. */
  static Set<String> optionNames(String[] args) {
    Set<String> names = new HashSet<>();
    if (args.length == 0 || !QuickArgsTable.COMMANDS.contains(args[0])) return names;
    for (QuickArgsTable.Row r : QuickArgsTable.load())
      if (r.command().equals(args[0])) names.addAll(r.names());
    return names;
  }

  /**
   * The object holding a row's field: the command, its {@link Common} options, or another mixin of
   * the command (a field of the mixin's type, made here as picocli makes it when it is null).
   */
  static Object owner(QuickArgsTable.Row r, Object target, Common common) {
    if (r.owner().equals(Common.class.getSimpleName())) return common;
    if (r.owner().equals(target.getClass().getSimpleName())) return target;
    for (Field m : target.getClass().getDeclaredFields()) {
      if (!m.getType().getSimpleName().equals(r.owner())) continue;
      try {
        m.setAccessible(true);
        if (m.get(target) == null) {
          var ctor = m.getType().getDeclaredConstructor();
          ctor.setAccessible(true);
          m.set(target, ctor.newInstance());
        }
        return m.get(target);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("quick-args: cannot make " + r.owner(), e);
      }
    }
    throw new IllegalStateException("quick-args table: " + r.owner() + " is not in " + target);
  }

  private static boolean isOutput(String value) {
    for (Output o : Output.values()) if (o.name().equals(value)) return true;
    return false;
  }

  private static void set(QuickArgsTable.Row r, Object target, Common common, String value) {
    Object owner = owner(r, target, common);
    Object converted =
        switch (r.type()) {
          case "Path" -> Path.of(value);
          case "int" -> Integer.parseInt(value);
          case "boolean" -> Boolean.parseBoolean(value);
          case "Output" -> Output.valueOf(value);
          default -> value;
        };
    try {
      Field f = owner.getClass().getDeclaredField(r.field());
      f.setAccessible(true);
      f.set(owner, converted);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("quick-args table does not match " + owner.getClass(), e);
    }
  }
}
