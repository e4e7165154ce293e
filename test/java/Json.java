import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The pipe of test/lib/java.ts: one JSON array per input line (strings, numbers, booleans,
 * null, nested arrays), one JSON value per output line. Only what the tests send is supported.
 */
public final class Json {
  private final String s;
  private int i;

  private Json(String s) { this.s = s; }

  /** Parses one JSON value (arrays become List<Object>, numbers Double or Long). */
  public static Object parse(String text) {
    Json p = new Json(text);
    Object v = p.value();
    p.ws();
    if (p.i != text.length()) throw new IllegalArgumentException("trailing text at " + p.i);
    return v;
  }

  private void ws() { while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++; }

  private Object value() {
    ws();
    char c = s.charAt(i);
    if (c == '[') {
      i++;
      List<Object> list = new ArrayList<>();
      ws();
      if (s.charAt(i) == ']') { i++; return list; }
      while (true) {
        list.add(value());
        ws();
        char d = s.charAt(i++);
        if (d == ']') return list;
        if (d != ',') throw new IllegalArgumentException("expected , at " + (i - 1));
      }
    }
    if (c == '"') return string();
    if (s.startsWith("null", i)) { i += 4; return null; }
    if (s.startsWith("true", i)) { i += 4; return Boolean.TRUE; }
    if (s.startsWith("false", i)) { i += 5; return Boolean.FALSE; }
    int start = i;
    while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
    String num = s.substring(start, i);
    if (num.matches("-?[0-9]+")) return Long.parseLong(num);
    return Double.parseDouble(num);
  }

  private String string() {
    StringBuilder b = new StringBuilder();
    i++;
    while (true) {
      char c = s.charAt(i++);
      if (c == '"') return b.toString();
      if (c != '\\') { b.append(c); continue; }
      char e = s.charAt(i++);
      switch (e) {
        case 'n': b.append('\n'); break;
        case 'r': b.append('\r'); break;
        case 't': b.append('\t'); break;
        case 'b': b.append('\b'); break;
        case 'f': b.append('\f'); break;
        case 'u': b.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); i += 4; break;
        default: b.append(e);
      }
    }
  }

  /** Writes a string as JSON, every character outside printable ASCII as \\uXXXX. */
  public static String quote(String text) {
    if (text == null) return "null";
    StringBuilder b = new StringBuilder("\"");
    for (int k = 0; k < text.length(); k++) {
      char c = text.charAt(k);
      if (c == '"' || c == '\\') b.append('\\').append(c);
      else if (c < 0x20 || c > 0x7e) b.append(String.format("\\u%04x", (int) c));
      else b.append(c);
    }
    return b.append('"').toString();
  }

  /** A function from one case (the parsed array) to one answer (already JSON). */
  public interface Case { String answer(List<Object> args) throws Exception; }

  /**
   * Reads cases from standard input until its end and writes one answer per case; an exception
   * is answered as {"error": "<class>: <message>"}, so one bad case does not end the run.
   */
  @SuppressWarnings("unchecked")
  public static void serve(Case handler) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false, StandardCharsets.UTF_8);
    StringBuilder batch = new StringBuilder();
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      String answer;
      try {
        answer = handler.answer((List<Object>) parse(line));
      } catch (Exception | StackOverflowError e) {
        answer = "{\"error\":" + quote(e.getClass().getName() + ": " + e.getMessage()) + "}";
      }
      batch.append(answer).append('\n');
      if (batch.length() > 1 << 16) { out.print(batch); batch.setLength(0); }
    }
    out.print(batch);
    out.flush();
  }
}
