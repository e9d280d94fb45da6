package org.libmlflow;

import java.util.ArrayList;
import java.util.List;

/** A page of {@link MlflowClient#searchModelVersions} results. */
public final class ModelVersionsPage extends Page<ModelVersion> {
  private final MlflowClient client;
  private final String filter;
  private final int maxResults;
  private final List<String> orderBy;

  ModelVersionsPage(PageData data, MlflowClient client, String filter, int maxResults, List<String> orderBy) {
    super(items(data), data.nextPageToken);
    this.client = client;
    this.filter = filter;
    this.maxResults = maxResults;
    this.orderBy = orderBy;
  }

  private static List<ModelVersion> items(PageData data) {
    List<ModelVersion> out = new ArrayList<>(data.items.length);
    for (Object item : data.items) {
      out.add((ModelVersion) item);
    }
    return out;
  }

  @Override
  public ModelVersionsPage getNextPage() {
    if (!hasNextPage()) {
      return new ModelVersionsPage(new PageData(new Object[0], null), client, filter, maxResults, orderBy);
    }
    return client.searchModelVersions(filter, maxResults, orderBy, getNextPageToken().get());
  }
}
