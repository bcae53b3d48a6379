package dev.consulvmagent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.consulvmagent.engine.RunEvent;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
  @Test
  void oneLineForParallelDownloads_endsWithANewlineWhenAllAreDone() {
    StringWriter b = new StringWriter();
    ProgressBar bar = new ProgressBar(new PrintWriter(b, true));
    bar.update("consul 1.16.6", 52, 100, true);
    bar.update("envoy 1.26.8", 100, 100, true);
    assertThat(bar.render()).isEqualTo("consul [#####-----] 52%  envoy [##########] done");
    assertThat(b.toString()).doesNotContain("\n");
    bar.update("consul 1.16.6", 100, 100, true);
    assertThat(b.toString()).endsWith("consul [##########] done  envoy [##########] done\033[K\n");
  }

  @Test
  void logMode_linesPerEvent_progressAtMostEveryFiveSeconds_verboseOnlyOnRequest() {
    StringWriter b = new StringWriter();
    ConsoleSink sink = new ConsoleSink(new PrintWriter(b, true), false, false);
    sink.emit(new RunEvent.DownloadStarted("consul 1.16.6", "http://m/c.zip", 2 << 20));
    sink.emit(new RunEvent.DownloadProgress("consul 1.16.6", 1 << 20, 2 << 20)); // < 5 s: quiet
    sink.verbose("detail");
    sink.emit(new RunEvent.DownloadFinished("consul 1.16.6", 2 << 20, 1_000_000_000L));
    sink.emit(new RunEvent.ResourceChanged("file:/etc/consul.d/consul.json", "created"));
    String[] lines = b.toString().split("\n");
    assertThat(lines).hasSize(3);
    assertThat(lines[0])
        .matches(
            "\\d\\d:\\d\\d:\\d\\d consul-vm-agent: downloading consul 1.16.6 "
                + "from http://m/c.zip \\(2.0 MiB\\)");
    assertThat(lines[1]).endsWith("downloaded consul 1.16.6: 2.0 MiB in 1.0s (2.0 MiB/s)");
    assertThat(lines[2]).endsWith("consul-vm-agent: created file:/etc/consul.d/consul.json");
    StringWriter v = new StringWriter();
    new ConsoleSink(new PrintWriter(v, true), true, false).verbose("detail");
    assertThat(v.toString()).endsWith("consul-vm-agent: detail\n");
  }
}
