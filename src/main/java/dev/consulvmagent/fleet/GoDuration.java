package dev.consulvmagent.fleet;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations spelled as Nomad and Consul spell them: "10s", "5m", "1h30m", "250ms". */
public final class GoDuration {
  private static final Pattern PART = Pattern.compile("([0-9]{1,9})(ms|s|m|h)");

  private GoDuration() {}

  /** Parses a duration; "0" is zero. Throws IllegalArgumentException naming the text. */
  public static Duration parse(String text) {
    if (text == null || text.isEmpty() || text.length() > 32)
      throw new IllegalArgumentException("not a duration: " + quote(text));
    if (text.equals("0")) return Duration.ZERO;
    Matcher m = PART.matcher(text);
    Duration d = Duration.ZERO;
    int at = 0;
    while (at < text.length()) {
      if (!m.find(at) || m.start() != at)
        throw new IllegalArgumentException(
            "not a duration: " + quote(text) + " (use e.g. 10s, 5m, 1h30m)");
      long n = Long.parseLong(m.group(1));
      d =
          d.plus(
              switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
              });
      at = m.end();
    }
    return d;
  }

  /** The shortest spelling parse reads back: "1h30m", "10s", "250ms", "0s". */
  public static String format(Duration d) {
    if (d.isZero()) return "0s";
    long ms = d.toMillis();
    if (ms % 1000 != 0) return ms + "ms";
    long s = ms / 1000;
    StringBuilder b = new StringBuilder();
    if (s >= 3600) b.append(s / 3600).append('h');
    if (s % 3600 >= 60) b.append(s % 3600 / 60).append('m');
    if (s % 60 != 0) b.append(s % 60).append('s');
    return b.toString();
  }

  private static String quote(String s) {
    if (s == null) return "(nothing)";
    String t = s.length() > 40 ? s.substring(0, 40) + "…" : s;
    return "'" + t.replaceAll("[^\\x20-\\x7e]", "?") + "'";
  }
}
