package dev.consulvmagent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.TimeZone;
import org.junit.jupiter.api.Test;

/** The log line's time of day says what java.time said before, in any zone, across DST. */
class ConsoleSinkClockTest {
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");

  @Test
  void clockIsLocalTimeOfDay() {
    TimeZone saved = TimeZone.getDefault();
    try {
      for (String zone :
          new String[] {
            "UTC", "Europe/Berlin", "America/St_Johns", "Asia/Kathmandu", "Etc/GMT+12"
          }) {
        TimeZone.setDefault(TimeZone.getTimeZone(zone));
        for (long millis :
            new long[] {
              0L,
              -1L,
              1_711_846_799_999L, // the second before Europe's spring-forward, 2024-03-31
              1_711_846_800_000L,
              1_729_990_800_000L, // Europe's fall-back, 2024-10-27
              1_796_649_219_123L,
              System.currentTimeMillis()
            }) {
          String expected =
              LocalTime.ofInstant(Instant.ofEpochMilli(millis), ZoneId.of(zone)).format(TIME);
          assertThat(ConsoleSink.clock(millis)).as(zone + " at " + millis).isEqualTo(expected);
        }
      }
    } finally {
      TimeZone.setDefault(saved);
    }
  }
}
