package dev.consulvmagent.cli;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * The boot-time command lines without picocli. `apply`, `plan` and `validate` with only the
 * common options — the form cloud-init, the systemd unit and operators use — are read here:
 * building picocli's model costs ~150 ms, a third of a no-op run at every boot. Anything else
 * (help, --version, a typo, a repeated option, an option spelled another way) returns empty and
 * goes to picocli, which stays the one description of the command line; QuickArgsTest checks
 * that both read every form accepted here the same way.
 */
final class QuickArgs {
  record Parsed(String command, Common common, boolean detailedExitCode) {}

  private QuickArgs() {}

  static Optional<Parsed> parse(String[] args) {
    if (args.length == 0 || !Set.of("apply", "plan", "validate").contains(args[0])) return Optional.empty();
    String command = args[0];
    Common c = new Common();
    c.root = Path.of(Common.DEFAULT_ROOT);
    c.output = Common.DEFAULT_OUTPUT;
    c.lockWait = Integer.parseInt(Common.DEFAULT_LOCK_WAIT);
    boolean detailed = false;
    Set<String> seen = new HashSet<>();
    for (int i = 1; i < args.length; i++) {
      String name = args[i];
      String value = null;
      int eq = name.indexOf('=');
      if (name.startsWith("--") && eq > 2) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      }
      String canonical = switch (name) {
        case "-v" -> "--verbose";
        case "-o" -> "--output";
        default -> name;
      };
      if (!seen.add(canonical)) return Optional.empty(); // picocli reports the repetition
      if (canonical.equals("--verbose") || canonical.equals("--stacktrace") || canonical.equals("--detailed-exitcode")) {
        if (value != null) return Optional.empty();
        switch (canonical) {
          case "--verbose" -> c.verbose = true;
          case "--stacktrace" -> c.stacktrace = true;
          default -> {
            if (!command.equals("plan")) return Optional.empty();
            detailed = true;
          }
        }
        continue;
      }
      if (value == null) {
        if (i + 1 >= args.length) return Optional.empty();
        value = args[++i];
      }
      // values picocli might read differently (option-like, @argument files, empty) go to it
      if (value.isEmpty() || value.startsWith("-") || value.startsWith("@")) return Optional.empty();
      try {
        switch (canonical) {
          case "--config" -> c.config = Path.of(value);
          case "--user-data" -> c.userData = Path.of(value);
          case "--root" -> c.root = Path.of(value);
          case "--mirror" -> c.mirror = value;
          case "--output" -> c.output = value;
          case "--lock-wait" -> {
            if (!value.matches("[0-9]{1,9}")) return Optional.empty();
            c.lockWait = Integer.parseInt(value);
          }
          default -> {
            return Optional.empty();
          }
        }
      } catch (InvalidPathException e) {
        return Optional.empty();
      }
    }
    return Optional.of(new Parsed(command, c, detailed));
  }
}
