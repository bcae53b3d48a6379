package dev.consulvmagent.fleet;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a revision rolls out over a group, with the meaning, defaults and validation of Nomad's
 * {@code update} block (hashicorp/nomad nomad/structs/structs.go {@code DefaultUpdateStrategy}:
 * MaxParallel 1, MinHealthyTime 10s, HealthyDeadline 5m, AutoRevert false, Canary 0; {@code
 * UpdateStrategy.Validate}: max parallel ≥ 1, canary ≥ 0, min healthy time ≥ 0, healthy deadline >
 * 0, min healthy time < healthy deadline). Canary as a count or (Nomad 1.11 system jobs) a
 * percentage of the group's nodes; never both.
 *
 * @param canary number of canary nodes (0: none)
 * @param canaryPercent percentage of the group's nodes that are canaries (0: none)
 */
public record RolloutPolicy(
    int maxParallel,
    Duration minHealthyTime,
    Duration healthyDeadline,
    boolean autoRevert,
    int canary,
    int canaryPercent,
    boolean autoPromote) {
  public static final RolloutPolicy DEFAULT =
      new RolloutPolicy(1, Duration.ofSeconds(10), Duration.ofMinutes(5), false, 0, 0, false);

  /** Upper bounds of our own (Nomad has none): a typo of 1000h must not wedge a group. */
  static final int MAX_PARALLEL_LIMIT = 10_000;

  static final Duration DEADLINE_LIMIT = Duration.ofHours(24);

  /** Every problem, each naming its field; empty when valid. */
  public List<String> problems() {
    List<String> p = new ArrayList<>();
    if (maxParallel < 1)
      p.add("max_parallel can not be less than one: " + maxParallel + " < 1 (Nomad's rule)");
    if (maxParallel > MAX_PARALLEL_LIMIT)
      p.add("max_parallel can not be more than " + MAX_PARALLEL_LIMIT + ": " + maxParallel);
    if (canary < 0) p.add("canary can not be less than zero: " + canary + " < 0");
    if (canaryPercent < 0 || canaryPercent > 100)
      p.add("canary_percent must be between 0 and 100: " + canaryPercent);
    if (canary > 0 && canaryPercent > 0) p.add("canary and canary_percent: set one, not both");
    if (autoPromote && canary == 0 && canaryPercent == 0)
      p.add("auto_promote needs canary or canary_percent (there is nothing to promote)");
    if (minHealthyTime.isNegative())
      p.add("min_healthy_time may not be less than zero: " + GoDuration.format(minHealthyTime));
    if (healthyDeadline.isNegative() || healthyDeadline.isZero())
      p.add("healthy_deadline must be greater than zero: " + GoDuration.format(healthyDeadline));
    if (healthyDeadline.compareTo(DEADLINE_LIMIT) > 0)
      p.add("healthy_deadline can not be more than 24h: " + GoDuration.format(healthyDeadline));
    if (minHealthyTime.compareTo(healthyDeadline) >= 0)
      p.add(
          "min_healthy_time must be less than healthy_deadline: "
              + GoDuration.format(minHealthyTime)
              + " >= "
              + GoDuration.format(healthyDeadline));
    return p;
  }

  public RolloutPolicy validated() {
    List<String> p = problems();
    if (!p.isEmpty()) throw new IllegalArgumentException(String.join("; ", p));
    return this;
  }

  /** How many of a group of {@code nodes} are canaries: the count, or the percentage rounded up. */
  public int canaries(int nodes) {
    if (canary > 0) return canary;
    if (canaryPercent == 0) return 0;
    return Math.max(1, (int) Math.ceil(nodes * canaryPercent / 100.0));
  }

  public boolean hasCanaries() {
    return canary > 0 || canaryPercent > 0;
  }

  /** The JSON form stored in KV (snake_case, durations as "10s"). */
  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("max_parallel", maxParallel);
    m.put("min_healthy_time", GoDuration.format(minHealthyTime));
    m.put("healthy_deadline", GoDuration.format(healthyDeadline));
    m.put("auto_revert", autoRevert);
    m.put("canary", canary);
    m.put("canary_percent", canaryPercent);
    m.put("auto_promote", autoPromote);
    return m;
  }

  /** Reads the JSON form; missing fields take Nomad's defaults; unknown fields are refused. */
  public static RolloutPolicy fromJson(Map<String, Object> m) {
    RolloutPolicy d = DEFAULT;
    for (String k : m.keySet())
      if (!d.toJson().containsKey(k)) throw new IllegalArgumentException("unknown policy key " + k);
    return new RolloutPolicy(
        intOf(m, "max_parallel", d.maxParallel),
        durOf(m, "min_healthy_time", d.minHealthyTime),
        durOf(m, "healthy_deadline", d.healthyDeadline),
        boolOf(m, "auto_revert", d.autoRevert),
        intOf(m, "canary", d.canary),
        intOf(m, "canary_percent", d.canaryPercent),
        boolOf(m, "auto_promote", d.autoPromote));
  }

  private static int intOf(Map<String, Object> m, String k, int dflt) {
    Object v = m.get(k);
    if (v == null) return dflt;
    if (v instanceof Integer i) return i;
    if (v instanceof Long l && l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE)
      return (int) l.longValue();
    throw new IllegalArgumentException(k + " must be a whole number");
  }

  private static Duration durOf(Map<String, Object> m, String k, Duration dflt) {
    Object v = m.get(k);
    if (v == null) return dflt;
    if (v instanceof String s) return GoDuration.parse(s);
    throw new IllegalArgumentException(k + " must be a duration such as \"10s\"");
  }

  private static boolean boolOf(Map<String, Object> m, String k, boolean dflt) {
    Object v = m.get(k);
    if (v == null) return dflt;
    if (v instanceof Boolean b) return b;
    throw new IllegalArgumentException(k + " must be true or false");
  }
}
