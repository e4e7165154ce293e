import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.status.Status;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TimeZone;

/**
 * logback 1.2's PatternLayout for test/layout-java.test.ts. A case is
 * [pattern, epochMillis, level, loggerName, message, threadName, [k, v, k, v…] or null];
 * the answer is {"ok": text, "birth": the context's birth time (the origin of %relative)}, or
 * {"error": why} when logback does not start the layout or reports an error while starting it
 * (an unknown word is an ERROR status, not an exception).
 */
public final class LogbackLayout {
  public static void main(String[] args) throws Exception {
    // logback prints some of its status messages on System.out: keep them off the answers.
    System.setOut(System.err);
    Locale.setDefault(Locale.US);
    TimeZone.setDefault(TimeZone.getTimeZone("UTC"));
    Json.serve(a -> {
      String pattern = (String) a.get(0);
      long time = (Long) a.get(1);
      LoggerContext context = new LoggerContext();
      PatternLayout layout = new PatternLayout();
      layout.setContext(context);
      layout.setPattern(pattern);
      layout.start();
      StringBuilder errors = new StringBuilder();
      for (Status s : context.getStatusManager().getCopyOfStatusList()) {
        if (s.getLevel() == Status.ERROR) {
          errors.append(s.getMessage());
          if (s.getThrowable() != null) errors.append(" / ").append(s.getThrowable());
          errors.append("; ");
        }
      }
      if (!layout.isStarted() || errors.length() > 0) return "{\"error\":" + Json.quote(errors.length() > 0 ? errors.toString() : "not started") + "}";
      Logger logger = context.getLogger((String) a.get(3));
      LoggingEvent event = new LoggingEvent("x", logger, Level.toLevel((String) a.get(2)), (String) a.get(4), null, null);
      event.setTimeStamp(time);
      event.setThreadName((String) a.get(5));
      @SuppressWarnings("unchecked")
      List<Object> mdc = (List<Object>) a.get(6);
      if (mdc != null) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int k = 0; k + 1 < mdc.size(); k += 2) map.put((String) mdc.get(k), (String) mdc.get(k + 1));
        event.setMDCPropertyMap(map);
      }
      return "{\"ok\":" + Json.quote(layout.doLayout(event)) + ",\"birth\":" + context.getBirthTime() + "}";
    });
  }
}
