package dev.consulvmagent.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.consulvmagent.render.Json;
import dev.consulvmagent.testing.Ports;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code sidecar-init --dry --type T} against the seed's generate-sidecar-configs.py
 * (blake/ansible-collection-consul@0c86abe, roles/transparent_proxy/files/), for every --type over
 * the service configs in src/test/resources/seed-vectors. Each {@code <config>.<type>.out} is the
 * script's stdout for that config ({@code python3 generate-sidecar-configs.py -f <config> --dry
 * --type <type>}); {@link #goldens_areWhatTheSeedScriptPrints} re-runs the script itself when it is
 * available (the script is upstream code, so it is not copied into this repository): {@code
 * -Dseed.script=PATH} or {@code SEED_SCRIPT=PATH}.
 *
 * <p>envoy, connect-envoy and redirect must match byte for byte. service-registration is the
 * document we write; everything the seed writes must be in it with the same value, except that the
 * seed's {@code sidecar_service.tagged_addresses.virtual} is on the service itself (where
 * consul-k8s's endpoints_controller.go puts it too). Ours adds what consul-k8s adds (managed-by
 * meta, transparent mode by default, a check).
 */
class SeedDropInTest {
  @TempDir Path emptyRoot;

  static final Path VECTORS = Path.of("src/test/resources/seed-vectors");
  static final List<String> TYPES =
      List.of("envoy", "connect-envoy", "redirect", "service-registration");

  static Stream<Arguments> vectors() throws IOException {
    List<Arguments> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(VECTORS)) {
      for (Path config : s.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
        for (String type : TYPES) out.add(Arguments.of(config.getFileName().toString(), type));
      }
    }
    return out.stream();
  }

  static Path golden(String config, String type) {
    return VECTORS.resolve(config.replace(".json", "." + type + ".out"));
  }

  @ParameterizedTest(name = "{0} --type {1}")
  @MethodSource("vectors")
  void dryType_printsWhatTheSeedPrints(String config, String type) throws Exception {
    String seed = Files.readString(golden(config, type));
    CliApplyTest.Run r =
        CliApplyTest.run(
            "sidecar-init",
            "-f",
            VECTORS.resolve(config).toString(),
            "--dry",
            "--type",
            type,
            // hermetic: whatever Consul listens on this machine's 8500 is not asked, nor (under
            // a root of its own) its /usr/bin/consul its version (app/SidecarVersion)
            "--http-addr",
            Ports.nothingListening(),
            "--root",
            emptyRoot.toString());
    assertThat(r.code()).as(r.err()).isZero();
    if (!type.equals("service-registration")) {
      assertThat(r.out()).isEqualTo(seed);
      return;
    }
    Map<String, Object> theirs = map(Json.parse(seed));
    Map<String, Object> ours = map(Json.parse(r.out()));
    Map<String, Object> theirService = map(theirs.get("service"));
    Object sidecar = map(theirService.get("connect")).get("sidecar_service");
    Object virtual = map(sidecar).remove("tagged_addresses");
    if (virtual != null) {
      assertThat(map(ours.get("service")).get("tagged_addresses")).isEqualTo(virtual);
    }
    assertContains(ours, theirs, "");
  }

  @ParameterizedTest(name = "{0} --type {1}")
  @MethodSource("vectors")
  void goldens_areWhatTheSeedScriptPrints(String config, String type) throws Exception {
    Optional<Path> script = seedScript();
    assumeTrue(
        script.isPresent(),
        "the seed's generate-sidecar-configs.py is not available"
            + " (pass -Dseed.script=PATH or SEED_SCRIPT=PATH to compare with it)");
    Process p =
        new ProcessBuilder(
                "python3",
                script.get().toString(),
                "-f",
                VECTORS.resolve(config).toString(),
                "--dry",
                "--type",
                type)
            .redirectErrorStream(true)
            .start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    String printed = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(printed).isZero();
    assertThat(printed).isEqualTo(Files.readString(golden(config, type)));
  }

  /** -Dseed.script, else SEED_SCRIPT, else the seed's copy next to the worktrees if present. */
  static Optional<Path> seedScript() {
    String s = System.getProperty("seed.script", System.getenv("SEED_SCRIPT"));
    Path p =
        s == null || s.isBlank()
            ? Path.of("../shared/seed/generate-sidecar-configs.py")
            : Path.of(s);
    return Optional.of(p).filter(Files::isRegularFile);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    assertThat(o).isInstanceOf(Map.class);
    return (Map<String, Object>) o;
  }

  /**
   * Every key of {@code want} is in {@code got} with an equal value (maps compared the same way).
   */
  private static void assertContains(Object got, Object want, String path) {
    if (want instanceof Map<?, ?> w) {
      assertThat(got).as(path).isInstanceOf(Map.class);
      Map<?, ?> g = (Map<?, ?>) got;
      for (Map.Entry<?, ?> e : new LinkedHashMap<>(w).entrySet()) {
        assertThat(g.containsKey(e.getKey())).as(path + "." + e.getKey() + " in " + g).isTrue();
        assertContains(g.get(e.getKey()), e.getValue(), path + "." + e.getKey());
      }
    } else if (want instanceof List<?> w) {
      assertThat(got).as(path).isInstanceOf(List.class);
      List<?> g = (List<?>) got;
      assertThat(g).as(path).hasSameSizeAs(w);
      for (int i = 0; i < w.size(); i++) assertContains(g.get(i), w.get(i), path + "[" + i + "]");
    } else {
      assertThat(String.valueOf(got)).as(path).isEqualTo(String.valueOf(want));
    }
  }
}
