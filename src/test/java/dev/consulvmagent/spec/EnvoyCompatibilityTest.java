package dev.consulvmagent.spec;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EnvoyCompatibilityTest {
  @ParameterizedTest(name = "Consul {0} + Envoy {1}: supported={2}")
  @CsvSource({
    "1.22.3, 1.32.7, false",
    "1.22.3, 1.33.14, true",
    "1.22.3, 1.35.9, true",
    "1.22.3, 1.38.4, false",
    "1.21.5, 1.31.10, true",
    "1.21.5, 1.35.0, false",
    "1.8.7, 1.14.5, true",
    "1.8.7, 1.11.2, true",
    "1.8.7, 1.26.8, false",
    "1.16.6, 1.26.8, true",
    "1.16.6, 1.27.0, false",
    "1.9.17, 1.30.0, true"
  }) // a line without a row is not checked
  void table(String consul, String envoy, boolean supported) {
    assertThat(EnvoyCompatibility.check(consul, envoy).isEmpty()).isEqualTo(supported);
  }
}
