package org.libmlflow;

import java.util.ArrayList;
import java.util.List;

/** A page of {@link MlflowClient#searchExperiments} results. */
public final class ExperimentsPage extends Page<Experiment> {
  private final MlflowClient client;
  private final String filter;
  private final ViewType viewType;
  private final int maxResults;
  private final List<String> orderBy;

  ExperimentsPage(
      PageData data,
      MlflowClient client,
      String filter,
      ViewType viewType,
      int maxResults,
      List<String> orderBy) {
    super(experiments(data), data.nextPageToken);
    this.client = client;
    this.filter = filter;
    this.viewType = viewType;
    this.maxResults = maxResults;
    this.orderBy = orderBy;
  }

  private static List<Experiment> experiments(PageData data) {
    List<Experiment> out = new ArrayList<>(data.items.length);
    for (Object item : data.items) {
      out.add((Experiment) item);
    }
    return out;
  }

  @Override
  public ExperimentsPage getNextPage() {
    if (!hasNextPage()) {
      return new ExperimentsPage(
          new PageData(new Object[0], null), client, filter, viewType, maxResults, orderBy);
    }
    return client.searchExperiments(filter, viewType, maxResults, orderBy, getNextPageToken().get());
  }
}
