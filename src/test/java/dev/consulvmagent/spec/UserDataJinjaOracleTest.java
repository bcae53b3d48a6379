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
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

  /**
   * The jinja corpus with a few characters changed around the template syntax (a fixed seed),
   * through cloud-init and the agent with the same instance data: the agent takes the same bytes or
   * refuses (exit 3); it never takes content cloud-init would not write, nor other content.
   */
  @Test
  void mutatedJinja_agentNeverTakesWhatCloudInitWouldNot(@TempDir Path tmp) throws Exception {
    List<Path> bases;
    try (Stream<Path> s = Files.list(DIR)) {
      bases =
          s.filter(f -> !f.equals(DATA))
              .filter(f -> !f.getFileName().toString().endsWith(".md"))
              .sorted()
              .toList();
    }
    Random r = new Random(Long.getLong("fuzz.seed", 20));
    String[] inserts = {
      "{",
      "}",
      "%",
      "-",
      "|",
      ".",
      "'",
      "\"",
      " ",
      "\n",
      "[",
      "]",
      "(",
      ")",
      "~",
      "+",
      "*",
      "/",
      " is defined",
      " | default('z')",
      " | upper",
      " | join('-')",
      "{{ v1 }}",
      "{{ nope }}",
      "{{ v1.public_ssh_keys }}",
      "{% if nope %}",
      "{% endif %}",
      "{% for x in v1 %}",
      "{% endfor %}",
      "{{ ds.meta_data.launch_index + 1 }}",
      "{{ 7 / 2 }}",
      "{{ 4 / 2 }}",
      "{{ merged_cfg }}",
      "{{ ds.meta_data.network_config == none }}",
      "{% for c in 'ab' %}{{ c }}{% endfor %}",
      "{{ 'a' ~ 1 }}",
      "{{ [1, 2] | length }}",
      "{{ (v1.region) }}",
      "{{ v1['instance-id'] }}"
    };
    List<Path> mutants = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      Path base = bases.get(r.nextInt(bases.size()));
      StringBuilder b = new StringBuilder(Files.readString(base));
      for (int k = 1 + r.nextInt(2); k > 0; k--) {
        // near a template marker mostly: where Jinjava and Jinja2 may differ
        int pos = r.nextInt(b.length());
        int mark = b.indexOf(r.nextBoolean() ? "{{" : "{%", r.nextInt(b.length()));
        if (mark >= 0 && r.nextInt(4) < 3) pos = Math.min(b.length(), mark + r.nextInt(12));
        if (r.nextInt(4) == 0 && pos < b.length()) b.deleteCharAt(pos);
        else b.insert(pos, inserts[r.nextInt(inserts.length)]);
      }
      Path m = tmp.resolve(String.format("m%03d-%s", i, base.getFileName()));
      Files.writeString(m, b);
      mutants.add(m);
    }
    Map<String, byte[]> want =
        UserDataOracleTest.oracle(
            mutants, List.of("--instance-data", DATA.toAbsolutePath().toString()));
    InstanceData data = new InstanceData(Files.readAllBytes(DATA), InstanceData.SENSITIVE);
    List<String> bad = new ArrayList<>();
    int same = 0;
    int refused = 0;
    for (Path m : mutants) {
      byte[] expected = want.get(m.getFileName().toString());
      byte[] got;
      try {
        got =
            UserData.extract(
                Files.readAllBytes(m),
                UserDataOracleTest.PATH,
                UserDataOracleTest.ACCOUNTS,
                () -> Optional.of(data));
      } catch (SpecException e) {
        refused++;
        continue;
      }
      if (expected != null && Arrays.equals(expected, got)) {
        same++;
        continue;
      }
      bad.add(
          m.getFileName()
              + ":\n"
              + Files.readString(m)
              + "\n  cloud-init: "
              + (expected == null
                  ? "nothing"
                  : Validators.quote(new String(expected, StandardCharsets.UTF_8)))
              + "\n  agent:      "
              + Validators.quote(new String(got, StandardCharsets.UTF_8)));
    }
    System.out.printf(
        "mutated jinja: %d of %d the same as cloud-init %s, %d refused%n",
        same, mutants.size(), UserDataOracleTest.version, refused);
    assertThat(bad).as("the agent took other content than cloud-init").isEmpty();
  }
}
