import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.libmlflow.LogModelOptions;
import org.libmlflow.MlflowClient;
import org.libmlflow.ModelInfo;
import org.libmlflow.ModelSpec;
import org.libmlflow.ModelVersion;

/**
 * A Java job that trains a model, logs it as an MLflow model, registers it and moves the alias
 * {@code champion} to the new version — then MLflow's Python loads and serves it unchanged:
 *
 * <pre>
 * java -cp libmlflow-0.1.0.jar examples/java/LogModel.java sqlite:///mlflow.db house-prices
 * python -c "import mlflow; mlflow.set_tracking_uri('sqlite:///mlflow.db');
 *            print(mlflow.pyfunc.load_model('models:/house-prices@champion').predict(...))"
 * mlflow models serve -m models:/house-prices@champion --env-manager local
 * </pre>
 *
 * The model is a linear regression y = x·w + b on two features, fitted by least squares on
 * synthetic data and written as an ONNX graph (MatMul + Add) — the framework-native file a JVM
 * job would get from its own library; here its few protobuf fields are written by hand so the
 * example needs nothing but the libmlflow jar. It prints the fitted coefficients, then the model
 * URI to use as its last line.
 */
public class LogModel {
  public static void main(String[] args) throws Exception {
    String trackingUri = args.length > 0 ? args[0] : "sqlite:///mlflow.db";
    String modelName = args.length > 1 ? args[1] : "java-linear";

    // "Training": least squares on y = 1.5 x0 - 0.5 x1 + 2 with noise (normal equations).
    Random random = new Random(42);
    int n = 500;
    double[][] x = new double[n][2];
    double[] y = new double[n];
    for (int i = 0; i < n; i++) {
      x[i][0] = random.nextDouble() * 10;
      x[i][1] = random.nextDouble() * 10;
      y[i] = 1.5 * x[i][0] - 0.5 * x[i][1] + 2 + random.nextGaussian() * 0.1;
    }
    double[] theta = leastSquares(x, y); // [w0, w1, b]
    float[] w = {(float) theta[0], (float) theta[1]};
    float b = (float) theta[2];
    System.out.printf("w=[%s, %s] b=%s%n", w[0], w[1], b);

    Path work = Files.createTempDirectory("libmlflow-log-model-");
    Path onnxFile = work.resolve("linear.onnx");
    Files.write(onnxFile, linearOnnx(w, b));

    try (MlflowClient client = new MlflowClient(trackingUri)) {
      String experimentId =
          client.getExperimentByName("java-models").map(e -> e.getExperimentId())
              .orElseGet(() -> client.createExperiment("java-models"));
      String runId = client.createRun(experimentId).getRunId();
      client.logParam(runId, "features", "2");

      ModelSpec spec =
          ModelSpec.builder("onnx")
              .file(onnxFile)
              .signature(
                  "[{\"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"float32\", \"shape\": [-1, 2]}, \"name\": \"x\"}]",
                  "[{\"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"float32\", \"shape\": [-1, 1]}, \"name\": \"y\"}]")
              .inputExample("{\"type\": \"ndarray\", \"data\": [[1.0, 2.0]]}")
              .build();
      ModelInfo info =
          client.logModel(
              runId,
              spec,
              LogModelOptions.builder().name("linear").registeredModelName(modelName).build());
      ModelVersion version = info.getRegisteredModelVersion().orElseThrow();
      client.setRegisteredModelAlias(modelName, "champion", version.getVersion());
      client.setTerminated(runId);

      System.out.println("logged " + info.getModelUri() + " (run " + runId + "), registered "
          + modelName + " version " + version.getVersion());
      System.out.println("models:/" + modelName + "@champion");
    } finally {
      Files.deleteIfExists(onnxFile);
      Files.deleteIfExists(work);
    }
  }

  /** [w0, w1, b] minimizing the squared error, from the 3x3 normal equations. */
  static double[] leastSquares(double[][] x, double[] y) {
    double[][] a = new double[3][4]; // augmented [XᵀX | Xᵀy] with a column of ones for b
    for (int i = 0; i < y.length; i++) {
      double[] row = {x[i][0], x[i][1], 1};
      for (int r = 0; r < 3; r++) {
        for (int c = 0; c < 3; c++) {
          a[r][c] += row[r] * row[c];
        }
        a[r][3] += row[r] * y[i];
      }
    }
    for (int p = 0; p < 3; p++) { // Gauss-Jordan elimination (the matrix is well conditioned)
      for (int r = 0; r < 3; r++) {
        if (r != p) {
          double f = a[r][p] / a[p][p];
          for (int c = p; c < 4; c++) {
            a[r][c] -= f * a[p][c];
          }
        }
      }
    }
    return new double[] {a[0][3] / a[0][0], a[1][3] / a[1][1], a[2][3] / a[2][2]};
  }

  // ---- the ONNX file: ModelProto { ir_version, opset_import, graph } (onnx.proto3) ----

  /** y = MatMul(x, W) + B with x: float[N, 2], W: float[2, 1], B: float[1], y: float[N, 1]. */
  static byte[] linearOnnx(float[] w, float b) {
    Proto graph = new Proto()
        .message(1, new Proto().string(1, "x").string(1, "W").string(2, "xw").string(3, "matmul")
            .string(4, "MatMul")) // node: input, input, output, name, op_type
        .message(1, new Proto().string(1, "xw").string(1, "B").string(2, "y").string(3, "add")
            .string(4, "Add"))
        .string(2, "linear") // graph name
        .message(5, floatTensor("W", new long[] {2, 1}, w)) // initializers
        .message(5, floatTensor("B", new long[] {1}, new float[] {b}))
        .message(11, valueInfo("x", 2)) // graph input and output
        .message(12, valueInfo("y", 1));
    return new Proto()
        .varint(1, 8) // ir_version 8
        .string(2, "libmlflow-example") // producer_name
        .message(7, graph)
        .message(8, new Proto().string(1, "").varint(2, 13)) // opset_import: default domain, opset 13
        .bytes();
  }

  /** TensorProto { dims, data_type = FLOAT (1), name, raw_data (little-endian floats) }. */
  static Proto floatTensor(String name, long[] dims, float[] values) {
    Proto t = new Proto();
    for (long d : dims) {
      t.varint(1, d);
    }
    byte[] raw = new byte[values.length * 4];
    for (int i = 0; i < values.length; i++) {
      int bits = Float.floatToIntBits(values[i]);
      for (int k = 0; k < 4; k++) {
        raw[i * 4 + k] = (byte) (bits >>> (8 * k));
      }
    }
    return t.varint(2, 1).string(8, name).field(9, raw);
  }

  /** ValueInfoProto { name, type: TypeProto { tensor_type: { elem_type FLOAT, shape [N, cols] } } }. */
  static Proto valueInfo(String name, long cols) {
    Proto shape = new Proto()
        .message(1, new Proto().string(2, "N")) // dim_param "N": any batch size
        .message(1, new Proto().varint(1, cols)); // dim_value
    Proto tensorType = new Proto().varint(1, 1).message(2, shape);
    return new Proto().string(1, name).message(2, new Proto().message(1, tensorType));
  }

  /** The protobuf wire format, just what the ONNX file needs: varints and length-delimited fields. */
  static final class Proto {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    private void raw(long v) {
      while ((v & ~0x7FL) != 0) {
        out.write((int) ((v & 0x7F) | 0x80));
        v >>>= 7;
      }
      out.write((int) v);
    }

    Proto varint(int field, long value) {
      raw((long) field << 3);
      raw(value);
      return this;
    }

    Proto field(int field, byte[] value) {
      raw(((long) field << 3) | 2);
      raw(value.length);
      out.write(value, 0, value.length);
      return this;
    }

    Proto string(int field, String value) {
      return field(field, value.getBytes(StandardCharsets.UTF_8));
    }

    Proto message(int field, Proto value) {
      return field(field, value.bytes());
    }

    byte[] bytes() {
      return Arrays.copyOf(out.toByteArray(), out.size());
    }
  }
}
