package dev.consulvmagent.cli;

/**
 * What --output takes: exactly these (picocli refuses anything else as a usage error, exit 2, and
 * lists them), so a typo never silently falls back to text in a script that parses JSON.
 */
enum Output {
  text,
  json
}
