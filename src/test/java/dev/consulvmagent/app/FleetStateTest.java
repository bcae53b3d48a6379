package dev.consulvmagent.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.fleet.LocalState;
import dev.consulvmagent.fleet.NodeReport;
import dev.consulvmagent.host.HostFs;
import dev.consulvmagent.testing.Examples;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A plain apply on a fleet VM keeps the overlay the watcher applied last (fleet.json). */
class FleetStateTest {
  @TempDir Path tmp;

  @Test
  void applyLoadsTheWatchersOverlay_onlyWithAFleetBlock() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("root"));
    String overlay = "service:\n  annotations:\n    consul.hashicorp.com/service-meta-team: blue\n";
    FleetState state = new FleetState(new HostFs(root, false));
    state.save(
        new LocalState(
            3, NodeReport.State.HEALTHY, 3, overlay, 3, overlay, "2026-12-07T00:00:00Z"));
    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(root.resolve("var/lib/consul-vm-agent/fleet.json"))))
        .isEqualTo("rw-------");
    assertThat(state.load().get().appliedRevision()).isEqualTo(3);

    String own = Files.readString(Path.of("examples/dashboard.yaml")) + Examples.INSECURE;
    Path withFleet = tmp.resolve("fleet.yaml");
    Files.writeString(withFleet, own + "fleet:\n  group: dashboard\n");
    Path without = tmp.resolve("plain.yaml");
    Files.writeString(without, own);
    RunOptions o =
        new RunOptions(
            Optional.of(withFleet), Optional.empty(), root, Optional.empty(), Optional.empty());
    assertThat(
            new Agent(Hosts.forRoot(root), ConsulAccess.NONE, EventSink.NONE)
                .load(o)
                .service()
                .get()
                .mesh()
                .meta())
        .containsEntry("team", "blue");
    RunOptions p =
        new RunOptions(
            Optional.of(without), Optional.empty(), root, Optional.empty(), Optional.empty());
    assertThat(
            new Agent(Hosts.forRoot(root), ConsulAccess.NONE, EventSink.NONE)
                .load(p)
                .service()
                .get()
                .mesh()
                .meta())
        .containsEntry("team", "seed");

    // an unreadable state file is no state (the watcher re-applies the group's revision)
    Files.writeString(root.resolve("var/lib/consul-vm-agent/fleet.json"), "{not json");
    assertThat(state.load()).isEmpty();
    assertThat(
            new Agent(Hosts.forRoot(root), ConsulAccess.NONE, EventSink.NONE)
                .load(o)
                .service()
                .get()
                .mesh()
                .meta())
        .containsEntry("team", "seed");
  }
}
