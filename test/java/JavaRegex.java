import java.util.regex.Pattern;

/**
 * java.util.regex for test/java-regex.test.ts. A case is [regex, input, replacement]; the answer
 * is {"ok": Pattern.compile(regex).matcher(input).replaceAll(replacement)}, or {"error": why}
 * when Java rejects the regex or the replacement.
 */
public final class JavaRegex {
  public static void main(String[] args) throws Exception {
    Json.serve(a -> {
      Pattern pattern = Pattern.compile((String) a.get(0));
      return "{\"ok\":" + Json.quote(pattern.matcher((String) a.get(1)).replaceAll((String) a.get(2))) + "}";
    });
  }
}
