package dev.consulvmagent.spec;

import static dev.consulvmagent.spec.SpecLoader.mapping;
import static dev.consulvmagent.spec.SpecLoader.opt;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Reads {@code app:}: the application to download, verify, install and run. */
final class AppSection {
  private AppSection() {}

  static Optional<AppSpec> read(Node n, SpecLoader.Problems p) {
    if (!mapping(n, p, "application settings")) return Optional.empty();
    String name = p.get(() -> Validators.appName(n.require("name")), null);
    String url = p.get(() -> Validators.httpUrl(n.require("url")), null);
    Optional<String> sha = p.get(() -> opt(n, "sha256").map(Validators::sha256), Optional.empty());
    Optional<String> sums =
        p.get(() -> opt(n, "checksums_url").map(Validators::httpUrl), Optional.empty());
    boolean skip =
        p.get(() -> opt(n, "insecure_skip_checksum").map(Node::bool).orElse(false), false);
    if (skip && (n.get("sha256") != null || n.get("checksums_url") != null)) {
      p.add(
          new SpecException(
              "app.insecure_skip_checksum",
              n.line(),
              "contradicts app.sha256 / app.checksums_url: remove one"));
    }
    if (n.get("sha256") == null && n.get("checksums_url") == null && !skip) {
      p.add(
          new SpecException(
              "app.sha256",
              n.line(),
              "is required (or app.checksums_url, or app.insecure_skip_checksum: true where no"
                  + " digest exists): downloads are verified"));
    }
    String binary = p.get(() -> opt(n, "binary").map(Validators::appBinary).orElse(null), null);
    if (n.get("binary") == null && name != null) {
      // the binary defaults to the name: the name must also be a name we may install
      binary = p.get(() -> Validators.appBinary(n.require("name")), null);
    }
    Optional<String> entry =
        p.get(() -> opt(n, "archive_entry").map(Validators::fileName), Optional.empty());
    List<String> args = new ArrayList<>();
    p.run(
        () ->
            opt(n, "args")
                .ifPresent(
                    a -> {
                      for (Node x : a.list()) p.run(() -> args.add(Validators.singleLine(x)));
                    }));
    Map<String, String> env = new LinkedHashMap<>();
    Node envNode = n.get("environment");
    if (envNode != null && mapping(envNode, p, "environment variables")) {
      for (Map.Entry<String, Node> e : envNode.children().entrySet()) {
        String k = e.getKey();
        if (!Validators.isEnvironmentName(k)) {
          p.add(
              new SpecException(
                  "app.environment." + k,
                  envNode.keyLine(k),
                  "is not a valid environment variable name (letters, digits and '_', not starting"
                      + " with a digit)"));
          continue;
        }
        if (e.getValue() == null) {
          p.add(
              new SpecException(
                  "app.environment." + k,
                  envNode.keyLine(k),
                  "has no value (use '' for an empty one)"));
          continue;
        }
        p.run(() -> env.put(k, Validators.singleLine(e.getValue())));
      }
    }
    Optional<Integer> port = p.get(() -> opt(n, "port").map(Node::port), Optional.empty());
    p.run(n::done);
    if (name == null || url == null || binary == null || (sha.isEmpty() && sums.isEmpty() && !skip))
      return Optional.empty();
    return Optional.of(
        new AppSpec(name, url, sha, sums, binary, entry, List.copyOf(args), env, port, skip));
  }
}
