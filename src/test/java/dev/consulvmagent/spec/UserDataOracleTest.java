package dev.consulvmagent.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * cloud-init's own code is the oracle: every file of the corpus (src/test/resources/userdata/
 * corpus, sources in its SOURCES.md) goes through Debian's cloud-init (oracle.py drives its
 * UserDataProcessor, part handlers, mergers, write_files and write_files_deferred in a temporary
 * directory) and through {@link UserData#extract}; both must put the same bytes at the agent's
 * config path, or both write nothing (the agent refusing with exit 3), or the agent must refuse
 * with the message DELIBERATE.tsv names where it differs from cloud-init on purpose. Without
 * python3 and cloud-init the test is skipped loudly, and fails under CI=true. With CLOUDINIT_SRC it
 * runs an unpacked upstream release instead (24.4 and 26.2 agree on the same corpus).
 */
class UserDataOracleTest {
  static final String PATH = "/etc/consul-vm-agent/agent.yaml";
  static final Path DIR = Path.of("src/test/resources/userdata");
  static final Path CORPUS = DIR.resolve("corpus");
  static final List<String> PYTHONS = List.of("/usr/bin/python3", "/bin/python3");

  /** The accounts oracle.py knows by default (a Debian 12 image before cloud-init's users). */
  static final UserData.Accounts ACCOUNTS =
      UserData.Accounts.of(
          List.of(
              ("root daemon bin sys sync games man lp mail news uucp proxy www-data backup list irc"
                      + " _apt nobody")
                  .split(" ")),
          List.of(
              ("root daemon bin sys adm tty disk lp mail news uucp man proxy kmem dialout fax voice"
                      + " cdrom floppy tape sudo audio dip www-data backup operator list irc src"
                      + " shadow utmp video sasl plugdev staff games users nogroup")
                  .split(" ")));

  static String python() throws Exception {
    String why = "no python3 with cloud-init's library (Debian package cloud-init)";
    for (String py : PYTHONS) {
      if (!Files.isExecutable(Path.of(py))) continue;
      Process p =
          new ProcessBuilder(
                  py, "-c", "import cloudinit.user_data, cloudinit.config.cc_write_files")
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) return py;
      why = py + " cannot import cloudinit: " + out.lines().reduce((a, b) -> b).orElse("");
    }
    if (System.getenv("CI") != null) fail("CI is set and cloud-init's oracle is unusable: " + why);
    System.err.println("SKIPPED (cloud-init oracle): " + why);
    assumeTrue(false, why);
    return null;
  }

  /** The cloud-init version oracle.py ran (its version.version_string()). */
  static String version = "?";

  /** Runs oracle.py over the files at once: file name -> the content written, or null. */
  static Map<String, byte[]> oracle(List<Path> files) throws Exception {
    return oracle(files, List.of());
  }

  /** As {@link #oracle(List)} with more arguments to oracle.py (--instance-data F). */
  static Map<String, byte[]> oracle(List<Path> files, List<String> options) throws Exception {
    List<String> argv =
        new ArrayList<>(
            List.of(python(), DIR.resolve("oracle.py").toAbsolutePath().toString(), PATH));
    argv.addAll(options);
    for (Path f : files) argv.add(f.toAbsolutePath().toString());
    // CLOUDINIT_SRC: an unpacked upstream release (git archive of canonical/cloud-init's
    // cloudinit/ at a tag) to hold the agent to instead of the installed package
    String src = System.getenv("CLOUDINIT_SRC");
    if (src != null && !src.isBlank()) argv.addAll(List.of("--cloudinit-src", src));
    Path err = Files.createTempFile("oracle", ".err");
    try {
      // cloud-init runs in / (a relative write_files path is taken from there)
      Process p =
          new ProcessBuilder(argv).directory(new File("/")).redirectError(err.toFile()).start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(300, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        fail("oracle.py did not finish in 300 s");
      }
      assertThat(p.exitValue()).as("oracle.py: " + Files.readString(err)).isZero();
      Map<String, byte[]> result = new LinkedHashMap<>();
      ObjectMapper json = new ObjectMapper();
      for (String line : new String(out, StandardCharsets.UTF_8).split("\n")) {
        if (line.isBlank()) continue;
        JsonNode o = json.readTree(line);
        version = o.get("version").asText();
        String name = Path.of(o.get("file").asText()).getFileName().toString();
        result.put(
            name,
            o.get("outcome").asText().equals("written")
                ? Base64.getDecoder().decode(o.get("content_b64").asText())
                : null);
      }
      assertThat(result).hasSize(files.size());
      return result;
    } finally {
      Files.deleteIfExists(err);
    }
  }

  /** DELIBERATE.tsv: file, a fragment of the agent's refusal, why (README: differences). */
  static Map<String, String> deliberate() throws IOException {
    Map<String, String> m = new LinkedHashMap<>();
    for (String line : Files.readAllLines(DIR.resolve("DELIBERATE.tsv"))) {
      if (line.isBlank() || line.startsWith("#")) continue;
      String[] f = line.split("\t");
      m.put(f[0], f[1]);
    }
    return m;
  }

  @Test
  void corpus_agentTakesWhatCloudInitWrites() throws Exception {
    List<Path> files;
    try (Stream<Path> s = Files.list(CORPUS)) {
      files = s.filter(f -> !f.getFileName().toString().endsWith(".md")).sorted().toList();
    }
    Map<String, byte[]> want = oracle(files);
    Map<String, String> deliberate = deliberate();
    List<String> disagree = new ArrayList<>();
    int agree = 0;
    StringBuilder table = new StringBuilder();
    for (Path f : files) {
      String name = f.getFileName().toString();
      byte[] expected = want.get(name);
      byte[] got = null;
      String refusal = null;
      try {
        got = UserData.extract(Files.readAllBytes(f), PATH, ACCOUNTS);
      } catch (SpecException e) {
        refusal = e.getMessage();
      }
      String verdict;
      if (deliberate.containsKey(name)) {
        verdict =
            refusal != null && refusal.contains(deliberate.get(name))
                ? "agree (deliberate refusal)"
                : "DISAGREE: expected the refusal '"
                    + deliberate.get(name)
                    + "', got "
                    + (refusal != null ? "'" + refusal + "'" : "content");
      } else if (expected == null) {
        verdict =
            refusal != null
                ? "agree (nothing written; refused)"
                : "DISAGREE: cloud-init writes nothing, the agent took content";
      } else if (got == null) {
        verdict = "DISAGREE: cloud-init writes it, the agent refused: " + refusal;
      } else if (Arrays.equals(expected, got)) {
        verdict = "agree";
      } else {
        verdict =
            "DISAGREE: different content:\n  cloud-init: "
                + Validators.quote(new String(expected, StandardCharsets.UTF_8))
                + "\n  agent:      "
                + Validators.quote(new String(got, StandardCharsets.UTF_8));
      }
      if (verdict.startsWith("agree")) agree++;
      else disagree.add(name + ": " + verdict);
      table.append(String.format("%-45s %s%n", name, verdict));
    }
    System.out.print(table);
    System.out.printf(
        "user-data corpus: %d of %d files agree with cloud-init %s%n",
        agree, files.size(), version);
    assertThat(disagree).as("files where the agent and cloud-init differ").isEmpty();
  }

  /**
   * Refusals (exit 3) that are the agent's deliberate differences, by a fragment of the message.
   */
  static final List<String> DELIBERATE_CLASSES =
      List.of(
          "is not a boundary line",
          "MIME boundary parameter",
          "the agent's MIME reader",
          "carriage return",
          ".owner: names the",
          ".source: is downloaded",
          ".content: is null",
          "Jinja template",
          "#include");

  /**
   * Corpus files with a few bytes changed (near MIME headers and boundaries mostly; a fixed seed),
   * through cloud-init and the agent: the agent must never take content cloud-init would not write,
   * nor different content; where they differ it must be one of its deliberate refusals.
   */
  @Test
  void mutatedCorpus_agentNeverTakesWhatCloudInitWouldNot(@TempDir Path tmp) throws Exception {
    List<Path> bases;
    try (Stream<Path> s = Files.list(CORPUS)) {
      bases =
          s.filter(f -> !f.getFileName().toString().endsWith(".md"))
              .filter(f -> !f.getFileName().toString().endsWith(".gz"))
              .sorted()
              .toList();
    }
    Random r = new Random(Long.getLong("fuzz.seed", 23));
    byte[] alphabet = ":;=\"\n\r\t -/#{}[]'abcAZ09\u00e9".getBytes(StandardCharsets.ISO_8859_1);
    List<Path> mutants = new ArrayList<>();
    for (int i = 0; i < 250; i++) {
      Path base = bases.get(r.nextInt(bases.size()));
      List<Byte> b = new ArrayList<>();
      for (byte x : Files.readAllBytes(base)) b.add(x);
      if (b.isEmpty()) continue;
      for (int k = 1 + r.nextInt(3); k > 0; k--) {
        int pos = r.nextInt(b.size());
        if (r.nextInt(5) < 4) {
          // near a header or a boundary: where MIME readers differ
          for (int tries = 0; tries < 20; tries++) {
            int p = r.nextInt(b.size());
            if (p + 1 < b.size() && b.get(p) == '-' && b.get(p + 1) == '-'
                || p > 0 && b.get(p - 1) == '\n' && b.get(p) == 'C') {
              pos = Math.min(b.size() - 1, p + r.nextInt(30));
              break;
            }
          }
        }
        byte c = alphabet[r.nextInt(alphabet.length)];
        switch (r.nextInt(3)) {
          case 0 -> b.set(pos, c);
          case 1 -> b.remove(pos);
          default -> b.add(pos, c);
        }
        if (b.isEmpty()) b.add((byte) 'x');
      }
      byte[] out = new byte[b.size()];
      for (int j = 0; j < out.length; j++) out[j] = b.get(j);
      Path m = tmp.resolve(String.format("m%03d-%s", i, base.getFileName()));
      Files.write(m, out);
      mutants.add(m);
    }
    Map<String, byte[]> want = oracle(mutants);
    List<String> bad = new ArrayList<>();
    int agree = 0;
    for (Path m : mutants) {
      byte[] expected = want.get(m.getFileName().toString());
      byte[] got = null;
      String refusal = null;
      try {
        got = UserData.extract(Files.readAllBytes(m), PATH, ACCOUNTS);
      } catch (SpecException e) {
        refusal = e.getMessage();
      }
      if (got != null) {
        if (expected == null)
          bad.add(
              m.getFileName()
                  + ": cloud-init writes nothing, the agent took content; the file: "
                  + Files.readString(m, StandardCharsets.ISO_8859_1)
                      .replace("\r", "\\r")
                      .replace("\n", "\\n"));
        else if (!Arrays.equals(expected, got))
          bad.add(
              m.getFileName()
                  + ": different content; the file: "
                  + Files.readString(m, StandardCharsets.ISO_8859_1)
                      .replace("\r", "\\r")
                      .replace("\n", "\\n"));
        else agree++;
      } else if (expected == null) {
        agree++;
      } else {
        String why = refusal;
        if (DELIBERATE_CLASSES.stream().noneMatch(why::contains))
          bad.add(m.getFileName() + ": cloud-init writes it, the agent refused: " + why);
      }
    }
    System.out.printf(
        "mutated user-data: %d of %d agree with cloud-init %s, the rest are deliberate refusals%n",
        agree, mutants.size(), version);
    assertThat(bad).isEmpty();
  }
}
