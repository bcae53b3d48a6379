package dev.consulvmagent.bench;

import dev.consulvmagent.engine.Engine;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.engine.Resource;
import dev.consulvmagent.engine.RunResult;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.host.HostFs;
import dev.consulvmagent.host.ProcessExec;
import dev.consulvmagent.resource.FileResource;
import dev.consulvmagent.resource.SymlinkResource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Benchmark (not a test; run by scripts/bench): the cost of a no-op apply over N synthetic managed
 * files and unit links, N = 10, 100, 1000. Prints "N median-ms" lines.
 */
public final class ScaleBench {
  private ScaleBench() {}

  public static void main(String[] args) throws Exception {
    int reps = args.length > 0 ? Integer.parseInt(args[0]) : 7;
    for (int n : new int[] {10, 100, 1000}) {
      Path root = Files.createTempDirectory("cva-scale");
      Host host = Host.of(new HostFs(root, false), new ProcessExec(), false);
      List<Resource> rs = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        if (i % 2 == 0) {
          rs.add(
              FileResource.at(
                      "/etc/scale/unit-" + i + ".service",
                      ("[Service]\nExecStart=/bin/true " + i + "\n").getBytes())
                  .build());
        } else {
          rs.add(
              new SymlinkResource(
                  "/etc/scale/wants/unit-" + i + ".service",
                  "/etc/scale/unit-" + (i - 1) + ".service"));
        }
      }
      Engine e = new Engine(EventSink.NONE);
      e.apply(e.plan(rs, host), host, x -> List.of(), Instant.now());
      long[] times = new long[reps];
      for (int r = 0; r < reps + 3; r++) { // three warm-up rounds
        long t0 = System.nanoTime();
        RunResult res = e.apply(e.plan(rs, host), host, x -> List.of(), Instant.now());
        long dt = System.nanoTime() - t0;
        if (res.changed() != 0) throw new IllegalStateException("not a no-op");
        if (r >= 3) times[r - 3] = dt;
      }
      Arrays.sort(times);
      System.out.printf("%d %.2f%n", n, times[reps / 2] / 1e6);
    }
  }
}
