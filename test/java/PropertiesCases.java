import java.io.StringReader;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * java.util.Properties.load(Reader) for test/java-properties.test.ts. A case is [text]; the
 * answer is the loaded table as [[key, value], ...] sorted by key (a malformed unicode escape answers
 * {"error": ...}, as Json.serve answers every exception).
 */
public final class PropertiesCases {
  public static void main(String[] args) throws Exception {
    Json.serve(a -> {
      Properties properties = new Properties();
      properties.load(new StringReader((String) a.get(0)));
      StringBuilder out = new StringBuilder("[");
      for (Map.Entry<Object, Object> e : new TreeMap<>(properties).entrySet()) {
        if (out.length() > 1) out.append(',');
        out.append('[').append(Json.quote((String) e.getKey())).append(',').append(Json.quote((String) e.getValue())).append(']');
      }
      return out.append(']').toString();
    });
  }
}
