package dev.consulvmagent.resource;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import org.junit.jupiter.api.Test;

/** The size a plan shows for the agent's jar copy: readable, exact, and rounded as %.1f would. */
class CopyResourceSizeTest {
  @Test
  void size_isReadable_andKeepsTheExactByteCount() {
    assertThat(CopyResource.size(0)).isEqualTo("0 bytes");
    assertThat(CopyResource.size(1023)).isEqualTo("1023 bytes");
    assertThat(CopyResource.size(1024)).isEqualTo("1.0 KiB (1024 bytes)");
    assertThat(CopyResource.size(1536)).isEqualTo("1.5 KiB (1536 bytes)");
    assertThat(CopyResource.size(1_048_575)).isEqualTo("1024.0 KiB (1048575 bytes)");
    assertThat(CopyResource.size(1_048_576)).isEqualTo("1.0 MiB (1048576 bytes)");
    assertThat(CopyResource.size(43_198_464)).isEqualTo("41.2 MiB (43198464 bytes)");
    // the same digits String.format(Locale.ROOT, "%.1f MiB", …) gives, half up
    for (long b : new long[] {1_100_000, 5_242_879, 43_198_464, 734_003_200}) {
      String want = String.format(Locale.ROOT, "%.1f MiB", b / 1048576.0);
      assertThat(CopyResource.size(b)).startsWith(want);
    }
  }
}
