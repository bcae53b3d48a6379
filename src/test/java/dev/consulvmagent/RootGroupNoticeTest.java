package dev.consulvmagent;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Says, in every plain `mvn test`, that the tests tagged "root" (network namespaces, real users and
 * ownership) did not run here, and how to run them: reported as one skipped test.
 */
class RootGroupNoticeTest {
  @Test
  void rootOnlyTests_runSeparately() {
    String excluded = System.getProperty("test.excludedGroups", "root");
    assumeTrue(
        !List.of(excluded.split(",")).contains("root"),
        "the \"root\" test group (network namespaces, users created and deleted"
            + " for real) is not part of this run; as root: mvn test -P root-tests");
  }
}
