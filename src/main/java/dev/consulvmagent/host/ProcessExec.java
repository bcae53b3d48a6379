package dev.consulvmagent.host;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.apache.commons.exec.CommandLine;
import org.apache.commons.exec.DefaultExecutor;
import org.apache.commons.exec.ExecuteException;
import org.apache.commons.exec.ExecuteWatchdog;
import org.apache.commons.exec.PumpStreamHandler;

/** The real {@link Exec}: commons-exec, argument lists only, a watchdog on every process. */
public final class ProcessExec implements Exec {
  @Override
  public ExecResult run(List<String> argv, Duration timeout, byte[] stdin) {
    InputLog.effect(argv.isEmpty() ? "process" : argv.get(0));
    CommandLine cl = new CommandLine(argv.get(0));
    for (String a : argv.subList(1, argv.size())) cl.addArgument(a, false);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    DefaultExecutor ex = DefaultExecutor.builder().get();
    ex.setStreamHandler(
        stdin == null
            ? new PumpStreamHandler(out, err)
            : new PumpStreamHandler(out, err, new ByteArrayInputStream(stdin)));
    ExecuteWatchdog dog = ExecuteWatchdog.builder().setTimeout(timeout).get();
    ex.setWatchdog(dog);
    ex.setExitValues(null);
    int code;
    try {
      code = ex.execute(cl);
    } catch (ExecuteException e) {
      code = e.getExitValue();
    } catch (IOException e) {
      return new ExecResult(argv, 127, "", "cannot run " + argv.get(0) + ": " + e.getMessage());
    }
    String stderr = err.toString(StandardCharsets.UTF_8);
    if (dog.killedProcess()) {
      stderr = stderr + "\n(killed after " + timeout.toSeconds() + "s timeout)";
      code = code == 0 ? 124 : code;
    }
    return new ExecResult(argv, code, out.toString(StandardCharsets.UTF_8), stderr);
  }
}
