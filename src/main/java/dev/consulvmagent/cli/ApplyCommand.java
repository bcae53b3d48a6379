package dev.consulvmagent.cli;

import dev.consulvmagent.app.Agent;
import dev.consulvmagent.app.ConsulAccess;
import dev.consulvmagent.app.Hosts;
import dev.consulvmagent.app.NoopStamp;
import dev.consulvmagent.app.RunOptions;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.engine.RunEvent;
import dev.consulvmagent.engine.RunResult;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(
    name = "apply",
    mixinStandardHelpOptions = true,
    description =
        "Converge the host to the configuration, then re-observe and fail if anything did not"
            + " converge.")
final class ApplyCommand implements Callable<Integer> {
  @Mixin Common common;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    return run(common, spec.commandLine().getOut(), spec.commandLine().getErr());
  }

  static int run(Common common, PrintWriter out, PrintWriter err) {
    return run(common, null, out, err);
  }

  /**
   * argv: the command line as given (Boot's), which keys the no-op's stamp (app/NoopStamp); null
   * (picocli's forms): always a full run.
   */
  static int run(Common common, String[] argv, PrintWriter out, PrintWriter err) {
    RunOptions o = common.toRunOptions();
    var host = Hosts.forRun(o);
    EventSink sink = Boot.sink(err, common);
    // verbose and JSON output say what each run found: never replayed; a bake's root is an image:
    // no stamp of the build goes into it. Under a Type=notify unit (the image's first-boot apply)
    // a run that signals readiness runs systemd-notify, so it leaves no stamp (NOTIFY_SOCKET is
    // in the key: systemd-nspawn sets it for any container's payload, CI's included)
    Optional<String> keyed =
        argv == null || common.verbose || common.json() || o.bake()
            ? Optional.empty()
            : NoopStamp.key(List.of(argv));
    if (keyed.isEmpty()) {
      NoopStamp.discard(host);
      return full(common, o, sink, out, err, Optional.empty());
    }
    String key = keyed.get();
    Optional<NoopStamp.Stamp> same = NoopStamp.replay(host, o, key);
    if (same.isPresent()) {
      for (RunEvent.Message m : same.get().events()) sink.emit(m);
      out.print(same.get().stdout());
      out.flush();
      return ExitCode.OK.code();
    }
    try (NoopStamp.Recording rec = NoopStamp.begin(host, key)) {
      return full(common, o, sink, out, err, Optional.of(rec));
    }
  }

  /** The whole apply; recorded: its output is kept, and the stamp left when the run allows. */
  private static int full(
      Common common,
      RunOptions o,
      EventSink sink,
      PrintWriter out,
      PrintWriter err,
      Optional<NoopStamp.Recording> rec) {
    List<RunEvent.Message> said = new ArrayList<>();
    boolean[] other = {false};
    EventSink recording =
        e -> {
          if (e instanceof RunEvent.Message m) said.add(m);
          else other[0] = true;
          sink.emit(e);
        };
    RunResult r =
        new Agent(Hosts.forRun(o), ConsulAccess.of(Optional.empty(), Optional.empty()), recording)
            .apply(o);
    int code = r.failed() ? ExitCode.FAILED.code() : ExitCode.OK.code();
    StringWriter shown = new StringWriter();
    PrintWriter tee = new PrintWriter(shown);
    Render.result(tee, err, r, common.json(), common.verbose, code);
    tee.flush();
    out.print(shown);
    out.flush();
    if (rec.isPresent() && !other[0]) {
      try {
        rec.get().finish(r, said, shown.toString());
      } catch (RuntimeException e) { // a report of its own: the apply itself is done
        sink.verbose("no no-op stamp: " + e.getMessage());
      }
    }
    return code;
  }
}
