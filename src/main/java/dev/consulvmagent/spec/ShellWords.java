package dev.consulvmagent.spec;

import java.util.ArrayList;
import java.util.List;

/**
 * POSIX-style word splitting of an annotation value (quotes and backslashes); nothing is executed.
 */
final class ShellWords {
  private ShellWords() {}

  static List<String> split(String s, String path) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean inWord = false;
    char quote = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (quote == '\'') {
        if (c == '\'') quote = 0;
        else cur.append(c);
      } else if (quote == '"') {
        if (c == '"') quote = 0;
        else if (c == '\\' && i + 1 < s.length() && "\"\\$`".indexOf(s.charAt(i + 1)) >= 0)
          cur.append(s.charAt(++i));
        else cur.append(c);
      } else if (c == '\'' || c == '"') {
        quote = c;
        inWord = true;
      } else if (c == '\\' && i + 1 < s.length()) {
        cur.append(s.charAt(++i));
        inWord = true;
      } else if (Character.isWhitespace(c)) {
        if (inWord) out.add(cur.toString());
        cur.setLength(0);
        inWord = false;
      } else {
        cur.append(c);
        inWord = true;
      }
    }
    if (quote != 0) throw new SpecException(path, "unterminated quote");
    if (inWord) out.add(cur.toString());
    return out;
  }
}
