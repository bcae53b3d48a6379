package dev.consulvmagent.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The exit-code contract, written once: every command's --help lists the codes it keeps from here
 * (picocli's exitCodeList, set in {@link Main}), and ExitCodeTest checks the README's table against
 * {@link #markdownTable()}. One code may carry two meanings for different commands (1: apply
 * failed, status degraded); each is its own constant so a command lists only its own.
 */
public enum ExitCode {
  OK(0, "success: converged, plan computed, configuration valid, healthy"),
  FAILED(
      1,
      "failed: a resource, download, command, wait or Consul call failed (the message says which)"),
  DEGRADED(1, "status: a check warns or fails (each check says why, with a hint)"),
  USAGE(2, "usage error: unknown command or option, bad option value; nothing was done"),
  INVALID_CONFIG(3, "invalid configuration: nothing was changed"),
  INTERNAL(4, "internal error (a bug: please report it, with --stacktrace)"),
  LOCKED(5, "another run holds the lock (after --lock-wait)"),
  CONFLICT(
      6,
      "fleet push, fleet rollback: someone pushed first (nothing pushed; look with fleet status,"
          + " push again)"),
  CHANGES_PENDING(10, "plan -detailed-exitcode: changes are pending");

  private final int code;
  private final String description;

  ExitCode(int code, String description) {
    this.code = code;
    this.description = description;
  }

  public int code() {
    return code;
  }

  public String description() {
    return description;
  }

  /** picocli's exitCodeList form ("code:description"), in the order given. */
  static Map<String, String> helpList(List<ExitCode> codes) {
    Map<String, String> out = new LinkedHashMap<>();
    for (ExitCode c : codes) {
      // two meanings of one code (FAILED, DEGRADED) in one list: one line, both meanings
      out.merge(Integer.toString(c.code), c.description, (a, b) -> a + "; " + b);
    }
    return out;
  }

  /** The README's table ("### Exit codes"), generated from the constants. */
  static String markdownTable() {
    List<String> lines = new ArrayList<>();
    lines.add("| code | meaning |");
    lines.add("| --- | --- |");
    for (ExitCode c : values()) lines.add("| " + c.code + " | " + c.description + " |");
    return String.join("\n", lines) + "\n";
  }
}
