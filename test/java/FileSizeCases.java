import ch.qos.logback.core.util.FileSize;

/**
 * logback's FileSize.valueOf (logback-core 1.2.11) for test/java-properties.test.ts: a case is
 * [text]; the answer is the size in bytes as a JSON string (a long can exceed a double's exact
 * range), or {"error": ...} where logback rejects the text.
 */
public final class FileSizeCases {
  public static void main(String[] args) throws Exception {
    Json.serve(a -> Json.quote(String.valueOf(FileSize.valueOf((String) a.get(0)).getSize())));
  }
}
