/** The harness's own check: answers each case's first element, a string, as it was received. */
public final class Echo {
  public static void main(String[] args) throws Exception {
    Json.serve(a -> Json.quote((String) a.get(0)));
  }
}
