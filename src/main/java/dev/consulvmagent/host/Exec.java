package dev.consulvmagent.host;

import java.time.Duration;
import java.util.List;

/** Runs processes: an argument list (never a shell string) and always a timeout. */
public interface Exec {
  ExecResult run(List<String> argv, Duration timeout, byte[] stdin);

  default ExecResult run(List<String> argv, Duration timeout) {
    return run(argv, timeout, null);
  }
}
