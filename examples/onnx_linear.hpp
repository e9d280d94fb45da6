// A linear model y = x·W + b written as an ONNX file, protobuf bytes and all, without an ONNX
// library: ModelProto { ir_version 8, opset_import {"", 13}, graph: MatMul(x, W) → xw,
// Add(xw, b) → y; W [k, 1] and b [1] float initializers; input x float [N, k] with N a named
// (dynamic) dimension; output y float [N, 1] }. Field numbers are onnx.proto's.
#ifndef MLFLOW_EXAMPLES_ONNX_LINEAR_HPP
#define MLFLOW_EXAMPLES_ONNX_LINEAR_HPP

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace onnx_linear {

/// Protobuf's wire format, the three kinds of field this model needs.
class Message {
 public:
  Message& varint(std::uint32_t field, std::uint64_t value) {
    key(field, 0);
    put_varint(value);
    return *this;
  }
  Message& bytes(std::uint32_t field, const std::string& value) {
    key(field, 2);
    put_varint(value.size());
    out_ += value;
    return *this;
  }
  Message& message(std::uint32_t field, const Message& inner) { return bytes(field, inner.out_); }
  /// A packed repeated float field (little-endian IEEE 754, as protobuf writes them).
  Message& packed_floats(std::uint32_t field, const std::vector<float>& values) {
    std::string packed;
    for (const float v : values) {
      std::uint32_t bits = 0;
      std::memcpy(&bits, &v, sizeof bits);
      for (int i = 0; i < 4; ++i) packed += static_cast<char>((bits >> (8 * i)) & 0xFF);
    }
    return bytes(field, packed);
  }
  const std::string& data() const { return out_; }

 private:
  void key(std::uint32_t field, std::uint32_t wire_type) { put_varint((static_cast<std::uint64_t>(field) << 3) | wire_type); }
  void put_varint(std::uint64_t v) {
    while (v >= 0x80) {
      out_ += static_cast<char>((v & 0x7F) | 0x80);
      v >>= 7;
    }
    out_ += static_cast<char>(v);
  }
  std::string out_;
};

constexpr std::uint64_t kFloat = 1;  // TensorProto.DataType.FLOAT

/// A float tensor type of the given shape; a dimension is either a size or a name (dim_param).
struct Dim {
  std::int64_t value = 0;
  std::string param;
};

inline Message tensor_type(const std::vector<Dim>& shape) {
  Message dims;
  for (const Dim& d : shape) {
    Message dim;
    if (d.param.empty()) {
      dim.varint(1, static_cast<std::uint64_t>(d.value));  // dim_value
    } else {
      dim.bytes(2, d.param);  // dim_param
    }
    dims.message(1, dim);  // TensorShapeProto.dim
  }
  Message tensor;
  tensor.varint(1, kFloat).message(2, dims);  // elem_type, shape
  return Message().message(1, tensor);        // TypeProto.tensor_type
}

inline Message value_info(const std::string& name, const std::vector<Dim>& shape) {
  return Message().bytes(1, name).message(2, tensor_type(shape));
}

inline Message initializer(const std::string& name, const std::vector<std::int64_t>& dims,
                           const std::vector<float>& values) {
  Message t;
  for (const std::int64_t d : dims) t.varint(1, static_cast<std::uint64_t>(d));  // dims
  t.varint(2, kFloat).packed_floats(4, values).bytes(8, name);                   // data_type, float_data, name
  return t;
}

inline Message node(const std::string& op, const std::vector<std::string>& inputs, const std::string& output) {
  Message n;
  for (const std::string& in : inputs) n.bytes(1, in);
  n.bytes(2, output).bytes(3, op + "_" + output).bytes(4, op);  // output, name, op_type
  return n;
}

/// The serialized ModelProto of y = x·W + b for `weights` (k values) and `bias`.
inline std::string linear_model(const std::vector<float>& weights, float bias) {
  const auto k = static_cast<std::int64_t>(weights.size());
  Message graph;
  graph.message(1, node("MatMul", {"x", "W"}, "xw"))
      .message(1, node("Add", {"xw", "b"}, "y"))
      .bytes(2, "linear_regression")
      .message(5, initializer("W", {k, 1}, weights))
      .message(5, initializer("b", {1}, {bias}))
      .message(11, value_info("x", {{0, "N"}, {k, ""}}))
      .message(12, value_info("y", {{0, "N"}, {1, ""}}));
  Message opset;
  opset.bytes(1, "").varint(2, 13);  // the default domain, opset 13
  Message model;
  model.varint(1, 8)  // ir_version
      .bytes(2, "libmlflow-example")
      .bytes(3, "0.1.0")
      .message(7, graph)
      .message(8, opset);
  return model.data();
}

}  // namespace onnx_linear

#endif  // MLFLOW_EXAMPLES_ONNX_LINEAR_HPP
