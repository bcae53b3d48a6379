package dev.consulvmagent.testing;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.consulvmagent.consul.AgentApi;
import dev.consulvmagent.consul.ConsulEndpoint;
import dev.consulvmagent.consul.ConsulHttp;
import dev.consulvmagent.consul.ConsulQuery;
import dev.consulvmagent.consul.ConsulUnavailableException;
import dev.consulvmagent.render.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A REAL Consul agent (the binary at /usr/bin/consul: Debian's build of Consul 1.8.7, see
 * ../shared/reference/real-consul.md) on loopback, for integration tests: free ports for every
 * listener, its own temporary data and config directories, started and stopped by the test (close()
 * destroys its process tree). Runs as any user: nothing outside its directory is written.
 *
 * <p>Without the binary a test is skipped with a loud reason on a developer's machine, and FAILS
 * when the environment variable CI is set: in CI the real agent must have been met.
 */
public final class RealConsul implements AutoCloseable {
  public static final Path BINARY =
      Path.of(System.getenv().getOrDefault("CONSUL_REAL_BINARY", "/usr/bin/consul"));
  private static final Duration START = Duration.ofSeconds(30);

  private final Path dir;
  private final Path configDir;
  private final Path log;
  private final String node;
  private final Listeners ports;
  private final List<String> argv;
  private Path notifySocket;
  private Process process;
  private Thread reaper;

  /** The ports one agent listens on (all on 127.0.0.1). */
  public record Listeners(int http, int dns, int serfLan, int serfWan, int server, int grpc) {}

  private RealConsul(Path dir, String node, List<String> mode, Listeners ports) {
    this.dir = dir;
    this.node = node;
    this.ports = ports;
    this.configDir = dir.resolve("config");
    this.log = dir.resolve("consul.log");
    try {
      Files.createDirectories(configDir);
      Files.createDirectories(dir.resolve("data"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> argv = new ArrayList<>(List.of(BINARY.toString(), "agent"));
    argv.addAll(
        List.of(
            "-node=" + node,
            "-bind=127.0.0.1",
            "-client=127.0.0.1",
            "-advertise=127.0.0.1",
            "-http-port=" + ports.http(),
            "-dns-port=" + ports.dns(),
            "-serf-lan-port=" + ports.serfLan(),
            "-serf-wan-port=" + ports.serfWan(),
            "-server-port=" + ports.server(),
            "-grpc-port=" + ports.grpc(),
            "-data-dir=" + dir.resolve("data"),
            "-config-dir=" + configDir,
            // no phone-home from tests (the checkpoint service is unreachable here anyway)
            "-hcl=disable_update_check = true",
            "-log-level=info"));
    argv.addAll(mode); // last: a mode's flag wins over the defaults above
    this.argv = argv;
  }

  /** Starts the agent (after the test wrote its config dir). */
  private void launch() {
    ProcessBuilder pb =
        new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().remove("NOTIFY_SOCKET");
    if (notifySocket != null) pb.environment().put("NOTIFY_SOCKET", notifySocket.toString());
    pb.environment().remove("CONSUL_HTTP_ADDR");
    pb.environment().remove("CONSUL_HTTP_TOKEN");
    try {
      this.process = pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + BINARY, e);
    }
    this.reaper = new Thread(this::destroyTree, "real-consul-reaper-" + node);
    Runtime.getRuntime().addShutdownHook(reaper);
  }

  /** Skips (developer machine) or fails (CI set) when the real binary is absent. */
  public static void require() {
    if (Files.isExecutable(BINARY)) return;
    String why =
        "REAL CONSUL MISSING: "
            + BINARY
            + " is not installed, so the tests that meet the real Consul agent"
            + " cannot run (install it: scripts/install-real-consul)";
    String ci = System.getenv("CI");
    if (ci != null && !ci.isEmpty() && !ci.equals("false"))
      fail(why + " -- and CI is set: this is a failure, not a skip");
    System.err.println("*** SKIPPED: " + why + " ***");
    Assumptions.abort(why);
  }

  /**
   * A -dev agent (server, leader at once, Connect on), with service definitions written by {@code
   * setup}.
   */
  public static RealConsul dev(Path dir, ConfigWriter setup) {
    return start(dir, "dev", List.of("-dev"), setup);
  }

  /** A -dev agent with extra flags (they win over the helper's own, e.g. -dns-port=-1). */
  public static RealConsul dev(Path dir, List<String> flags, ConfigWriter setup) {
    List<String> mode = new ArrayList<>(List.of("-dev"));
    mode.addAll(flags);
    return start(dir, "dev", mode, setup);
  }

  /** A -dev agent on ports chosen beforehand (so a test can wait on it before it is up). */
  public static RealConsul dev(Path dir, Listeners ports, ConfigWriter setup) {
    return start(dir, "dev", List.of("-dev"), setup, ports);
  }

  /**
   * An agent named {@code node} (exactly: a retry after a port clash keeps the name, for a JWT
   * bound to it) with mode flags and config files of the caller's (the secure mesh tests).
   */
  public static RealConsul named(Path dir, String node, List<String> flags, ConfigWriter setup) {
    List<String> mode = new ArrayList<>(flags);
    mode.add("-node=" + node);
    return start(dir, node, mode, setup);
  }

  /** A lone server: -server -bootstrap-expect=1 (elects itself after a few seconds). */
  public static RealConsul server(Path dir) {
    return server(dir, 1);
  }

  /** A server expecting {@code expect} servers: with more than 1 it never elects a leader alone. */
  public static RealConsul server(Path dir, int expect) {
    return start(
        dir,
        "server",
        List.of("-server", "-bootstrap-expect=" + expect, "-hcl=connect { enabled = true }"),
        c -> {});
  }

  /** A client of a server that will listen on {@code serverSerfLan}, on ports chosen beforehand. */
  public static RealConsul client(
      Path dir, int serverSerfLan, Listeners ports, ConfigWriter setup) {
    return start(
        dir,
        "client",
        List.of("-retry-join=127.0.0.1:" + serverSerfLan, "-retry-interval=1s"),
        setup,
        ports);
  }

  private static final ThreadLocal<Path> NOTIFY = new ThreadLocal<>();

  /**
   * Starts an agent (any of the factories above, in {@code start}) with NOTIFY_SOCKET set to {@code
   * socket}, as systemd's Type=notify would.
   */
  public static RealConsul notifying(Path socket, Supplier<RealConsul> start) {
    NOTIFY.set(socket);
    try {
      return start.get();
    } finally {
      NOTIFY.remove();
    }
  }

  /** Ports for an agent that a test starts later. */
  public static Listeners reserve() {
    int[] p = freePorts(6);
    return new Listeners(p[0], p[1], p[2], p[3], p[4], p[5]);
  }

  /** A client that joins {@code server} with -retry-join (retried every second). */
  public static RealConsul client(Path dir, RealConsul server, ConfigWriter setup) {
    return start(
        dir,
        "client",
        List.of("-retry-join=127.0.0.1:" + server.ports().serfLan(), "-retry-interval=1s"),
        setup);
  }

  /** A client whose -retry-join names a port where no server is (it never joins). */
  public static RealConsul clientWithoutServer(Path dir) {
    int nobody = freePorts(1)[0];
    return start(
        dir, "lonely", List.of("-retry-join=127.0.0.1:" + nobody, "-retry-interval=1s"), c -> {});
  }

  /** Writes files into the agent's config dir before it starts. */
  @FunctionalInterface
  public interface ConfigWriter {
    void write(Path configDir) throws IOException;
  }

  private static RealConsul start(Path parent, String node, List<String> mode, ConfigWriter setup) {
    return start(parent, node, mode, setup, null);
  }

  private static RealConsul start(
      Path parent, String node, List<String> mode, ConfigWriter setup, Listeners given) {
    require();
    // free ports are only free until someone takes them: retry on a bind race (unless given)
    for (int attempt = 1; ; attempt++) {
      Listeners ports = given != null ? given : reserve();
      Path dir = parent.resolve(node + "-" + attempt);
      RealConsul c = new RealConsul(dir, node + "-" + attempt, mode, ports);
      try {
        setup.write(c.configDir);
      } catch (IOException e) {
        c.close();
        throw new UncheckedIOException(e);
      }
      c.notifySocket = NOTIFY.get();
      c.launch();
      try {
        c.waitUntil("its HTTP API to answer", START, c::httpAnswers);
        return c;
      } catch (AssertionError e) {
        String out = c.log();
        c.close();
        if (given == null && attempt < 3 && out.contains("address already in use")) continue;
        throw e;
      }
    }
  }

  private boolean httpAnswers() {
    try {
      // any HTTP answer (an ACL-locked agent answers 403) means the API is up
      return http().exchange("GET", "/v1/agent/self", null, ConsulQuery.NONE).code() > 0;
    } catch (ConsulUnavailableException e) {
      return false;
    }
  }

  /** Ports free for TCP and UDP (serf and DNS use both) at the time of asking. */
  static int[] freePorts(int n) {
    int[] out = new int[n];
    List<AutoCloseable> held = new ArrayList<>();
    try {
      for (int i = 0; i < n; ) {
        ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        held.add(s);
        try {
          held.add(new DatagramSocket(s.getLocalPort(), InetAddress.getLoopbackAddress()));
        } catch (IOException busy) {
          continue;
        }
        out[i++] = s.getLocalPort();
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      for (AutoCloseable c : held) {
        try {
          c.close();
        } catch (Exception ignored) {
          // closing a probe socket
        }
      }
    }
  }

  public Listeners ports() {
    return ports;
  }

  /** The agent's process ID (benchmarks read its CPU time from /proc). */
  public long pid() {
    return process.pid();
  }

  public String node() {
    return node;
  }

  public String httpAddr() {
    return "http://127.0.0.1:" + ports.http();
  }

  public Path configDir() {
    return configDir;
  }

  /** The agent's -data-dir (auto-config.json is written there). */
  public Path dataDir() {
    return dir.resolve("data");
  }

  /** The typed agent API at this agent, no token. */
  public AgentApi api() {
    return new AgentApi(http());
  }

  /** The transport to this agent, no token (for the raw answers tests compare). */
  public ConsulHttp http() {
    return new ConsulHttp(ConsulEndpoint.of(httpAddr()), Duration.ofSeconds(5));
  }

  /** A raw GET answer of this agent (no token), for tests that compare the real text. */
  public ConsulHttp.Raw raw(String path) {
    return http().exchange("GET", path, null, ConsulQuery.NONE);
  }

  /**
   * A GET answer's JSON as the real agent sent it (tests inspect fields AgentApi does not type).
   */
  public JsonNode json(String path) {
    try {
      return Json.mapper().readTree(raw(path).body());
    } catch (IOException e) {
      throw new AssertionError(path + " answered no JSON", e);
    }
  }

  /** GET /v1/agent/service/:id as JSON, empty on 404. */
  public Optional<JsonNode> serviceJson(String id) {
    ConsulHttp.Raw a = raw("/v1/agent/service/" + ConsulHttp.segment(id));
    if (a.code() == 404) return Optional.empty();
    return Optional.of(json("/v1/agent/service/" + ConsulHttp.segment(id)));
  }

  /** The leader is known to this agent. */
  public RealConsul awaitLeader() {
    waitUntil(
        "a leader",
        START,
        () -> {
          try {
            return api().leader().isPresent();
          } catch (ConsulUnavailableException e) {
            return false;
          }
        });
    return this;
  }

  /** The agent lists this service ID in /v1/agent/services. */
  public RealConsul awaitService(String id) {
    waitUntil(
        "service " + id + " in /v1/agent/services", START, () -> api().service(id).isPresent());
    return this;
  }

  /**
   * Polls {@code condition} until it holds; fails after {@code deadline} with the agent's log tail.
   * The pause between polls never decides the verdict: the condition does.
   */
  public void waitUntil(String what, Duration deadline, BooleanSupplier condition) {
    waitUntil(what, deadline, condition, () -> "");
  }

  /** As above; {@code state} describes what was last seen, for the failure message. */
  public void waitUntil(
      String what, Duration deadline, BooleanSupplier condition, Supplier<String> state) {
    long end = System.nanoTime() + deadline.toNanos();
    while (true) {
      if (condition.getAsBoolean()) return;
      if (!process.isAlive())
        fail(
            "real Consul "
                + node
                + " exited ("
                + process.exitValue()
                + ") while waiting for "
                + what
                + ":\n"
                + log());
      if (System.nanoTime() > end)
        fail(
            "real Consul "
                + node
                + ": no "
                + what
                + " within "
                + deadline.toSeconds()
                + "s"
                + seen(state)
                + ":\n"
                + log());
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail("interrupted while waiting for " + what);
      }
    }
  }

  private static String seen(Supplier<String> state) {
    try {
      String s = state.get();
      return s.isEmpty() ? "" : " (last seen: " + s + ")";
    } catch (RuntimeException e) {
      return " (last seen: " + e + ")";
    }
  }

  /** Runs the real CLI against this agent (e.g. {@code reload}); returns exit code and output. */
  public Exec cli(String... args) {
    List<String> argv = new ArrayList<>(List.of(BINARY.toString()));
    argv.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
    pb.environment().put("CONSUL_HTTP_ADDR", httpAddr());
    pb.environment().remove("CONSUL_HTTP_TOKEN");
    try {
      Process p = pb.start();
      p.getOutputStream().close();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        fail("consul " + String.join(" ", args) + " did not finish within 30s");
      }
      return new Exec(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public record Exec(int code, String output) {}

  /** The agent's log so far (its last 8 KiB). */
  public String log() {
    try {
      String s = Files.readString(log, StandardCharsets.UTF_8);
      return s.length() > 8192 ? "…" + s.substring(s.length() - 8192) : s;
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** Stops the agent: its children first, then it (TERM, then KILL after 10s). */
  private void destroyTree() {
    if (process == null) return;
    List<ProcessHandle> kids = process.descendants().toList();
    kids.forEach(ProcessHandle::destroy);
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS))
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    kids.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
  }

  @Override
  public void close() {
    destroyTree();
    try {
      if (reaper != null) Runtime.getRuntime().removeShutdownHook(reaper);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // @TempDir cleans up what is left
    }
  }
}
