import java.util.List;
import org.slf4j.helpers.MessageFormatter;

/**
 * SLF4J 1.7's MessageFormatter for test/slf4j-format-java.test.ts. A case is
 * [message, [args…], trailingThrowable]: the arguments are strings, numbers, booleans, null and
 * arrays (nested lists become Object[]); with trailingThrowable a RuntimeException is appended as
 * the last argument. The answer is arrayFormat(message, args).getMessage() and whether SLF4J took
 * the throwable out: {"message": text, "throwable": true|false}.
 */
public final class Slf4jFormat {
  static Object convert(Object value) {
    if (value instanceof List) {
      List<?> list = (List<?>) value;
      Object[] array = new Object[list.size()];
      for (int k = 0; k < array.length; k++) array[k] = convert(list.get(k));
      return array;
    }
    return value;
  }

  public static void main(String[] args) throws Exception {
    Json.serve(a -> {
      String message = (String) a.get(0);
      List<?> list = (List<?>) a.get(1);
      boolean throwable = Boolean.TRUE.equals(a.get(2));
      Object[] arguments = new Object[list.size() + (throwable ? 1 : 0)];
      for (int k = 0; k < list.size(); k++) arguments[k] = convert(list.get(k));
      if (throwable) arguments[list.size()] = new RuntimeException("boom");
      org.slf4j.helpers.FormattingTuple tuple = MessageFormatter.arrayFormat(message, arguments);
      return "{\"message\":" + Json.quote(tuple.getMessage()) + ",\"throwable\":" + (tuple.getThrowable() != null) + "}";
    });
  }
}
