package org.libmlflow.examples.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/** One point of the hyper-parameter grid: what a task trains and logs as one nested run. */
public final class Trial implements Serializable {
  private static final long serialVersionUID = 1L;

  final int index;
  final double learningRate;
  final double l2;
  final int epochs;

  Trial(int index, double learningRate, double l2, int epochs) {
    this.index = index;
    this.learningRate = learningRate;
    this.l2 = l2;
    this.epochs = epochs;
  }

  /** Every combination of the learning rates and L2 penalties, numbered from 0. */
  static List<Trial> grid(double[] learningRates, double[] l2Penalties, int epochs) {
    List<Trial> trials = new ArrayList<>();
    for (double learningRate : learningRates) {
      for (double l2 : l2Penalties) {
        trials.add(new Trial(trials.size(), learningRate, l2, epochs));
      }
    }
    return trials;
  }

  String runName() {
    return "trial-" + index;
  }
}
