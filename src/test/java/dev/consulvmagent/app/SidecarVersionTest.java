package dev.consulvmagent.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.consul.ConsulEndpoint;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.host.ExecResult;
import dev.consulvmagent.host.Host;
import dev.consulvmagent.host.HostFs;
import dev.consulvmagent.testing.FakeExec;
import dev.consulvmagent.testing.Ports;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where sidecar-init's Consul version comes from when the agent does not tell: apply's env file,
 * else on this machine the installed program, else the default.
 */
class SidecarVersionTest {
  @TempDir Path tmp;

  /** What the real Consul 1.8.7 (Debian's package) prints for `consul version`, recorded. */
  static final String REAL_1_8_7 =
      "Consul v1.8.7\n"
          + "Protocol 2 spoken by default, understands 2 to 3 (agent will automatically use"
          + " protocol >2 when speaking to compatible agents)\n\n";

  private SidecarVersion resolve(FakeExec exec, boolean live) {
    Host host = Host.of(new HostFs(tmp, false), exec, live);
    Optional<ConsulEndpoint> down = Optional.of(ConsulEndpoint.of(Ports.nothingListening()));
    return SidecarVersion.resolve(down, Duration.ZERO, EventSink.NONE, host, "counting");
  }

  @Test
  void agentSilent_noEnvFile_theInstalledProgramSays() {
    FakeExec exec = new FakeExec().on("/usr/bin/consul version", a -> FakeExec.ok(a, REAL_1_8_7));
    SidecarVersion v = resolve(exec, true);
    assertThat(v.version()).isEqualTo("1.8.7");
    assertThat(v.describe())
        .contains("the installed program's, /usr/bin/consul version; the agent did not answer");
    assertThat(exec.ran).containsExactly(List.of("/usr/bin/consul", "version"));
  }

  @Test
  void theTestDoublesLine_andGarbage_andFailure() {
    FakeExec doubled =
        new FakeExec()
            .on("/usr/bin/consul version", a -> FakeExec.ok(a, "Consul v1.16.6 (test double)\n"));
    assertThat(resolve(doubled, true).version()).isEqualTo("1.16.6");
    for (String out : List.of("", "consul 1.8.7\n", "Consul v\n", "Consul vX.Y\n")) {
      FakeExec odd = new FakeExec().on("/usr/bin/consul version", a -> FakeExec.ok(a, out));
      assertThat(resolve(odd, true).describe()).as(out).contains("the default: ");
    }
    FakeExec failing =
        new FakeExec().on("/usr/bin/consul version", a -> new ExecResult(a, 127, "", "cannot run"));
    assertThat(resolve(failing, true).describe()).contains("the default: ");
  }

  @Test
  void underAnotherRoot_theHostsProgramIsNeverAsked() {
    FakeExec none = new FakeExec(); // default-deny: any command fails the test
    assertThat(resolve(none, false).describe()).contains("the default: ");
    assertThat(none.ran).isEmpty();
  }
}
