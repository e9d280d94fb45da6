package org.libmlflow.examples.spark;

import java.io.Serializable;
import java.util.Random;

/** The points every trial fits, made once on the driver and broadcast to the executors. */
public final class TrainingData implements Serializable {
  private static final long serialVersionUID = 1L;

  final double[] x;
  final double[] y;

  private TrainingData(double[] x, double[] y) {
    this.x = x;
    this.y = y;
  }

  /** {@code y = 3x - 2} plus Gaussian noise, reproducible from the seed. */
  static TrainingData synthetic(long seed, int size) {
    Random random = new Random(seed);
    double[] x = new double[size];
    double[] y = new double[size];
    for (int i = 0; i < size; i++) {
      x[i] = random.nextDouble() * 2 - 1;
      y[i] = 3 * x[i] - 2 + random.nextGaussian() * 0.1;
    }
    return new TrainingData(x, y);
  }
}
