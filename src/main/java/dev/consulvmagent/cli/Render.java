package dev.consulvmagent.cli;

import dev.consulvmagent.app.ResultFile;
import dev.consulvmagent.engine.Change;
import dev.consulvmagent.engine.FieldChange;
import dev.consulvmagent.engine.Outcome;
import dev.consulvmagent.engine.RunResult;
import dev.consulvmagent.render.Json;
import java.io.PrintWriter;

/**
 * Human text or JSON for a plan or apply result on stdout; the failure itself on stderr ("Apply
 * failed: …"), so stdout is only the result and a script sees the error where errors go.
 */
final class Render {
  private Render() {}

  static void result(
      PrintWriter out, PrintWriter err, RunResult r, boolean json, boolean verbose, int exitCode) {
    if (json) {
      out.print(Json.text(ResultFile.toMap(r, exitCode)));
      out.flush();
      if (r.failed()) failed(err, r);
      return;
    }
    boolean plan = r.mode().equals("plan");
    for (Outcome o : r.outcomes()) {
      if (o.kind() == Change.Kind.NONE && o.status() != Outcome.Status.FAILED) {
        if (verbose) out.println("  = " + o.key() + " (" + o.message() + ")");
        continue;
      }
      String sign =
          switch (o.kind()) {
            case CREATE -> "+";
            case DELETE -> "-";
            case UNKNOWN -> "?";
            default -> "~";
          };
      String status =
          plan
              ? ""
              : switch (o.status()) {
                case CHANGED -> "";
                case FAILED -> "  FAILED: " + o.message();
                case SKIPPED -> "  (skipped: " + o.message() + ")";
                case UNCHANGED -> "  (already converged)";
              };
      out.println(sign + " " + o.key() + status);
      for (FieldChange f : o.fields()) out.println("    " + f.describe());
      if (o.kind() == Change.Kind.UNKNOWN) out.println("    " + o.message());
    }
    if (plan && !r.actions().isEmpty()) out.println("Then:");
    for (String a : r.actions()) out.println("  " + a);
    if (plan) {
      long n = r.pending();
      out.println(
          n == 0
              ? "No changes. The host matches the configuration."
              : "Plan: " + n + " resource(s) to change.");
    } else if (!r.failed()) {
      long n = r.changed();
      out.println(
          n == 0
              ? "No changes. The host matches the configuration."
              : "Applied: " + n + " resource(s) changed.");
    }
    out.flush();
    if (r.failed()) failed(err, r);
  }

  private static void failed(PrintWriter err, RunResult r) {
    err.println("Apply failed: " + r.error());
    err.flush();
  }
}
