package org.libmlflow.examples.spark;

import java.io.Serializable;

/**
 * The toy model of the sweep: {@code y = w x + b} fitted by full-batch gradient descent on the mean
 * squared error plus an L2 penalty on {@code w}.
 */
final class LinearFit implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Called once per epoch with the loss before that epoch's update. */
  interface EpochListener {
    void epochDone(int epoch, double loss);
  }

  final double w;
  final double b;
  final double[] losses;

  private LinearFit(double w, double b, double[] losses) {
    this.w = w;
    this.b = b;
    this.losses = losses;
  }

  static LinearFit train(TrainingData data, Trial trial, EpochListener listener) {
    int n = data.x.length;
    double w = 0;
    double b = 0;
    double[] losses = new double[trial.epochs];
    for (int epoch = 0; epoch < trial.epochs; epoch++) {
      double squaredError = 0;
      double gradW = 0;
      double gradB = 0;
      for (int i = 0; i < n; i++) {
        double err = w * data.x[i] + b - data.y[i];
        squaredError += err * err;
        gradW += 2 * err * data.x[i];
        gradB += 2 * err;
      }
      double loss = squaredError / n + trial.l2 * w * w;
      losses[epoch] = loss;
      listener.epochDone(epoch, loss);
      w -= trial.learningRate * (gradW / n + 2 * trial.l2 * w);
      b -= trial.learningRate * gradB / n;
    }
    return new LinearFit(w, b, losses);
  }

  double finalLoss() {
    return losses[losses.length - 1];
  }
}
