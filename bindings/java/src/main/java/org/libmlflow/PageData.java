package org.libmlflow;

/** One page as the native layer returns it: the items and the token of the next page (or null). */
final class PageData {
  final Object[] items;
  final String nextPageToken;

  PageData(Object[] items, String nextPageToken) {
    this.items = items;
    this.nextPageToken = nextPageToken;
  }
}
