package dev.consulvmagent.consul;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.consulvmagent.testing.RealConsul;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a REAL Consul 1.8.7 tells systemd (issue #11): a lone server sends no READY=1, not even as
 * leader; a client sends it once it has joined a server (hashicorp/consul PR #3164: the agent
 * notifies after a successful LAN join). Why consul.service must not be Type=notify, and what the
 * consul double imitates.
 */
class NotifyRealTest {
  /** A datagram socket that records what is sent to it (Java has no Unix datagram sockets). */
  static final class Receiver implements AutoCloseable {
    final Process p;
    final List<String> got = new CopyOnWriteArrayList<>();

    Receiver(Path socket) throws Exception {
      String py =
          "import socket,sys\n"
              + "s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\n"
              + "s.bind(sys.argv[1])\n"
              + "print('bound',flush=True)\n"
              + "while True:\n"
              + "  print(s.recv(4096).decode().replace('\\n',' '),flush=True)\n";
      p =
          new ProcessBuilder("python3", "-c", py, socket.toString())
              .redirectErrorStream(true)
              .start();
      BufferedReader r =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      assertThat(r.readLine()).isEqualTo("bound");
      Thread t = new Thread(() -> r.lines().forEach(got::add), "notify-receiver");
      t.setDaemon(true);
      t.start();
    }

    boolean ready() {
      return got.stream().anyMatch(l -> l.contains("READY=1"));
    }

    @Override
    public void close() throws InterruptedException {
      p.destroy();
      p.waitFor(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void loneServerNeverSendsReady_clientSendsItAfterJoining(@TempDir Path tmp) throws Exception {
    RealConsul.require();
    assumeTrue(
        Files.isExecutable(Path.of("/usr/bin/python3")), "python3 receives the notifications");
    Path serverSock = tmp.resolve("server.sock");
    Path clientSock = tmp.resolve("client.sock");
    try (Receiver serverNotes = new Receiver(serverSock);
        Receiver clientNotes = new Receiver(clientSock);
        RealConsul server =
            RealConsul.notifying(serverSock, () -> RealConsul.server(tmp.resolve("s")))) {
      server.awaitLeader();
      // a window, not a verdict by sleeping alone: the server is leader, and for 5 more seconds
      // (real-consul.md watched 22 s) nothing it sends says READY
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (System.nanoTime() < end) {
        assertThat(serverNotes.ready())
            .as("a lone server sent READY=1: %s", serverNotes.got)
            .isFalse();
        Thread.sleep(100);
      }
      try (RealConsul client =
          RealConsul.notifying(
              clientSock, () -> RealConsul.client(tmp.resolve("c"), server, d -> {}))) {
        client.waitUntil(
            "READY=1 from the client",
            Duration.ofSeconds(20),
            clientNotes::ready,
            clientNotes.got::toString);
        assertThat(client.api().leader()).isPresent();
      }
      assertThat(serverNotes.ready())
          .as("the server, after a client joined it: %s", serverNotes.got)
          .isFalse();
    }
  }
}
