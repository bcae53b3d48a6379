package dev.consulvmagent.testing;

import dev.consulvmagent.host.Exec;
import dev.consulvmagent.host.ExecResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Default-deny: any command not scripted fails the test. Records every argument list. */
public final class FakeExec implements Exec {
  public final List<List<String>> ran = new ArrayList<>();
  private final List<Function<List<String>, ExecResult>> scripts = new ArrayList<>();

  public FakeExec on(String prefix, Function<List<String>, ExecResult> answer) {
    scripts.add(argv -> String.join(" ", argv).startsWith(prefix) ? answer.apply(argv) : null);
    return this;
  }

  @Override
  public ExecResult run(List<String> argv, Duration timeout, byte[] stdin) {
    ran.add(argv);
    for (Function<List<String>, ExecResult> s : scripts) {
      ExecResult r = s.apply(argv);
      if (r != null) return r;
    }
    throw new AssertionError("unexpected command: " + argv);
  }

  public static ExecResult ok(List<String> argv, String out) {
    return new ExecResult(argv, 0, out, "");
  }
}
