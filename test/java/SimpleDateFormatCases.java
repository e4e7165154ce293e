import java.text.SimpleDateFormat;
import java.util.Date;
import java.util.Locale;
import java.util.TimeZone;

/**
 * java.text.SimpleDateFormat for test/java-date-fuzz.test.ts, with the JDK's default locale
 * providers. Cases: ["format", pattern, locale (Java form: ru_RU), zone id, epoch millis]
 * answers the formatted text (a rejected pattern answers {"error": ...}); ["rawOffset", zone id]
 * answers TimeZone.getRawOffset() in milliseconds; ["offsetAt", zone id, epoch ms] answers
 * TimeZone.getOffset(ms) in milliseconds (to tell a zone whose current rules Java's tz data and
 * Node's disagree on).
 */
public final class SimpleDateFormatCases {
  public static void main(String[] args) throws Exception {
    Json.serve(a -> {
      String kind = (String) a.get(0);
      if (kind.equals("rawOffset")) return String.valueOf(TimeZone.getTimeZone((String) a.get(1)).getRawOffset());
      if (kind.equals("offsetAt")) return String.valueOf(TimeZone.getTimeZone((String) a.get(1)).getOffset(((Number) a.get(2)).longValue()));
      String[] parts = ((String) a.get(2)).split("_", -1);
      Locale locale = parts.length == 1 ? new Locale(parts[0]) : new Locale(parts[0], parts[1]);
      SimpleDateFormat format = new SimpleDateFormat((String) a.get(1), locale);
      format.setTimeZone(TimeZone.getTimeZone((String) a.get(3)));
      return Json.quote(format.format(new Date(((Number) a.get(4)).longValue())));
    });
  }
}
