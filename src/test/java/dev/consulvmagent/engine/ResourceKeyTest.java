package dev.consulvmagent.engine;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ResourceKeyTest {
  @Test
  void text_roundTrips_longestKindWins_andPathsAreNoKeys() {
    for (ResourceKey.Kind k : ResourceKey.Kind.values()) {
      ResourceKey key = ResourceKey.of(k, k == ResourceKey.Kind.USER ? "consul" : "/etc/a:b");
      assertThat(ResourceKey.parse(key.toString())).contains(key);
    }
    assertThat(ResourceKey.parse("remove:user:consul"))
        .contains(ResourceKey.of(ResourceKey.Kind.REMOVE_USER, "consul"));
    assertThat(ResourceKey.parse("/var/lib/consul")).isEmpty();
    assertThat(ResourceKey.parse("user:")).isEmpty();
  }
}
