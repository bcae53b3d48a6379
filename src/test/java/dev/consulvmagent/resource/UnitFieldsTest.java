package dev.consulvmagent.resource;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.engine.Change;
import dev.consulvmagent.engine.FieldChange;
import dev.consulvmagent.testing.FakeExec;
import dev.consulvmagent.testing.RecordingHost;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A changed unit file says which directive changed, not only two digests. */
class UnitFieldsTest {
  @TempDir Path root;

  private List<FieldChange> plan(String had, String want) throws Exception {
    Path unit = root.resolve("etc/systemd/system/web.service");
    Files.createDirectories(unit.getParent());
    Files.writeString(unit, had);
    RecordingHost host = new RecordingHost(root, new FakeExec());
    FileResource r =
        FileResource.at("/etc/systemd/system/web.service", want.getBytes(StandardCharsets.UTF_8))
            .build();
    return Change.between(r.key().toString(), r.desired(), r.observe(host.readOnly())).fields();
  }

  @Test
  void aChangedDirective_isNamedWithItsOldAndNewValue() throws Exception {
    String had =
        "[Unit]\nDescription=web\n# a comment\n[Service]\nExecStart=/usr/bin/web --port 80\n"
            + "Environment=A=1\nEnvironment=B=2\n";
    String want = had.replace("--port 80", "--port 8080").replace("B=2", "B=3");
    List<String> lines = plan(had, want).stream().map(FieldChange::describe).toList();
    assertThat(lines)
        .contains(
            "set unit.Service.ExecStart to /usr/bin/web --port 8080 (was /usr/bin/web --port 80)",
            "set unit.Service.Environment to A=1 ; B=3 (was A=1 ; B=2)")
        .noneMatch(l -> l.contains("Description"))
        .anyMatch(l -> l.startsWith("set content to "));
  }

  @Test
  void aDirectiveCarryingATokenLikeValue_isNeverShown() throws Exception {
    String had = "[Service]\nEnvironment=CONSUL_HTTP_TOKEN=aaaa-1111\n";
    String want = "[Service]\nEnvironment=CONSUL_HTTP_TOKEN=bbbb-2222\n";
    List<String> lines = plan(had, want).stream().map(FieldChange::describe).toList();
    assertThat(String.join("\n", lines)).doesNotContain("aaaa-1111").doesNotContain("bbbb-2222");
    assertThat(lines).contains("set unit.Service.Environment to (sensitive) (was (sensitive))");
  }
}
