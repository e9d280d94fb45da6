package org.libmlflow;

import java.util.Collections;
import java.util.List;
import java.util.Optional;

/** One page of a search; {@link #getNextPage()} runs the same search for the following page. */
public abstract class Page<T> {
  private final List<T> items;
  private final String nextPageToken;

  Page(List<T> items, String nextPageToken) {
    this.items = Collections.unmodifiableList(items);
    this.nextPageToken = nextPageToken == null || nextPageToken.isEmpty() ? null : nextPageToken;
  }

  public List<T> getItems() {
    return items;
  }

  public int getPageSize() {
    return items.size();
  }

  public boolean hasNextPage() {
    return nextPageToken != null;
  }

  /** The token to pass as {@code pageToken} for the next page; empty on the last page. */
  public Optional<String> getNextPageToken() {
    return Optional.ofNullable(nextPageToken);
  }

  /** The next page, or an empty page when this is the last one. */
  public abstract Page<T> getNextPage();
}
