package org.libmlflow;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Argument checks and conversions to the arrays the native layer takes. */
final class Arguments {
  private Arguments() {}

  static <T> T notNull(T value, String name) {
    return Objects.requireNonNull(value, () -> name + " must not be null");
  }

  /** Keys and values of a map as two arrays ({@code [keys, values]}); null map = empty. */
  static String[][] pairs(Map<String, String> map, String name) {
    if (map == null) {
      return new String[][] {new String[0], new String[0]};
    }
    String[] keys = new String[map.size()];
    String[] values = new String[map.size()];
    int i = 0;
    for (Map.Entry<String, String> e : map.entrySet()) {
      keys[i] = notNull(e.getKey(), name + " key");
      values[i] = notNull(e.getValue(), name + " value of '" + e.getKey() + "'");
      i++;
    }
    return new String[][] {keys, values};
  }

  static String[] strings(List<String> list, String name) {
    if (list == null) {
      return new String[0];
    }
    String[] out = new String[list.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = notNull(list.get(i), name + " element " + i);
    }
    return out;
  }

  /** An unmodifiable snapshot (pages keep their query to fetch the next page); null = empty. */
  static List<String> copy(List<String> list) {
    return list == null ? Collections.emptyList() : Collections.unmodifiableList(new ArrayList<>(list));
  }

  /**
   * {@code text} as UTF-8, refusing what UTF-8 cannot encode (a lone surrogate) instead of
   * replacing it as {@link String#getBytes} would: stored text must read back as it was given.
   */
  static byte[] utf8(String text, String name) {
    CharsetEncoder encoder =
        StandardCharsets.UTF_8
            .newEncoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    CharBuffer chars = CharBuffer.wrap(text);
    try {
      ByteBuffer encoded = encoder.encode(chars);
      byte[] out = new byte[encoded.remaining()];
      encoded.get(out);
      return out;
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException(
          name + " is not valid Unicode: a lone surrogate at index " + chars.position(), e);
    }
  }

  static <T> List<T> list(Iterable<T> items, String name) {
    List<T> out = new ArrayList<>();
    if (items != null) {
      int i = 0;
      for (T item : items) {
        out.add(notNull(item, name + " element " + i++));
      }
    }
    return out;
  }
}
