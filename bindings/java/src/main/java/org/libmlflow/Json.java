package org.libmlflow;

import java.util.List;
import java.util.Map;

/**
 * The little JSON writing the binding needs to hand the core its JSON forms ({@code ModelSpec},
 * {@code LogModelOptions}): strings, string lists and maps, and JSON the caller already wrote.
 */
final class Json {
  private final StringBuilder out = new StringBuilder("{");
  private boolean first = true;

  static String quote(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"':
          b.append("\\\"");
          break;
        case '\\':
          b.append("\\\\");
          break;
        case '\n':
          b.append("\\n");
          break;
        case '\r':
          b.append("\\r");
          break;
        case '\t':
          b.append("\\t");
          break;
        default:
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c); // surrogates pass through; the native side refuses lone ones
          }
      }
    }
    return b.append('"').toString();
  }

  static String list(List<String> items) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < items.size(); i++) {
      b.append(i == 0 ? "" : ",").append(quote(items.get(i)));
    }
    return b.append(']').toString();
  }

  static String map(Map<String, String> items) {
    Json o = new Json();
    items.forEach(o::string);
    return o.end();
  }

  /** Adds {@code "key": <raw JSON>}; a null value is left out. */
  Json raw(String key, String json) {
    if (json != null) {
      out.append(first ? "" : ",").append(quote(key)).append(':').append(json);
      first = false;
    }
    return this;
  }

  Json string(String key, String value) {
    return raw(key, value == null ? null : quote(value));
  }

  String end() {
    return out.append('}').toString();
  }
}
