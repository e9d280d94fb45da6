package org.libmlflow;

import java.util.ArrayList;
import java.util.List;

/** A page of {@link MlflowClient#searchRuns} results. */
public final class RunsPage extends Page<Run> {
  private final MlflowClient client;
  private final List<String> experimentIds;
  private final String filter;
  private final ViewType viewType;
  private final int maxResults;
  private final List<String> orderBy;

  RunsPage(
      PageData data,
      MlflowClient client,
      List<String> experimentIds,
      String filter,
      ViewType viewType,
      int maxResults,
      List<String> orderBy) {
    super(runs(data), data.nextPageToken);
    this.client = client;
    this.experimentIds = experimentIds;
    this.filter = filter;
    this.viewType = viewType;
    this.maxResults = maxResults;
    this.orderBy = orderBy;
  }

  private static List<Run> runs(PageData data) {
    List<Run> out = new ArrayList<>(data.items.length);
    for (Object item : data.items) {
      out.add((Run) item);
    }
    return out;
  }

  @Override
  public RunsPage getNextPage() {
    if (!hasNextPage()) {
      return new RunsPage(
          new PageData(new Object[0], null), client, experimentIds, filter, viewType, maxResults, orderBy);
    }
    return client.searchRuns(
        experimentIds, filter, viewType, maxResults, orderBy, getNextPageToken().get());
  }
}
