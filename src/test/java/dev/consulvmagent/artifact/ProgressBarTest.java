package dev.consulvmagent.artifact;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
  @Test
  void oneLineForParallelDownloads_endsWithANewlineWhenAllAreDone() {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    ProgressBar bar = new ProgressBar(new PrintStream(b, true));
    bar.update("consul 1.16.6", 52, 100, true);
    bar.update("envoy 1.26.8", 100, 100, true);
    assertThat(bar.render()).isEqualTo("consul [#####-----] 52%  envoy [##########] done");
    assertThat(b.toString()).doesNotContain("\n");
    bar.update("consul 1.16.6", 100, 100, true);
    assertThat(b.toString()).endsWith("consul [##########] done  envoy [##########] done\033[K\n");
  }
}
