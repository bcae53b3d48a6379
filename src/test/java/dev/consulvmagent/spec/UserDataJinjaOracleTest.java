package dev.consulvmagent.spec;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Jinja user-data rendered by cloud-init's own code (oracle.py with --instance-data: Debian's
 * cloud-init and python3-jinja2, its JinjaTemplatePartHandler reading the fixed
 * src/test/resources/userdata/jinja/instance-data.json as instance-data-sensitive.json) and by
 * {@link UserData#extract} with the same instance data: the same bytes at the agent's config path,
 * or both nothing.
 */
class UserDataJinjaOracleTest {
  static final Path DIR = UserDataOracleTest.DIR.resolve("jinja");
  static final Path DATA = DIR.resolve("instance-data.json");

  @Test
  void jinjaCorpus_agentRendersWhatCloudInitRenders() throws Exception {
    List<Path> files;
    try (Stream<Path> s = Files.list(DIR)) {
      files =
          s.filter(f -> !f.equals(DATA))
              .filter(f -> !f.getFileName().toString().endsWith(".md"))
              .sorted()
              .toList();
    }
    assertThat(files).hasSizeGreaterThanOrEqualTo(10);
    Map<String, byte[]> want =
        UserDataOracleTest.oracle(
            files, List.of("--instance-data", DATA.toAbsolutePath().toString()));
    InstanceData data = new InstanceData(Files.readAllBytes(DATA), InstanceData.SENSITIVE);
    List<String> disagree = new ArrayList<>();
    for (Path f : files) {
      String name = f.getFileName().toString();
      byte[] expected = want.get(name);
      String got;
      try {
        byte[] b =
            UserData.extract(
                Files.readAllBytes(f),
                UserDataOracleTest.PATH,
                UserDataOracleTest.ACCOUNTS,
                () -> Optional.of(data));
        got = new String(b, StandardCharsets.UTF_8);
        if (expected == null)
          disagree.add(name + ": cloud-init writes nothing, the agent took content");
        else if (!Arrays.equals(expected, b))
          disagree.add(
              name
                  + ": different content:\n  cloud-init: "
                  + Validators.quote(new String(expected, StandardCharsets.UTF_8))
                  + "\n  agent:      "
                  + Validators.quote(got));
      } catch (SpecException e) {
        if (expected != null)
          disagree.add(name + ": cloud-init writes it, the agent refused: " + e.getMessage());
      }
    }
    System.out.printf(
        "jinja corpus: %d of %d files agree with cloud-init %s%n",
        files.size() - disagree.size(), files.size(), UserDataOracleTest.version);
    assertThat(disagree).as("files where the agent and cloud-init differ").isEmpty();
  }
}
