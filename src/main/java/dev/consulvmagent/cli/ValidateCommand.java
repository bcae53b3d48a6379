package dev.consulvmagent.cli;

import dev.consulvmagent.app.Agent;
import dev.consulvmagent.app.ConsulAccess;
import dev.consulvmagent.app.Hosts;
import dev.consulvmagent.engine.EventSink;
import dev.consulvmagent.render.Json;
import dev.consulvmagent.spec.AgentSpec;
import dev.consulvmagent.spec.SpecException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(
    name = "validate",
    mixinStandardHelpOptions = true,
    description = "Check the configuration only; touches nothing.")
final class ValidateCommand implements Callable<Integer> {
  @Mixin Common common;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    return run(common, spec.commandLine().getOut(), spec.commandLine().getErr());
  }

  static int run(Common common, PrintWriter out, PrintWriter err) {
    AgentSpec s;
    try {
      s =
          new Agent(Hosts.forRun(common.toRunOptions()), ConsulAccess.NONE, EventSink.NONE)
              .load(common.toRunOptions());
    } catch (SpecException e) {
      // a CI job parses stdout: the problems as JSON there, the usual message on stderr
      if (common.json()) {
        out.print(Json.text(invalid(e)));
        out.flush();
      }
      throw e;
    }
    List<String> warnings = Agent.warnings(s);
    // warnings on stderr, as plan says them: stdout stays the verdict, -o json parseable
    warnings.forEach(w -> err.println("warning: " + w));
    err.flush();
    if (common.json()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("valid", true);
      m.put("warnings", warnings);
      out.print(Json.text(m));
    } else {
      out.println(
          "Valid: consul "
              + s.consul().version()
              + " ("
              + s.consul().role().name().toLowerCase()
              + "), envoy "
              + s.envoy().version()
              + s.app().map(a -> ", app " + a.name()).orElse("")
              + s.service().map(x -> ", service " + x.mesh().name()).orElse(""));
    }
    out.flush();
    return ExitCode.OK.code();
  }

  /**
   * {"valid": false, "file": …, "problems": [{"key", "line", "message"}]}; line null if unknown.
   */
  static Map<String, Object> invalid(SpecException e) {
    List<Object> problems = new ArrayList<>();
    for (SpecException p : e.problems()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("key", p.path() == null ? "" : p.path());
      m.put("line", p.line() > 0 ? p.line() : null);
      m.put("message", p.detail());
      problems.add(m);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("valid", false);
    out.put("file", e.source().orElse(null));
    out.put("problems", problems);
    return out;
  }
}
