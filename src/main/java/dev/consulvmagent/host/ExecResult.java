package dev.consulvmagent.host;

import java.util.List;

/** The outcome of one process. */
public record ExecResult(List<String> argv, int exitCode, String stdout, String stderr) {
  public boolean ok() {
    return exitCode == 0;
  }

  /** Throws {@link ExecException} unless the exit code is 0. */
  public ExecResult check() {
    if (exitCode != 0) throw new ExecException(this);
    return this;
  }
}
