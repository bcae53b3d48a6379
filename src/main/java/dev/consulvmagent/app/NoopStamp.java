package dev.consulvmagent.app;

import dev.consulvmagent.engine.Change;
import dev.consulvmagent.engine.Outcome;
import dev.consulvmagent.engine.Redact;
import dev.consulvmagent.engine.RunEvent;
import dev.consulvmagent.engine.RunResult;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.host.HostFs;
import dev.consulvmagent.host.InputLog;
import java.io.File;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The no-op's fast path (issue 23: a no-op re-run ≤ 3× a JVM hello world). An apply that changed
 * nothing, ran no process and asked no server leaves a stamp: every path its run read, with the
 * inode, size, mtime and ctime it had ({@link InputLog}), keyed by the command line, working
 * directory, the environment variables the agent reads and the Java runtime. The next apply with
 * the same key, under the run lock, stats those paths again; when none changed, that run would read
 * the same bytes, build the same plan and change nothing again, so it says what the stamped run
 * said (its warnings, its "No changes.", its last-run.json with this run's times) without loading
 * the config, building the resources or planning. Anything different (one path, the agent's jar, a
 * variable) is a full run, which removes the stamp first. What a run learns other than from files
 * (a process's answer: iptables, systemctl; Consul's API: the secure mesh, the fleet; a DNS query)
 * makes it leave no stamp, so a host whose plan depends on them always runs in full. Secrets: the
 * stamp holds digests and paths, the warnings already printed (redacted) and last-run.json's text
 * (already on disk, redacted); 0600, in the agent's state directory.
 */
public final class NoopStamp {
  public static final String PATH = "/var/lib/consul-vm-agent/noop-stamp";
  static final String MAGIC = "consul-vm-agent no-op stamp 1";

  private NoopStamp() {}

  /**
   * The environment variables the agent and its JVM read (System.getenv and the maps passed on from
   * it: Consul's CONSUL_HTTP_*, the units' ENVOY_ADMIN_BIND, systemd's NOTIFY_SOCKET, the
   * downloads' proxies, the launcher's own CONSUL_VM_AGENT_*; the JVM's options, locale and time
   * zone): a change in any is a full run. NoopStampTest checks every name the sources read is
   * covered.
   */
  public static boolean envRead(String name) {
    String n = name.toUpperCase(Locale.ROOT);
    return n.startsWith("CONSUL_")
        || n.startsWith("ENVOY_")
        || n.equals("NOTIFY_SOCKET")
        || n.endsWith("_PROXY")
        || n.endsWith("JAVA_OPTIONS")
        || n.equals("JAVA_TOOL_OPTIONS")
        || n.startsWith("LC_")
        || n.startsWith("LANG")
        || n.equals("TZ");
  }

  /**
   * This process's key (see {@link #key(List, Map, Map)}): empty when the agent's jar changed
   * moments ago (a package upgrade under way: the code running may not be the code on disk), which
   * makes a full run that leaves no stamp. A class directory (a development run) is keyed by its
   * files without that wait.
   */
  public static Optional<String> key(List<String> argv) {
    Map<String, String> props = new TreeMap<>();
    System.getProperties().forEach((k, v) -> props.put(String.valueOf(k), String.valueOf(v)));
    return key(argv, System.getenv(), props);
  }

  /**
   * The stamp's key, one line: what the run was asked and with what — the command line, the JVM's
   * system properties (working directory, class path, Java version and home, locale, encodings,
   * os.arch, any -D), the variables {@link #envRead} names and the agent's code (each class-path
   * jar's inode, size, mtime and ctime; a class directory's newest change). Kept as it is, so
   * comparing it costs no digest, except what may be a secret: a variable's value
   * (CONSUL_HTTP_TOKEN) and a word of the command line with a URL in it (--mirror, its password or
   * query) are kept as their SHA-256.
   */
  static Optional<String> key(
      List<String> argv, Map<String, String> env, Map<String, String> props) {
    StringBuilder b = new StringBuilder("v1");
    for (String a : argv) b.append(" arg ").append(secretWord(a));
    new TreeMap<>(props)
        .forEach((k, v) -> b.append(" prop ").append(word(k)).append(' ').append(word(v)));
    new TreeMap<>(env)
        .forEach(
            (k, v) -> {
              if (!envRead(k)) return;
              b.append(" env ").append(word(k)).append(' ');
              // Consul's token, a proxy's password: a digest; the JVM's options, locale: as is
              String n = k.toUpperCase(Locale.ROOT);
              boolean secret =
                  n.startsWith("CONSUL_") || n.startsWith("ENVOY_") || n.endsWith("_PROXY");
              b.append(secret ? "sha256:" + sha256(v) : word(v));
            });
    Instant now = Instant.now();
    long recent = (now.getEpochSecond() - CODE_SETTLED_SECONDS) * 1_000_000_000L;
    for (String cp : props.getOrDefault("java.class.path", "").split(File.pathSeparator)) {
      if (cp.isEmpty()) continue;
      Path p = Path.of(cp).toAbsolutePath();
      String k = InputLog.codeKey(p);
      if (InputLog.changedNanos(k) >= recent) return Optional.empty();
      b.append(" code ").append(word(p.toString())).append(' ').append(word(k));
    }
    return Optional.of(b.toString());
  }

  /** How long the agent's code must have been left alone for a run to be keyed (an upgrade). */
  static final long CODE_SETTLED_SECONDS = 5;

  /** A word of the key: its length and itself, escaped so that words cannot run together. */
  private static String word(String w) {
    String e =
        w.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t");
    return e.length() + ":" + e;
  }

  /** A word of the command line: a URL (a mirror's, with a password or token) as its digest. */
  private static String secretWord(String w) {
    return w.contains("://") || !Redact.urlCredentials(w).equals(w)
        ? "sha256:" + sha256(w)
        : word(w);
  }

  private static String sha256(String s) {
    return HostFs.sha256(s.getBytes(UTF8));
  }

  /**
   * A stamp as read: its key, its paths, what the run said (its events and standard output, which
   * the CLI replays) and wrote (last-run.json, with its start and end).
   */
  public record Stamp(
      String key,
      SortedMap<String, String> paths,
      List<RunEvent.Message> events,
      String stdout,
      String result,
      String start,
      String end) {}

  /**
   * Under the run lock: when the stamp's key is key and every path it lists is as it was, the
   * stamped run's output, its last-run.json written again with this run's start and end. Otherwise
   * empty, and the stamp (if any) is removed.
   */
  public static Optional<Stamp> replay(Host host, RunOptions o, String key) {
    HostFs fs = host.fs();
    if (!fs.exists(PATH)) return Optional.empty();
    Instant start = Instant.now();
    try (RunLock lock = RunLock.acquire(host, o.lockWait())) {
      Optional<Stamp> s = parse(fs.readIfExists(PATH).orElse(new byte[0]));
      if (s.isEmpty() || !s.get().key().equals(key) || !same(fs.root(), s.get().paths())) {
        discard(host);
        return Optional.empty();
      }
      Stamp st = s.get();
      String result =
          st.result()
              .replace(quoted(st.start()), quoted(start.toString()))
              .replace(quoted(st.end()), quoted(Instant.now().toString()));
      fs.replaceReport(ResultFile.PATH, result.getBytes(StandardCharsets.UTF_8), 0644);
      return Optional.of(st);
    }
  }

  private static String quoted(String s) {
    return "\"" + s + "\"";
  }

  /**
   * The files a run writes about itself, never read by a plan: left out of their directory's
   * listing (InputLog).
   */
  public static Set<Path> reports(Path root) {
    return Set.of(root.resolve(ResultFile.PATH.substring(1)), root.resolve(PATH.substring(1)));
  }

  /** Whether every path's key is what the stamp says. */
  static boolean same(Path root, SortedMap<String, String> paths) {
    Set<Path> reports = reports(root);
    for (Map.Entry<String, String> e : paths.entrySet())
      if (!InputLog.keyNow(e.getKey(), reports).equals(e.getValue())) return false;
    return true;
  }

  /** Removes the stamp: a full run starts (it may change what the stamp's paths do not cover). */
  public static void discard(Host host) {
    if (host.fs().exists(PATH)) host.fs().delete(PATH);
  }

  /**
   * Starts recording what a full run reads (one run per process); {@link Recording#finish} leaves
   * the stamp when the run allows it.
   */
  public static Recording begin(Host host, String key) {
    return new Recording(host, InputLog.start(reports(host.fs().root())), key);
  }

  /** A full run being recorded. */
  public static final class Recording implements AutoCloseable {
    private final Host host;
    private final InputLog log;
    private final String key;

    Recording(Host host, InputLog log, String key) {
      this.host = host;
      this.log = log;
      this.key = key;
    }

    /** After the run: its result, what it said; why no stamp was left, or empty when one was. */
    public Optional<String> finish(RunResult r, List<RunEvent.Message> events, String stdout) {
      return record(host, log, key, r, events, stdout);
    }

    @Override
    public void close() {
      InputLog.stop();
    }
  }

  /**
   * After a full apply: leaves a stamp when the run changed nothing, failed nothing, ran no process
   * and asked no server, and no path it read changed while it ran. Returns why not, or empty when
   * it left one (for the verbose line and the tests).
   */
  public static Optional<String> record(
      Host host,
      InputLog log,
      String key,
      RunResult r,
      List<RunEvent.Message> events,
      String stdout) {
    if (r.failed()) return Optional.of("the run failed");
    if (!r.actions().isEmpty() || !r.created().isEmpty() || !r.removed().isEmpty())
      return Optional.of("the run changed something");
    for (Outcome o : r.outcomes())
      if (o.kind() != Change.Kind.NONE || o.status() != Outcome.Status.UNCHANGED)
        return Optional.of("the run changed something");
    if (log.effects() > 0)
      return Optional.of("the run asked more than files: " + String.join(", ", log.effectNames()));
    Optional<SortedMap<String, String>> paths = log.unchanged();
    InputLog.stop(); // what follows reads the run's own report, not its inputs
    if (paths.isEmpty())
      return Optional.of(
          "a file it read changed while it ran, or just before (its times may not tell)");
    for (Map.Entry<String, String> e : paths.get().entrySet())
      if (!oneField(e.getKey()) || !oneField(e.getValue()))
        return Optional.of("a path it read (or a name in it) has a tab or a line break");
    String result = new String(host.fs().readIfExists(ResultFile.PATH).orElse(new byte[0]), UTF8);
    String start = r.start().toString();
    String end = r.end().toString();
    if (count(result, quoted(start)) != 1 || count(result, quoted(end)) != 1)
      return Optional.of("last-run.json is not this run's");
    StringBuilder b = new StringBuilder(MAGIC).append('\n');
    b.append("key ").append(key).append('\n');
    paths.get().forEach((p, k) -> b.append("path ").append(p).append('\t').append(k).append('\n'));
    for (RunEvent.Message m : events)
      b.append(m.verbose() ? "verbose " : "info ")
          .append(b64(Redact.urlCredentials(m.text())))
          .append('\n');
    b.append("stdout ").append(b64(Redact.urlCredentials(stdout))).append('\n');
    b.append("result ").append(b64(result)).append('\n');
    b.append("start ").append(start).append('\n');
    b.append("end ").append(end).append('\n');
    byte[] stamp = b.toString().getBytes(UTF8);
    // what the fast path will read: it must parse (and its classes are then in a first run's
    // class-data archive, which the launcher makes: the fast path never opens the jar)
    if (parse(stamp).filter(x -> x.key().equals(key)).isEmpty())
      return Optional.of("the stamp would not read back");
    // a cache: a crash that loses it (or leaves it unreadable) costs one full run, not an fsync
    // on every run that stamps
    host.fs().replaceReport(PATH, stamp, 0600);
    return Optional.empty();
  }

  private static final Charset UTF8 = StandardCharsets.UTF_8;

  private static boolean oneField(String s) {
    return s.indexOf('\n') < 0 && s.indexOf('\r') < 0 && s.indexOf('\t') < 0;
  }

  private static int count(String s, String what) {
    int n = 0;
    for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) n++;
    return n;
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(UTF8));
  }

  private static String unb64(String s) {
    return new String(Base64.getDecoder().decode(s), UTF8);
  }

  /** Reads a stamp; empty when it is not one this agent wrote (another version's, cut short). */
  static Optional<Stamp> parse(byte[] bytes) {
    String[] lines = new String(bytes, UTF8).split("\n", -1);
    if (lines.length < 2 || !lines[0].equals(MAGIC)) return Optional.empty();
    String key = null, stdout = null, result = null, start = null, end = null;
    SortedMap<String, String> paths = new TreeMap<>();
    List<RunEvent.Message> events = new ArrayList<>();
    try {
      for (int i = 1; i < lines.length; i++) {
        String l = lines[i];
        if (l.isEmpty()) continue;
        int sp = l.indexOf(' ');
        if (sp < 0) return Optional.empty();
        String tag = l.substring(0, sp);
        String v = l.substring(sp + 1);
        switch (tag) {
          case "key" -> key = v;
          case "path" -> {
            int tab = v.indexOf('\t');
            if (tab < 0) return Optional.empty();
            String p = v.substring(0, tab);
            InputLog.Kind.valueOf(p.substring(0, p.indexOf(' ')));
            paths.put(p, v.substring(tab + 1));
          }
          case "info" -> events.add(new RunEvent.Message(unb64(v), false));
          case "verbose" -> events.add(new RunEvent.Message(unb64(v), true));
          case "stdout" -> stdout = unb64(v);
          case "result" -> result = unb64(v);
          case "start" -> start = v;
          case "end" -> end = v;
          default -> {
            return Optional.empty();
          }
        }
      }
    } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
      return Optional.empty();
    }
    if (key == null || stdout == null || result == null || start == null || end == null)
      return Optional.empty();
    return Optional.of(new Stamp(key, paths, events, stdout, result, start, end));
  }
}
