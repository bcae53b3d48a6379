package dev.consulvmagent.render;

import dev.consulvmagent.spec.Validators;
import java.util.regex.Pattern;

/**
 * Quoting of free text for systemd unit files and environment files. The config reader refuses
 * characters systemd cannot carry (exit 3, naming the field); these methods refuse them again with
 * an {@link IllegalArgumentException}, so a value that slipped past never reaches a file.
 *
 * <p>Why: systemd ends a unit-file line at {@code \n}, {@code \r} and NUL alike, so one such
 * character in a value would start a new directive (an {@code ExecStartPre=+…} running as root).
 */
public final class SystemdSyntax {
  private static final Pattern PLAIN_ENV_VALUE =
      Pattern.compile("([A-Za-z0-9_./:=@,+%^~-]+( [A-Za-z0-9_./:=@,+%^~-]+)*)?");

  private SystemdSyntax() {}

  /**
   * One argument of an {@code Exec*=} command line, as one word that nothing expands:
   * systemd.syntax(7) "Quoting" (double quotes, C-style escapes, so {@code \} and {@code "} are
   * escaped), systemd.unit(5) "Specifiers" ({@code %} is written {@code %%}) and systemd.service(5)
   * "Command lines" ({@code $} expands environment variables, {@code $$} is a literal {@code $}). A
   * quoted {@code ";"} is an argument, not a command separator (checked with systemd-analyze verify
   * in SystemdSyntaxTest).
   */
  public static String execArgument(String value) {
    refuseUnsafe(value, "command-line argument");
    return quoted(new StringBuilder(value.length() + 2), value, true);
  }

  /**
   * value in double quotes with systemd.syntax(7)'s C-style escapes for {@code "} and {@code \},
   * {@code %} doubled (specifiers) and, where $ expands (command lines), {@code $} doubled.
   */
  private static String quoted(StringBuilder b, String value, boolean doubleDollar) {
    b.append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '%' -> b.append("%%");
        case '$' -> b.append(doubleDollar ? "$$" : "$");
        default -> b.append(c);
      }
    }
    return b.append('"').toString();
  }

  /**
   * The whole value of one {@code Environment=} assignment, {@code "NAME=value"}. systemd.exec(5)
   * "Environment=": each line is unquoted per systemd.syntax(7), "variable expansion is not
   * performed inside the strings and the $ character has no special meaning" (so {@code $} is NOT
   * doubled), but "specifier expansion is performed" (so {@code %} is).
   */
  public static String environmentAssignment(String name, String value) {
    if (!Validators.isEnvironmentName(name)) {
      throw new IllegalArgumentException(
          "not an environment variable name: " + Validators.quote(name));
    }
    refuseUnsafe(value, "environment value of " + name);
    // the name is plain (checked above), so quoting "NAME=value" whole quotes only the value's
    // characters: the same escapes, $ left as it is
    return quoted(new StringBuilder(name.length() + value.length() + 3), name + "=" + value, false);
  }

  /**
   * One {@code NAME="value"} line of a file read by {@code EnvironmentFile=}. systemd.exec(5)
   * "EnvironmentFile=": in a double-quoted value a backslash before any of {@code "\`$} keeps that
   * character; lines are not specifier-expanded. The line ends with {@code \n}. A value of only
   * plain characters and single interior spaces is written unquoted (it reads back exactly:
   * "interior whitespace within the line is preserved verbatim"), so simple readers of the file
   * keep working; anything else is double-quoted.
   */
  public static String environmentFileLine(String name, String value) {
    if (!Validators.isEnvironmentName(name)) {
      throw new IllegalArgumentException(
          "not an environment variable name: " + Validators.quote(name));
    }
    refuseUnsafe(value, "environment value of " + name);
    if (PLAIN_ENV_VALUE.matcher(value).matches()) return name + "=" + value + "\n";
    StringBuilder b = new StringBuilder(name.length() + value.length() + 4);
    b.append(name).append("=\"");
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '"' || c == '\\' || c == '`' || c == '$') b.append('\\');
      b.append(c);
    }
    return b.append("\"\n").toString();
  }

  private static void refuseUnsafe(String value, String what) {
    int at = Validators.unsafeCharAt(value, false);
    if (at >= 0) {
      throw new IllegalArgumentException(
          what
              + " contains the character U+"
              + String.format("%04X", value.codePointAt(at))
              + ", which a systemd file cannot carry");
    }
  }
}
