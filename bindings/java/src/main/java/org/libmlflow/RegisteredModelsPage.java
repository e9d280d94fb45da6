package org.libmlflow;

import java.util.ArrayList;
import java.util.List;

/** A page of {@link MlflowClient#searchRegisteredModels} results. */
public final class RegisteredModelsPage extends Page<RegisteredModel> {
  private final MlflowClient client;
  private final String filter;
  private final int maxResults;
  private final List<String> orderBy;

  RegisteredModelsPage(PageData data, MlflowClient client, String filter, int maxResults, List<String> orderBy) {
    super(items(data), data.nextPageToken);
    this.client = client;
    this.filter = filter;
    this.maxResults = maxResults;
    this.orderBy = orderBy;
  }

  private static List<RegisteredModel> items(PageData data) {
    List<RegisteredModel> out = new ArrayList<>(data.items.length);
    for (Object item : data.items) {
      out.add((RegisteredModel) item);
    }
    return out;
  }

  @Override
  public RegisteredModelsPage getNextPage() {
    if (!hasNextPage()) {
      return new RegisteredModelsPage(new PageData(new Object[0], null), client, filter, maxResults, orderBy);
    }
    return client.searchRegisteredModels(filter, maxResults, orderBy, getNextPageToken().get());
  }
}
