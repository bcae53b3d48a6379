package dev.consulvmagent.render;

/**
 * The Debian package's layout, and the one file of it that comes from code: its launcher, the same
 * text the agent installs for itself (Units.launcher) with the packaged jar's path. The build runs
 * {@link #main} to write /usr/bin/consul-vm-agent into the package (pom.xml, jdeb).
 */
public final class DebPackage {
  /** Where the package puts the jar (Debian Java policy: jars live under /usr/share). */
  public static final String JAR = "/usr/share/consul-vm-agent/consul-vm-agent.jar";

  private DebPackage() {}

  /** Prints the packaged launcher on stdout. */
  public static void main(String[] args) {
    System.out.print(Units.launcher(JAR));
  }
}
