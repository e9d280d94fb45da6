/*
 * A small training loop logging to MLflow through libmlflow from Java: linear regression fitted
 * by gradient descent on synthetic data, with params, a loss per epoch, a final metric and the
 * fitted coefficients as an artifact.
 *
 *   java -cp target/java/libmlflow-0.1.0.jar examples/java/TrainingLoop.java [tracking URI]
 *
 * (scripts/test-java.sh builds the jar into target/java/ and runs this.) Then look at it with
 * `mlflow ui --backend-store-uri sqlite:///mlflow.db`.
 */

import java.util.Map;
import java.util.Random;
import org.libmlflow.MlflowContext;

public class TrainingLoop {
  public static void main(String[] args) {
    String trackingUri = args.length > 0 ? args[0] : "sqlite:///mlflow.db";
    double learningRate = 0.05;
    int epochs = 200;

    // Synthetic data: y = 3x - 2 + noise.
    Random random = new Random(42);
    int n = 256;
    double[] x = new double[n];
    double[] y = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = random.nextDouble() * 2 - 1;
      y[i] = 3 * x[i] - 2 + random.nextGaussian() * 0.1;
    }

    try (MlflowContext mlflow = new MlflowContext(trackingUri)) {
      mlflow.setExperimentName("java-example");
      mlflow.withActiveRun(
          "linear-regression",
          run -> {
            run.logParams(Map.of("learning_rate", Double.toString(learningRate), "epochs", Integer.toString(epochs)));
            run.setTag("model", "linear");
            double w = 0;
            double b = 0;
            for (int epoch = 0; epoch < epochs; epoch++) {
              double gradW = 0;
              double gradB = 0;
              double loss = 0;
              for (int i = 0; i < n; i++) {
                double err = w * x[i] + b - y[i];
                loss += err * err;
                gradW += 2 * err * x[i];
                gradB += 2 * err;
              }
              w -= learningRate * gradW / n;
              b -= learningRate * gradB / n;
              run.logMetric("loss", loss / n, epoch); // queued: returns in about a microsecond
            }
            run.logMetrics(Map.of("w", w, "b", b));
            // The fitted model as an artifact (stored under the run's artifact location).
            run.logText(String.format("w=%.6f%nb=%.6f%n", w, b), "model/coefficients.txt");
            System.out.printf("run %s: w=%.3f b=%.3f%n", run.getId(), w, b);
          });
    }
  }
}
