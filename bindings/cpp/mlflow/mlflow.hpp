// libmlflow for C++17: RAII handles and exceptions over the C ABI in <mlflow.h>.
//
//   mlflow::Client client;                            // MLFLOW_TRACKING_URI or sqlite:///mlflow.db
//   mlflow::Run run = client.start_run(client.set_experiment("demo"));
//   run.log_param("lr", 0.01);
//   for (int step = 0; step < 100; ++step) run.log_metric("loss", 1.0 / (step + 1), step);
//   client.log_text(run.id(), "fitted in 100 steps\n", "summary.txt");        // an artifact
//   // `run` ends FINISHED when it goes out of scope normally, FAILED when an exception unwinds it.
//
// Conventions
// - Every failure throws mlflow::Error, which carries the C status (mlflow_status) and message.
// - Client and Run are move-only owners of their C handles. Destructors never throw: a Run
//   destroyed while it is still open ends it (FINISHED, or FAILED during stack unwinding), a
//   Client destroyed without close() is closed with its close timeout.
// - Strings are UTF-8 std::string_view. The hot-path calls (metrics, params, tags, batches) pass
//   pointer and length straight to the `_n` C functions; the others copy into a NUL-terminated
//   string and refuse embedded NUL bytes.
// - Numbers given as param or tag values are written as Python's str() writes them ("0.01",
//   "1.0", "True"); that uses the floating-point std::to_chars of C++17 (GCC 11+, libc++ 14+).
// - A tracking server (`http://host:5000`): logged data goes through a local spool and never waits
//   for the network; runs started while the server cannot be reached (or with Options::offline)
//   get a local id, Client::server_run_id() maps it once delivered, CloseReport::unsent counts
//   what still waits, and mlflow::sync_spool() uploads a spool later. Calls that need the server
//   throw mlflow::Error with MLFLOW_ERR_UNAVAILABLE (Error::unavailable()) when it is out of reach.
// - Artifacts (Client::log_artifact, log_artifacts, log_text, log_bytes, list_artifacts,
//   download_artifacts — MLflow's names) are stored where MLflow stores them, so MLflow's own
//   client and UI read them. Transfers take an optional mlflow::Progress callback; what it throws
//   is rethrown after the transfer, never through the C library.
// - Models (MLflow's names): save_model(ModelSpec, path) builds a model directory MLflow loads
//   (onnx, xgboost, lightgbm, python_function flavors; signature, input example, requirements),
//   Model::load reads an MLmodel back, Client::log_model logs a directory as a LoggedModel of a run
//   and can register it in the same call. The registry calls (create_registered_model,
//   search_model_versions, transition_model_version_stage, set_registered_model_alias, ...) return
//   plain structs (RegisteredModel, ModelVersion, PagedList); `models:/<name>@<alias>`,
//   `models:/<name>/<version>` and `models:/<model_id>` download with download_artifacts.
//
//     mlflow::save_model(mlflow::ModelSpec("onnx").file("model.onnx"), "out/model");
//     mlflow::ModelInfo info = client.log_model(run.id(), "out/model", {"model", "my-model"});
//     client.set_registered_model_alias("my-model", "champion", *info.registered_model_version);
// - MLflow Projects: Client::run_project(uri, ProjectRunOptions) is mlflow.projects.run (local
//   backend) and returns a move-only SubmittedRun (run_id, wait, wait_for, get_status, cancel);
//   destroying it never stops the entry point. A failed synchronous run throws ProjectRunFailed,
//   which carries the run id.
// - Thread safety is the C library's: a Client and a Run may be used from many threads at once,
//   an Options object may not. Moving or destroying a handle while another thread uses it is a
//   data race, as for any C++ object.
//
// Licensed under the Apache License 2.0.

#ifndef MLFLOW_MLFLOW_HPP
#define MLFLOW_MLFLOW_HPP

#if !defined(__cplusplus) || __cplusplus < 201703L
#error "mlflow/mlflow.hpp needs C++17 or newer; from C, include <mlflow.h>"
#endif

#include <mlflow.h>

#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <filesystem>
#include <functional>
#include <iterator>
#include <map>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace mlflow {

// ---- errors -------------------------------------------------------------------------------

/// A failed libmlflow call: the C status and its message (what()). With a tracking server,
/// MLFLOW_ERR_UNAVAILABLE means the server could not be reached (logged data waits in the spool
/// and is not lost) and MLFLOW_ERR_PERMISSION_DENIED that it refused the credentials.
class Error : public std::runtime_error {
 public:
  Error(mlflow_status status, const std::string& message) : std::runtime_error(message), status_(status) {}

  /// The C status code (never MLFLOW_OK).
  mlflow_status status() const noexcept { return status_; }
  /// The status's name, e.g. "MLFLOW_ERR_NOT_FOUND".
  const char* status_name() const noexcept { return mlflow_status_name(static_cast<int32_t>(status_)); }
  /// The tracking server could not be reached or kept failing (MLFLOW_ERR_UNAVAILABLE), or the
  /// client is offline; worth retrying later.
  bool unavailable() const noexcept { return status_ == MLFLOW_ERR_UNAVAILABLE; }

 private:
  mlflow_status status_;
};

/// What closing a client did (see mlflow_close_report). `unsent` (tracking server only): items
/// safe in the spool but not delivered yet — the next client on the same spool or sync_spool()
/// delivers them; they do not make the close unclean.
struct CloseReport {
  std::uint64_t written = 0;
  std::uint64_t dropped = 0;
  std::uint64_t unwritten = 0;
  std::uint64_t failed = 0;
  std::uint64_t unsent = 0;

  /// Everything accepted was written.
  bool clean() const noexcept { return dropped == 0 && unwritten == 0 && failed == 0; }
};

/// Thrown by Client::close() when something accepted was not written; carries the report.
class CloseError : public Error {
 public:
  CloseError(mlflow_status status, const std::string& message, const CloseReport& report)
      : Error(status, message), report_(report) {}

  const CloseReport& report() const noexcept { return report_; }

 private:
  CloseReport report_;
};

namespace detail {

/// Throws the current thread's last error when `status` is a failure.
inline void check(mlflow_status status) {
  if (status != MLFLOW_OK) {
    throw Error(status, mlflow_last_error_message());
  }
}

/// Owns one C handle and frees it with `Free` (every `mlflow_*_free` takes NULL): what Options,
/// Client and SubmittedRun share. Move-only; a moved-from owner holds NULL. The classes inherit
/// it privately and use `handle_` directly.
template <typename T, void (*Free)(T*)>
class OwnedHandle {
 protected:
  OwnedHandle() noexcept = default;
  explicit OwnedHandle(T* handle) noexcept : handle_(handle) {}
  ~OwnedHandle() { Free(handle_); }
  OwnedHandle(OwnedHandle&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  OwnedHandle& operator=(OwnedHandle&& other) noexcept {
    if (this != &other) {
      Free(handle_);
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  OwnedHandle(const OwnedHandle&) = delete;
  OwnedHandle& operator=(const OwnedHandle&) = delete;

  T* handle_ = nullptr;
};

/// A NUL-terminated copy of `s` for the C calls that take NUL-terminated strings. An embedded
/// NUL would silently cut the string short there, so it is refused.
inline std::string c_string(std::string_view s, const char* what) {
  if (s.find('\0') != std::string_view::npos) {
    throw Error(MLFLOW_ERR_INVALID_ARGUMENT, std::string("'") + what + "' contains a NUL byte");
  }
  return std::string(s);
}

/// Takes ownership of a string returned by libmlflow and copies it into a std::string.
inline std::string take_string(char* s, std::size_t len) {
  struct Free {
    char* p;
    ~Free() { mlflow_string_free(p); }
  } owner{s};
  return s == nullptr ? std::string() : std::string(s, len);
}

inline std::string take_string(char* s) { return take_string(s, s == nullptr ? 0 : std::strlen(s)); }

inline std::uint64_t millis(std::chrono::milliseconds d) noexcept {
  return d.count() < 0 ? 0 : static_cast<std::uint64_t>(d.count());
}

/// Python's str() of a float (shortest round-trip digits; exponent form below 1e-4 and from
/// 1e16 on; "1.0" rather than "1"), so params logged from C++ read like those logged from Python.
inline std::string python_float_string(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  std::array<char, 64> buf{};
  auto res = std::to_chars(buf.data(), buf.data() + buf.size(), value, std::chars_format::scientific);
  std::string sci(buf.data(), res.ptr);  // "-d.ddde+XX"
  const std::size_t e = sci.find('e');
  const int exponent = std::stoi(sci.substr(e + 1));
  std::string sign = sci[0] == '-' ? "-" : "";
  std::string digits;
  for (std::size_t i = sign.size(); i < e; ++i) {
    if (sci[i] != '.') digits += sci[i];
  }
  if (exponent < -4 || exponent >= 16) {
    std::string mantissa = digits.substr(0, 1);
    if (digits.size() > 1) mantissa += "." + digits.substr(1);
    std::string exp = std::to_string(exponent < 0 ? -exponent : exponent);
    if (exp.size() < 2) exp.insert(0, "0");
    return sign + mantissa + (exponent < 0 ? "e-" : "e+") + exp;
  }
  std::string out;
  if (exponent < 0) {
    out = "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
  } else {
    const std::size_t int_len = static_cast<std::size_t>(exponent) + 1;
    if (digits.size() <= int_len) {
      out = digits + std::string(int_len - digits.size(), '0') + ".0";
    } else {
      out = digits.substr(0, int_len) + "." + digits.substr(int_len);
    }
  }
  return sign + out;
}

/// A param or tag value as Python's str() would write it.
template <typename T>
std::string value_string(T value) {
  if constexpr (std::is_same_v<T, bool>) {
    return value ? "True" : "False";
  } else if constexpr (std::is_floating_point_v<T>) {
    return python_float_string(static_cast<double>(value));
  } else {
    return std::to_string(value);
  }
}

template <typename T>
using if_arithmetic = std::enable_if_t<std::is_arithmetic_v<T> && !std::is_same_v<T, char>, int>;

/// Contiguous containers of one-byte trivially copyable elements (vector<uint8_t>, vector<std::byte>,
/// array, span, ...), but not text: what converts to std::string_view takes the string overload.
template <typename T, typename = void>
struct is_byte_range : std::false_type {};
template <typename T>
using element_of = std::remove_pointer_t<decltype(std::data(std::declval<const T&>()))>;
template <typename T>
struct is_byte_range<T, std::void_t<element_of<T>, decltype(std::size(std::declval<const T&>()))>>
    : std::bool_constant<sizeof(element_of<T>) == 1 && std::is_trivially_copyable_v<element_of<T>> &&
                         !std::is_convertible_v<const T&, std::string_view>> {};
template <typename T>
using if_byte_range = std::enable_if_t<is_byte_range<T>::value, int>;

}  // namespace detail

// ---- versions -----------------------------------------------------------------------------

/// The loaded library's version ("0.1.0").
inline std::string_view version() noexcept { return mlflow_version(); }

/// Whether the loaded library serves a program compiled with this header.
inline bool abi_compatible() noexcept { return MLFLOW_ABI_COMPATIBLE(mlflow_abi_version()); }

// ---- options ------------------------------------------------------------------------------

/// How a Client is opened. Setters chain: `mlflow::Options().tracking_uri("sqlite:///a.db")`.
class Options : private detail::OwnedHandle<mlflow_options, mlflow_options_free> {
 public:
  Options() : OwnedHandle(mlflow_options_new()) {
    if (handle_ == nullptr) throw std::bad_alloc();
  }
  Options(Options&&) noexcept = default;
  Options& operator=(Options&&) noexcept = default;

  /// `sqlite:///path/to/mlflow.db`; the default is MLFLOW_TRACKING_URI, else sqlite:///mlflow.db.
  Options& tracking_uri(std::string_view uri) {
    detail::check(mlflow_options_set_tracking_uri(get(), detail::c_string(uri, "uri").c_str()));
    return *this;
  }
  /// The model registry's URI (`sqlite:///…` or a tracking server); the default is
  /// MLFLOW_REGISTRY_URI, else the tracking URI.
  Options& registry_uri(std::string_view uri) {
    detail::check(mlflow_options_set_registry_uri(get(), detail::c_string(uri, "uri").c_str()));
    return *this;
  }
  /// Where new experiments put their artifacts (default ./mlruns, made absolute).
  Options& artifact_root(std::string_view root) {
    detail::check(mlflow_options_set_artifact_root(get(), detail::c_string(root, "root").c_str()));
    return *this;
  }
  /// Capacity of the logging queue, in calls.
  Options& queue_capacity(std::size_t capacity) {
    detail::check(mlflow_options_set_queue_capacity(get(), capacity));
    return *this;
  }
  /// How long a logging call waits for room in a full queue before throwing MLFLOW_ERR_QUEUE_FULL.
  Options& enqueue_timeout(std::chrono::milliseconds timeout) {
    detail::check(mlflow_options_set_enqueue_timeout_ms(get(), detail::millis(timeout)));
    return *this;
  }
  /// Latency first: drop (and count) items when the queue is full instead of waiting.
  Options& drop_when_full(bool drop) {
    detail::check(mlflow_options_set_drop_when_full(get(), drop));
    return *this;
  }
  /// How long an implicit close (destructor, process exit) may take.
  Options& close_timeout(std::chrono::milliseconds timeout) {
    detail::check(mlflow_options_set_close_timeout_ms(get(), detail::millis(timeout)));
    return *this;
  }
  /// Tracking server only: the directory of the spool where logged data waits until the server
  /// has it (default LIBMLFLOW_SPOOL_DIR, else ~/.local/share/libmlflow/spool).
  Options& spool_dir(std::string_view dir) {
    detail::check(mlflow_options_set_spool_dir(get(), detail::c_string(dir, "dir").c_str()));
    return *this;
  }
  /// Tracking server only: never contact the server; runs get local ids and everything stays in
  /// the spool until sync_spool() uploads it (default: LIBMLFLOW_OFFLINE).
  Options& offline(bool offline) {
    detail::check(mlflow_options_set_offline(get(), offline));
    return *this;
  }
  /// The `mlflow.source.name` tag of new runs (default: this program's path).
  Options& source_name(std::string_view name) {
    detail::check(mlflow_options_set_source_name(get(), detail::c_string(name, "source_name").c_str()));
    return *this;
  }

  /// The C handle (NULL only after a move).
  mlflow_options* get() const noexcept { return handle_; }
};

// ---- runs ---------------------------------------------------------------------------------

/// MLflow's run statuses.
enum class RunStatus : std::int32_t {
  Running = MLFLOW_RUN_RUNNING,
  Scheduled = MLFLOW_RUN_SCHEDULED,
  Finished = MLFLOW_RUN_FINISHED,
  Failed = MLFLOW_RUN_FAILED,
  Killed = MLFLOW_RUN_KILLED,
};

/// Pass as a timestamp to stamp a metric with the current time.
inline constexpr std::int64_t timestamp_now = MLFLOW_TIMESTAMP_NOW;

/// One metric point of a batch. The key is borrowed: it must outlive the log_batch call.
struct Metric {
  std::string_view key;
  double value = 0.0;
  std::int64_t timestamp_ms = timestamp_now;
  std::int64_t step = 0;
};

/// A param or tag of a batch. Both strings are borrowed for the log_batch call.
struct KeyValue {
  std::string_view key;
  std::string_view value;
};

/// A run being logged to. Move-only; thread-safe to log to from several threads.
///
/// A run from start_run() or resume_run() that is still open when its Run is destroyed is ended
/// there: FINISHED normally, FAILED when the destructor runs because an exception is unwinding
/// the scope the Run was created in. A run from attach_run() is never ended implicitly.
class Run {
 public:
  /// An empty handle (as after a move); only assignment and destruction are meaningful.
  Run() noexcept = default;
  ~Run() { finish(); }

  Run(Run&& other) noexcept
      : handle_(std::exchange(other.handle_, nullptr)),
        end_on_destroy_(other.end_on_destroy_),
        uncaught_at_start_(other.uncaught_at_start_) {}
  Run& operator=(Run&& other) noexcept {
    if (this != &other) {
      finish();
      handle_ = std::exchange(other.handle_, nullptr);
      end_on_destroy_ = other.end_on_destroy_;
      uncaught_at_start_ = other.uncaught_at_start_;
    }
    return *this;
  }
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  /// The run id (32 hex characters); empty for an empty handle.
  std::string_view id() const noexcept {
    const char* id = mlflow_run_id(handle_);
    return id == nullptr ? std::string_view() : std::string_view(id);
  }

  /// Queues one metric point (MLflow's order: key, value, step, timestamp). NaN and ±inf are fine.
  void log_metric(std::string_view key, double value, std::int64_t step = 0,
                  std::int64_t timestamp_ms = timestamp_now) const {
    detail::check(mlflow_run_log_metric_n(handle_, key.data(), key.size(), value, timestamp_ms, step));
  }

  /// Queues a param; logging a key again with another value throws MLFLOW_ERR_INVALID_ARGUMENT.
  void log_param(std::string_view key, std::string_view value) const {
    detail::check(mlflow_run_log_param_n(handle_, key.data(), key.size(), value.data(), value.size()));
  }
  /// A number or bool param, written as Python's str() writes it ("0.01", "True", "32").
  template <typename T, detail::if_arithmetic<T> = 0>
  void log_param(std::string_view key, T value) const {
    log_param(key, std::string_view(detail::value_string(value)));
  }

  /// Sets a tag (upsert).
  void set_tag(std::string_view key, std::string_view value) const {
    detail::check(mlflow_run_set_tag_n(handle_, key.data(), key.size(), value.data(), value.size()));
  }
  template <typename T, detail::if_arithmetic<T> = 0>
  void set_tag(std::string_view key, T value) const {
    set_tag(key, std::string_view(detail::value_string(value)));
  }

  /// Queues metrics, params and tags together, all or nothing (MLflow's log_batch limits).
  void log_batch(const std::vector<Metric>& metrics, const std::vector<KeyValue>& params = {},
                 const std::vector<KeyValue>& tags = {}) const {
    std::vector<mlflow_metric> c_metrics;
    c_metrics.reserve(metrics.size());
    for (const Metric& m : metrics) {
      c_metrics.push_back(mlflow_metric{m.key.data(), m.key.size(), m.value, m.timestamp_ms, m.step});
    }
    std::vector<mlflow_kv> c_params = to_c(params);
    std::vector<mlflow_kv> c_tags = to_c(tags);
    detail::check(mlflow_run_log_batch(handle_, c_metrics.data(), c_metrics.size(), c_params.data(),
                                       c_params.size(), c_tags.data(), c_tags.size()));
  }

  /// Ends the run once everything logged before is written. Whatever the outcome, the handle
  /// counts as ended: the destructor does not end it again.
  void end(RunStatus status = RunStatus::Finished) {
    end_on_destroy_ = false;
    detail::check(mlflow_run_end(handle_, static_cast<std::int32_t>(status)));
  }

  /// The C handle, for calls this header does not wrap (NULL for an empty handle).
  mlflow_run* get() const noexcept { return handle_; }
  explicit operator bool() const noexcept { return handle_ != nullptr; }

 private:
  friend class Client;

  Run(mlflow_run* handle, bool end_on_destroy) noexcept
      : handle_(handle), end_on_destroy_(end_on_destroy), uncaught_at_start_(std::uncaught_exceptions()) {}

  static std::vector<mlflow_kv> to_c(const std::vector<KeyValue>& items) {
    std::vector<mlflow_kv> out;
    out.reserve(items.size());
    for (const KeyValue& kv : items) {
      out.push_back(mlflow_kv{kv.key.data(), kv.key.size(), kv.value.data(), kv.value.size()});
    }
    return out;
  }

  /// Ends the run if this handle still owns an open one, then frees the handle. Never throws:
  /// a failure to end is left to the client's close, which ends its open runs.
  void finish() noexcept {
    if (handle_ == nullptr) return;
    if (end_on_destroy_) {
      const bool unwinding = std::uncaught_exceptions() > uncaught_at_start_;
      (void)mlflow_run_end(handle_, unwinding ? MLFLOW_RUN_FAILED : MLFLOW_RUN_FINISHED);
    }
    mlflow_run_free(handle_);
    handle_ = nullptr;
  }

  mlflow_run* handle_ = nullptr;
  bool end_on_destroy_ = false;
  int uncaught_at_start_ = 0;
};

// ---- JSON from libmlflow ------------------------------------------------------------------

namespace detail {

/// A strict reader of the JSON that libmlflow hands back (listings, sync reports): RFC 8259
/// strings with every escape (\uXXXX and surrogate pairs decoded to UTF-8), integers, true,
/// false, null, and objects and arrays walked member by member, skipping what the caller does
/// not ask for. Malformed text throws Error (MLFLOW_ERR_INTERNAL) naming the byte offset.
class JsonReader {
 public:
  explicit JsonReader(std::string_view text) noexcept : text_(text) {}

  /// Reads an object; `on_member(const std::string& key)` must read (or skip) the member's value.
  template <typename OnMember>
  void read_object(OnMember&& on_member) {
    const Nesting nesting(*this);
    expect('{');
    if (consume('}')) return;
    do {
      skip_space();
      const std::string key = read_string();
      expect(':');
      on_member(key);
    } while (consume(','));
    expect('}');
  }

  /// Reads an array; `on_item()` must read (or skip) one value per call.
  template <typename OnItem>
  void read_array(OnItem&& on_item) {
    const Nesting nesting(*this);
    expect('[');
    if (consume(']')) return;
    do {
      on_item();
    } while (consume(','));
    expect(']');
  }

  /// A string, unescaped to UTF-8.
  std::string read_string() {
    expect('"');
    std::string out;
    while (true) {
      if (pos_ >= text_.size()) fail("a string without its closing quote");
      const char c = text_[pos_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) fail("a control character not escaped inside a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) fail("an escape cut short");
      switch (text_[pos_++]) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': append_utf8(out, read_escaped_code_point()); break;
        default: fail("an unknown escape sequence");
      }
    }
  }

  /// An integer that fits in int64 (no fraction, no exponent).
  std::int64_t read_int() {
    skip_space();
    const std::size_t start = pos_;
    const std::string_view number = number_text();
    if (number.find_first_of(".eE") != std::string_view::npos) fail("expected an integer", start);
    std::int64_t value = 0;
    const auto res = std::from_chars(number.data(), number.data() + number.size(), value);
    if (res.ec != std::errc() || res.ptr != number.data() + number.size()) {
      fail("expected an integer within int64", start);
    }
    return value;
  }

  bool read_bool() {
    skip_space();
    if (consume_word("true")) return true;
    if (consume_word("false")) return false;
    fail("expected true or false");
  }

  /// Reads `null` and returns true when the next value is null; otherwise reads nothing.
  bool read_null() {
    skip_space();
    return consume_word("null");
  }

  /// Reads any one value and forgets it.
  void skip_value() {
    skip_space();
    if (pos_ >= text_.size()) fail("expected a value");
    switch (text_[pos_]) {
      case '{': read_object([this](const std::string&) { skip_value(); }); break;
      case '[': read_array([this] { skip_value(); }); break;
      case '"': (void)read_string(); break;
      case 't':
      case 'f': (void)read_bool(); break;
      case 'n':
        if (!read_null()) fail("expected null");
        break;
      default: (void)number_text();
    }
  }

  /// The next value's first character ('{', '[', '"', 't', 'f', 'n', a digit or '-'), without
  /// reading it; '\0' at the end of the text.
  char peek() noexcept {
    skip_space();
    return pos_ < text_.size() ? text_[pos_] : '\0';
  }

  /// An integer given as a JSON number or as a string of digits (MLflow's REST JSON writes
  /// model version numbers as strings).
  std::int64_t read_int_or_string() {
    if (peek() != '"') return read_int();
    const std::size_t start = pos_;
    const std::string digits = read_string();
    std::int64_t value = 0;
    const auto res = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || res.ec != std::errc() || res.ptr != digits.data() + digits.size()) {
      fail("expected an integer in a string", start);
    }
    return value;
  }

  /// The text of the next value, as it is (for parts the caller keeps as JSON).
  std::string read_raw() {
    skip_space();
    const std::size_t start = pos_;
    skip_value();
    return std::string(text_.substr(start, pos_ - start));
  }

  /// Only whitespace may follow the value that was read.
  void finish() {
    skip_space();
    if (pos_ != text_.size()) fail("expected the end of the text");
  }

  /// Throws the malformed-JSON Error for `problem` at the current byte (or at byte `at`).
  [[noreturn]] void fail(const char* problem) const { fail(problem, pos_); }
  [[noreturn]] void fail(const char* problem, std::size_t at) const {
    throw Error(MLFLOW_ERR_INTERNAL, "malformed JSON from libmlflow at byte " + std::to_string(at) + ": " + problem +
                                         " (please report this)");
  }

 private:
  /// Bounds the nesting so that hostile text cannot exhaust the stack.
  struct Nesting {
    explicit Nesting(JsonReader& r) : reader(r) {
      if (++reader.depth_ > kMaxDepth) reader.fail("more than 64 nested objects and arrays");
    }
    ~Nesting() { --reader.depth_; }
    Nesting(const Nesting&) = delete;
    Nesting& operator=(const Nesting&) = delete;
    JsonReader& reader;
  };
  static constexpr int kMaxDepth = 64;

  void skip_space() noexcept {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool consume(char c) noexcept {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  void expect(char c) {
    if (!consume(c)) {
      const char expected[] = {'e', 'x', 'p', 'e', 'c', 't', 'e', 'd', ' ', '\'', c, '\'', '\0'};
      fail(expected);
    }
  }

  bool consume_word(std::string_view word) noexcept {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  /// The text of a number, checked against JSON's number grammar.
  std::string_view number_text() {
    const std::size_t start = pos_;
    const auto digits = [this] {
      const std::size_t from = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
      return pos_ - from;
    };
    if (pos_ < text_.size() && text_[pos_] == '-') ++pos_;
    const std::size_t int_start = pos_;
    const std::size_t int_digits = digits();
    if (int_digits == 0 || (int_digits > 1 && text_[int_start] == '0')) fail("expected a number", start);
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      if (digits() == 0) fail("expected digits after the decimal point", start);
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (digits() == 0) fail("expected digits in the exponent", start);
    }
    return text_.substr(start, pos_ - start);
  }

  /// The four hex digits after `\u`.
  std::uint32_t read_hex4() {
    if (text_.size() - pos_ < 4) fail("expected four hex digits after \\u");
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_++];
      std::uint32_t digit = 0;
      if (c >= '0' && c <= '9') {
        digit = static_cast<std::uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        digit = static_cast<std::uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        digit = static_cast<std::uint32_t>(c - 'A' + 10);
      } else {
        fail("expected four hex digits after \\u", pos_ - 1);
      }
      value = value * 16 + digit;
    }
    return value;
  }

  /// The code point of a `\uXXXX` escape (its `\u` already read), joining a surrogate pair.
  std::uint32_t read_escaped_code_point() {
    const std::uint32_t unit = read_hex4();
    if (unit >= 0xDC00 && unit <= 0xDFFF) fail("a low surrogate without a high one before it", pos_ - 6);
    if (unit < 0xD800 || unit > 0xDBFF) return unit;
    if (text_.substr(pos_, 2) != "\\u") fail("a high surrogate without a low one after it");
    pos_ += 2;
    const std::uint32_t low = read_hex4();
    if (low < 0xDC00 || low > 0xDFFF) fail("a high surrogate without a low one after it", pos_ - 6);
    return 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
  }

  static void append_utf8(std::string& out, std::uint32_t cp) {
    const auto byte = [&out](std::uint32_t b) { out += static_cast<char>(static_cast<unsigned char>(b)); };
    if (cp < 0x80) {
      byte(cp);
    } else if (cp < 0x800) {
      byte(0xC0 | (cp >> 6));
      byte(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      byte(0xE0 | (cp >> 12));
      byte(0x80 | ((cp >> 6) & 0x3F));
      byte(0x80 | (cp & 0x3F));
    } else {
      byte(0xF0 | (cp >> 18));
      byte(0x80 | ((cp >> 12) & 0x3F));
      byte(0x80 | ((cp >> 6) & 0x3F));
      byte(0x80 | (cp & 0x3F));
    }
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace detail

// ---- artifacts: arguments and results -----------------------------------------------------

/// Progress of a transfer: bytes moved so far and the bytes the whole call moves (`total` is 0
/// while unknown). Called on the calling thread, during the call, about once per MiB and always
/// at the start (0, total) and at the end (total, total). If it throws, the transfer still runs
/// to its end (libmlflow cannot be interrupted from inside), later reports are skipped, and the
/// exception is rethrown when the call returns.
using Progress = std::function<void(std::uint64_t done, std::uint64_t total)>;

/// A local file or directory argument: a std::string, std::string_view, C string or
/// std::filesystem::path. An embedded NUL byte is refused (MLFLOW_ERR_INVALID_ARGUMENT); a null
/// `const char*` reaches libmlflow as NULL (MLFLOW_ERR_NULL_ARGUMENT).
class LocalPath {
 public:
  LocalPath(const char* path) : path_(path == nullptr ? "" : path), null_(path == nullptr) {}  // NOLINT
  LocalPath(std::string_view path) : path_(checked(path)) {}                                    // NOLINT
  LocalPath(const std::string& path) : path_(checked(path)) {}                                  // NOLINT
  LocalPath(const std::filesystem::path& path) : path_(checked(path.string())) {}               // NOLINT

  /// The NUL-terminated path for libmlflow (NULL for a null C string).
  const char* c_str() const noexcept { return null_ ? nullptr : path_.c_str(); }

 private:
  static std::string checked(std::string_view path) { return detail::c_string(path, "local path"); }

  std::string path_;
  bool null_ = false;
};

/// One entry of list_artifacts(): `path` relative to the run's artifact root ("dir/f.txt"),
/// whether it is a directory, and the size in bytes of a file (none for a directory).
struct FileInfo {
  std::string path;
  bool is_dir = false;
  std::optional<std::int64_t> file_size;
};

/// What download_artifacts() fetches — MLflow's `mlflow.artifacts.download_artifacts` keyword
/// arguments as fields (empty = not given). Give exactly one of `run_id` (with `artifact_path`,
/// empty for all of the run's artifacts) or `artifact_uri` (`runs:/<run_id>/<path>`, a local path,
/// `file:`, `mlflow-artifacts:`, an http(s) artifact-proxy URL). The result is written under
/// `dst_path` (created if missing) by its own name; without `dst_path`, local artifacts are
/// returned where they are and remote ones land in a new temporary directory.
///
///   client.download_artifacts({run_id, "model", "", "out"});                             // C++17
///   client.download_artifacts({.run_id = run_id, .artifact_path = "model", .dst_path = "out"});  // C++20
///   client.download_artifacts({.artifact_uri = "runs:/" + run_id + "/model"});
struct DownloadArtifacts {
  // Default member initializers: C++20 designated initializers may leave any field out
  // without -Wmissing-field-initializers.
  std::string run_id{};
  std::string artifact_path{};
  std::string artifact_uri{};
  std::string dst_path{};
};

namespace detail {

/// Passes a std::function progress callback through the C ABI. The C callback must return
/// normally, so the relay catches everything the user's callback throws, keeps the first
/// exception, ignores later reports, and rethrow() raises it once the C call has returned.
class ProgressRelay {
 public:
  explicit ProgressRelay(const Progress& progress) noexcept : progress_(progress) {}
  ProgressRelay(const ProgressRelay&) = delete;
  ProgressRelay& operator=(const ProgressRelay&) = delete;

  /// The C callback, NULL without a user callback (libmlflow then skips the reports).
  mlflow_progress_callback callback() const noexcept { return progress_ ? &ProgressRelay::report : nullptr; }
  void* data() noexcept { return progress_ ? this : nullptr; }

  /// Throws what the user's callback threw, if it did.
  void rethrow() const {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  static void report(void* self, std::uint64_t done, std::uint64_t total) noexcept {
    ProgressRelay& relay = *static_cast<ProgressRelay*>(self);
    if (relay.error_) return;
    try {
      relay.progress_(done, total);
    } catch (...) {
      relay.error_ = std::current_exception();
    }
  }

  const Progress& progress_;
  std::exception_ptr error_;
};

/// NULL for an empty optional argument, else its NUL-terminated text.
inline const char* optional_arg(const std::string& s) noexcept { return s.empty() ? nullptr : s.c_str(); }

/// The JSON array of list_artifacts (`[{"path": ..., "is_dir": ..., "file_size": ...}]`).
inline std::vector<FileInfo> parse_file_infos(std::string_view json) {
  JsonReader reader(json);
  std::vector<FileInfo> files;
  reader.read_array([&] {
    FileInfo info;
    bool has_path = false;
    bool has_is_dir = false;
    reader.read_object([&](const std::string& key) {
      if (key == "path") {
        info.path = reader.read_string();
        has_path = true;
      } else if (key == "is_dir") {
        info.is_dir = reader.read_bool();
        has_is_dir = true;
      } else if (key == "file_size") {
        if (!reader.read_null()) info.file_size = reader.read_int();
      } else {
        reader.skip_value();  // fields a later libmlflow may add
      }
    });
    if (!has_path || !has_is_dir) reader.fail("a file entry without \"path\" or \"is_dir\"");
    files.push_back(std::move(info));
  });
  reader.finish();
  return files;
}

}  // namespace detail

// ---- JSON to libmlflow --------------------------------------------------------------------

namespace detail {

/// Appends `s` as a JSON string. Bytes from 0x80 up pass through unchanged: libmlflow checks
/// that the request is UTF-8 and refuses it (MLFLOW_ERR_INVALID_UTF8) when it is not.
inline void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20) {
          out += "\\u00";
          out += kHex[u >> 4];
          out += kHex[u & 0xF];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

inline std::string json_string(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

/// A finite double as a JSON number (shortest round-trip digits); NaN and infinities have no
/// JSON form and are refused.
inline std::string json_number(double value) {
  if (!std::isfinite(value)) {
    throw Error(MLFLOW_ERR_INVALID_ARGUMENT, "NaN and infinity cannot be written as JSON numbers");
  }
  std::array<char, 64> buf{};
  const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), value);
  return std::string(buf.data(), res.ptr);
}

/// Builds one JSON object member by member: `JsonObject().string("name", n).text()`. String
/// values with a NUL byte are refused, as everywhere in this header (MLflow's names and ids never
/// hold one, and libmlflow's NUL-terminated arguments could not carry it).
class JsonObject {
 public:
  JsonObject& string(std::string_view key, std::string_view value) {
    append_json_string(member(key), no_nul(value, key));
    return *this;
  }
  /// A string member only when `value` is not empty (MLflow's optional request fields).
  JsonObject& optional_string(std::string_view key, std::string_view value) {
    return value.empty() ? *this : string(key, value);
  }
  JsonObject& integer(std::string_view key, std::int64_t value) {
    member(key) += std::to_string(value);
    return *this;
  }
  JsonObject& boolean(std::string_view key, bool value) {
    member(key) += value ? "true" : "false";
    return *this;
  }
  /// A member whose value is JSON text already.
  JsonObject& raw(std::string_view key, std::string_view json) {
    member(key) += json;
    return *this;
  }
  /// `[ "a", "b" ]`
  JsonObject& strings(std::string_view key, const std::vector<std::string>& values) {
    std::string& out = member(key);
    out += '[';
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i > 0) out += ',';
      append_json_string(out, no_nul(values[i], key));
    }
    out += ']';
    return *this;
  }
  /// `{"k": "v", ...}` (MLflow's dict-of-strings arguments).
  JsonObject& string_map(std::string_view key, const std::map<std::string, std::string>& values) {
    JsonObject inner;
    for (const auto& [k, v] : values) inner.string(k, v);
    return raw(key, inner.text());
  }
  /// `[{"key": "k", "value": "v"}, ...]` (MLflow's REST tag lists).
  JsonObject& tag_list(std::string_view key, const std::map<std::string, std::string>& tags) {
    std::string list = "[";
    for (const auto& [k, v] : tags) {
      if (list.size() > 1) list += ',';
      list += JsonObject().string("key", k).string("value", v).text();
    }
    list += ']';
    return raw(key, list);
  }

  std::string text() const { return body_ + '}'; }

 private:
  static std::string_view no_nul(std::string_view value, std::string_view key) {
    if (value.find('\0') != std::string_view::npos) {
      throw Error(MLFLOW_ERR_INVALID_ARGUMENT, "'" + std::string(key) + "' contains a NUL byte");
    }
    return value;
  }

  std::string& member(std::string_view key) {
    body_ += body_.size() > 1 ? "," : "";
    append_json_string(body_, no_nul(key, "key"));
    body_ += ':';
    return body_;
  }

  std::string body_ = "{";
};

}  // namespace detail

// ---- model registry: entities -------------------------------------------------------------

/// MLflow's string-to-string maps (tags, params), ordered by key.
using StringMap = std::map<std::string, std::string>;

/// A version of a registered model (MLflow's ModelVersion entity). Timestamps are milliseconds
/// since the epoch (0 when the store gave none); absent strings are empty.
struct ModelVersion {
  std::string name;
  std::int64_t version = 0;
  std::int64_t creation_timestamp = 0;
  std::int64_t last_updated_timestamp = 0;
  std::string user_id;
  /// "None", "Staging", "Production" or "Archived".
  std::string current_stage;
  std::string description;
  /// Where the model's files are: `models:/<model_id>`, a `runs:/` URI, an artifact URI.
  std::string source;
  std::string run_id;
  /// "READY" (also "PENDING_REGISTRATION", "FAILED_REGISTRATION" from a server).
  std::string status;
  std::string status_message;
  StringMap tags;
  std::string run_link;
  /// The aliases pointing at this version (left empty by search_model_versions, as in MLflow).
  std::vector<std::string> aliases;
  /// The LoggedModel this version was created from, when the store says.
  std::string model_id;
};

/// A registered model (MLflow's RegisteredModel entity).
struct RegisteredModel {
  std::string name;
  std::int64_t creation_timestamp = 0;
  std::int64_t last_updated_timestamp = 0;
  std::string user_id;
  std::string description;
  /// The newest live version of each stage.
  std::vector<ModelVersion> latest_versions;
  StringMap tags;
  /// alias → version number.
  std::map<std::string, std::int64_t> aliases;
};

/// One page of a search (MLflow's PagedList): the items and the token of the next page (empty
/// on the last page).
template <typename T>
struct PagedList {
  std::vector<T> items;
  std::string token;
};

/// What Client::log_model() returns (MLflow's ModelInfo): `model_uri` is `models:/<model_id>`;
/// `registered_model_version` is set when the call registered the model. The flavors, the
/// signature and the whole MLmodel stay JSON text (`*_json`).
struct ModelInfo {
  std::string model_id;
  std::string model_uri;
  std::string name;
  /// Where the model's files were stored (the LoggedModel's artifact location).
  std::string artifact_path;
  std::string run_id;
  std::string experiment_id;
  std::string model_uuid;
  std::string utc_time_created;
  std::string mlflow_version;
  std::optional<std::int64_t> registered_model_version;
  std::string flavors_json;
  std::string signature_json;
  std::string mlmodel_json;
};

/// The keyword arguments of MLflow's `log_model` (empty or unset = not given). Without a run,
/// `experiment_id` says where the LoggedModel goes.
///
///   client.log_model(run_id, "model_dir", {"model", "my-model"});                                 // C++17
///   client.log_model(run_id, "model_dir", {.name = "model", .registered_model_name = "my-model"});  // C++20
struct LogModelOptions {
  std::string name{};
  /// Also register the model under this name (a new version with source `models:/<model_id>`).
  std::string registered_model_name{};
  StringMap params{};
  StringMap tags{};
  std::string model_type{};
  std::optional<std::int64_t> step{};
  std::string experiment_id{};
  /// Tags of the registered model, when this call creates it.
  StringMap registered_model_tags{};
};

namespace detail {

/// `[{"key": k, "value": v}, ...]` into a map.
inline StringMap read_tag_list(JsonReader& reader) {
  StringMap tags;
  reader.read_array([&] {
    std::string key, value;
    reader.read_object([&](const std::string& field) {
      if (field == "key") {
        key = reader.read_string();
      } else if (field == "value") {
        value = reader.read_string();
      } else {
        reader.skip_value();
      }
    });
    tags[key] = value;
  });
  return tags;
}

/// A string member that may be null.
inline std::string read_optional_string(JsonReader& reader) { return reader.read_null() ? std::string() : reader.read_string(); }

inline ModelVersion read_model_version(JsonReader& reader) {
  ModelVersion v;
  reader.read_object([&](const std::string& key) {
    if (reader.read_null()) return;
    if (key == "name") v.name = reader.read_string();
    else if (key == "version") v.version = reader.read_int_or_string();
    else if (key == "creation_timestamp") v.creation_timestamp = reader.read_int_or_string();
    else if (key == "last_updated_timestamp") v.last_updated_timestamp = reader.read_int_or_string();
    else if (key == "user_id") v.user_id = reader.read_string();
    else if (key == "current_stage") v.current_stage = reader.read_string();
    else if (key == "description") v.description = reader.read_string();
    else if (key == "source") v.source = reader.read_string();
    else if (key == "run_id") v.run_id = reader.read_string();
    else if (key == "status") v.status = reader.read_string();
    else if (key == "status_message") v.status_message = reader.read_string();
    else if (key == "tags") v.tags = read_tag_list(reader);
    else if (key == "run_link") v.run_link = reader.read_string();
    else if (key == "aliases") reader.read_array([&] { v.aliases.push_back(reader.read_string()); });
    else if (key == "model_id") v.model_id = reader.read_string();
    else reader.skip_value();  // fields a later MLflow may add
  });
  return v;
}

inline RegisteredModel read_registered_model(JsonReader& reader) {
  RegisteredModel m;
  reader.read_object([&](const std::string& key) {
    if (reader.read_null()) return;
    if (key == "name") m.name = reader.read_string();
    else if (key == "creation_timestamp") m.creation_timestamp = reader.read_int_or_string();
    else if (key == "last_updated_timestamp") m.last_updated_timestamp = reader.read_int_or_string();
    else if (key == "user_id") m.user_id = reader.read_string();
    else if (key == "description") m.description = reader.read_string();
    else if (key == "latest_versions") reader.read_array([&] { m.latest_versions.push_back(read_model_version(reader)); });
    else if (key == "tags") m.tags = read_tag_list(reader);
    else if (key == "aliases") {
      reader.read_array([&] {
        std::string alias;
        std::int64_t version = 0;
        reader.read_object([&](const std::string& field) {
          if (field == "alias") alias = reader.read_string();
          else if (field == "version") version = reader.read_int_or_string();
          else reader.skip_value();
        });
        m.aliases[alias] = version;
      });
    } else {
      reader.skip_value();
    }
  });
  return m;
}

/// The entity under `member` of an answer (`{"model_version": {...}}`); a missing member fails.
template <typename Read>
auto read_member(std::string_view json, const char* member, Read read) -> decltype(read(std::declval<JsonReader&>())) {
  JsonReader reader(json);
  std::optional<decltype(read(reader))> value;
  reader.read_object([&](const std::string& key) {
    if (key == member) value = read(reader);
    else reader.skip_value();
  });
  reader.finish();
  if (!value) reader.fail((std::string("an answer without \"") + member + "\"").c_str());
  return std::move(*value);
}

/// A page of a search answer: the array under `member` and `next_page_token`.
template <typename T, typename Read>
PagedList<T> read_page(std::string_view json, const char* member, Read read) {
  JsonReader reader(json);
  PagedList<T> page;
  reader.read_object([&](const std::string& key) {
    if (key == member) reader.read_array([&] { page.items.push_back(read(reader)); });
    else if (key == "next_page_token") page.token = read_optional_string(reader);
    else reader.skip_value();
  });
  reader.finish();
  return page;
}

inline ModelInfo read_model_info(std::string_view json) {
  JsonReader reader(json);
  ModelInfo info;
  reader.read_object([&](const std::string& key) {
    if (key == "flavors") info.flavors_json = reader.read_raw();
    else if (key == "signature") info.signature_json = reader.read_raw();
    else if (key == "mlmodel") info.mlmodel_json = reader.read_raw();
    else if (reader.read_null()) return;
    else if (key == "model_id") info.model_id = reader.read_string();
    else if (key == "model_uri") info.model_uri = reader.read_string();
    else if (key == "name") info.name = reader.read_string();
    else if (key == "artifact_path") info.artifact_path = reader.read_string();
    else if (key == "run_id") info.run_id = reader.read_string();
    else if (key == "experiment_id") info.experiment_id = reader.read_string();
    else if (key == "model_uuid") info.model_uuid = reader.read_string();
    else if (key == "utc_time_created") info.utc_time_created = reader.read_string();
    else if (key == "mlflow_version") info.mlflow_version = reader.read_string();
    else if (key == "registered_model_version") info.registered_model_version = reader.read_int_or_string();
    else reader.skip_value();
  });
  reader.finish();
  return info;
}

/// A whole answer that is one ModelVersion.
inline ModelVersion read_model_version_json(std::string_view json) {
  JsonReader reader(json);
  ModelVersion v = read_model_version(reader);
  reader.finish();
  return v;
}

/// The options object of mlflow_client_log_model.
inline std::string log_model_options_json(const LogModelOptions& o) {
  JsonObject json;
  json.optional_string("name", o.name).optional_string("registered_model_name", o.registered_model_name);
  if (!o.params.empty()) json.string_map("params", o.params);
  if (!o.tags.empty()) json.string_map("tags", o.tags);
  json.optional_string("model_type", o.model_type);
  if (o.step) json.integer("step", *o.step);
  json.optional_string("experiment_id", o.experiment_id);
  if (!o.registered_model_tags.empty()) json.string_map("registered_model_tags", o.registered_model_tags);
  return json.text();
}

}  // namespace detail

// ---- MLflow Projects: mlflow.projects.run ---------------------------------------------------

/// The arguments of `mlflow.projects.run` after the URI, with MLflow's names. Empty strings mean
/// "not given" (MLflow's None). Only the local backend exists here: a `backend` other than
/// "local", any `docker_args` or `env_manager = "conda"` is refused with MLFLOW_ERR_INVALID_ARGUMENT
/// before anything runs, never ignored.
///
///   mlflow::ProjectRunOptions options;
///   options.parameter("alpha", 0.3).parameter("label", "fit");
///   options.env_manager = "local";
///   mlflow::SubmittedRun run = client.run_project("examples/projects/python", options);
struct ProjectRunOptions {
  std::string entry_point = "main";  ///< An entry point of the MLproject, or a .py/.sh file of the project.
  std::map<std::string, std::string> parameters;  ///< name -> value, as `mlflow run -P name=value`.
  std::string version;                           ///< Git commit or branch (git URIs only).
  std::string experiment_name;                   ///< At most one of experiment_name and experiment_id.
  std::string experiment_id;
  std::string run_name;
  std::string run_id;         ///< Run in this existing run instead of creating one.
  std::string parent_run_id;  ///< Make the new run a child of this run.
  std::string env_manager;    ///< "local", "virtualenv" or "uv"; empty: MLflow's default.
  std::string storage_dir;    ///< Where remote `path` parameters are downloaded.
  std::string env_root;       ///< The virtualenv cache (libmlflow's own option).
  bool synchronous = true;    ///< Wait for the entry point to end (a failure throws ProjectRunFailed).
  std::string backend = "local";                   ///< Only "local" is supported.
  std::map<std::string, std::string> docker_args;  ///< Docker is not supported: must stay empty.

  /// Sets a parameter; numbers and bools are written as Python's str() writes them ("0.5", "3").
  ProjectRunOptions& parameter(std::string_view name, std::string_view value) {
    parameters[std::string(name)] = std::string(value);
    return *this;
  }
  template <typename T, detail::if_arithmetic<T> = 0>
  ProjectRunOptions& parameter(std::string_view name, T value) {
    return parameter(name, std::string_view(detail::value_string(value)));
  }
};

/// Thrown by Client::run_project when a synchronous run's entry point failed or was killed
/// (MLFLOW_ERR_INVALID_STATE; the run is FAILED or KILLED), as MLflow's ExecutionException. It
/// carries the run's id and final status, so the run can be looked at.
class ProjectRunFailed : public Error {
 public:
  ProjectRunFailed(mlflow_status status, const std::string& message, std::string run_id, RunStatus run_status)
      : Error(status, message), run_id_(std::move(run_id)), run_status_(run_status) {}

  const std::string& run_id() const noexcept { return run_id_; }
  RunStatus run_status() const noexcept { return run_status_; }

 private:
  std::string run_id_;
  RunStatus run_status_;
};

/// A project run started by Client::run_project (MLflow's SubmittedRun). Move-only; one thread
/// may wait while another cancels. Destroying it neither waits for nor stops the entry point:
/// libmlflow still ends the run (FINISHED, FAILED or KILLED) when the process exits.
class SubmittedRun : private detail::OwnedHandle<mlflow_submitted_run, mlflow_submitted_run_free> {
 public:
  /// An empty handle (as after a move); only assignment and destruction are meaningful.
  SubmittedRun() noexcept = default;
  SubmittedRun(SubmittedRun&&) noexcept = default;
  SubmittedRun& operator=(SubmittedRun&&) noexcept = default;

  /// The run id (32 hex characters); empty for an empty handle.
  std::string_view run_id() const noexcept {
    const char* id = mlflow_submitted_run_id(handle_);
    return id == nullptr ? std::string_view() : std::string_view(id);
  }

  /// The command line the entry point runs (bash, after parameter substitution), as MLflow's
  /// SubmittedRun.command; empty for an empty handle.
  std::string_view command() const noexcept {
    const char* text = mlflow_submitted_run_command(handle_);
    return text == nullptr ? std::string_view() : std::string_view(text);
  }
  /// The entry point's exit code once it exited; nullopt while it runs or when a signal ended it
  /// (a cancelled run).
  std::optional<int> exit_code() const {
    std::int32_t code = -1;
    detail::check(mlflow_submitted_run_exit_code(handle_, &code));
    return code < 0 ? std::nullopt : std::optional<int>(code);
  }

  /// Waits until the entry point has exited and the run is ended: FINISHED, FAILED or KILLED.
  RunStatus wait() const { return wait_ms(MLFLOW_WAIT_FOREVER); }
  /// Waits at most `timeout`; RunStatus::Running when it passed first (a negative one: no wait).
  RunStatus wait_for(std::chrono::milliseconds timeout) const {
    return wait_ms(timeout.count() < 0 ? 0 : static_cast<std::int64_t>(timeout.count()));
  }
  /// The status now, without waiting (Running until the run is ended).
  RunStatus get_status() const {
    std::int32_t status = MLFLOW_RUN_RUNNING;
    detail::check(mlflow_submitted_run_get_status(handle_, &status));
    return static_cast<RunStatus>(status);
  }
  /// Stops the entry point and all it started (SIGTERM, SIGKILL after 10 s) and returns once the
  /// run is ended KILLED; a run that already ended keeps (and returns) its status.
  RunStatus cancel() const {
    std::int32_t status = MLFLOW_RUN_KILLED;
    detail::check(mlflow_submitted_run_cancel(handle_, &status));
    return static_cast<RunStatus>(status);
  }

  /// The C handle, for calls this header does not wrap (NULL for an empty handle).
  mlflow_submitted_run* get() const noexcept { return handle_; }
  explicit operator bool() const noexcept { return handle_ != nullptr; }

 private:
  friend class Client;

  explicit SubmittedRun(mlflow_submitted_run* handle) noexcept : OwnedHandle(handle) {}

  RunStatus wait_ms(std::int64_t timeout_ms) const {
    std::int32_t status = MLFLOW_RUN_RUNNING;
    detail::check(mlflow_submitted_run_wait(handle_, timeout_ms, &status));
    return static_cast<RunStatus>(status);
  }
};

namespace detail {

/// The options object of mlflow_client_run_project; refuses what only MLflow's other backends
/// (Databricks, Kubernetes, Docker) would use.
inline std::string project_run_options_json(const ProjectRunOptions& o) {
  if (!o.backend.empty() && o.backend != "local") {
    throw Error(MLFLOW_ERR_INVALID_ARGUMENT, "run_project: backend '" + o.backend +
                                                 "' is not supported; libmlflow runs projects with the local backend");
  }
  if (!o.docker_args.empty()) {
    throw Error(MLFLOW_ERR_INVALID_ARGUMENT,
                "run_project: docker_args given, but Docker environments are not supported by libmlflow");
  }
  JsonObject json;
  json.string("entry_point", o.entry_point.empty() ? std::string_view("main") : std::string_view(o.entry_point));
  if (!o.parameters.empty()) json.string_map("parameters", o.parameters);
  json.optional_string("version", o.version)
      .optional_string("experiment_name", o.experiment_name)
      .optional_string("experiment_id", o.experiment_id)
      .optional_string("run_name", o.run_name)
      .optional_string("run_id", o.run_id)
      .optional_string("parent_run_id", o.parent_run_id)
      .optional_string("env_manager", o.env_manager)
      .optional_string("storage_dir", o.storage_dir)
      .optional_string("env_root", o.env_root)
      .boolean("synchronous", o.synchronous);
  return json.text();
}

}  // namespace detail

// ---- client -------------------------------------------------------------------------------

/// An MLflow client. Move-only; thread-safe. Run handles keep the underlying client alive, so a
/// Run may outlive the Client object it came from.
class Client : private detail::OwnedHandle<mlflow_client, mlflow_client_free> {
 public:
  /// Opens a client with the defaults (MLFLOW_TRACKING_URI, else sqlite:///mlflow.db).
  Client() : Client(nullptr) {}
  explicit Client(const Options& options) : Client(options.get()) {}
  Client(Client&&) noexcept = default;
  Client& operator=(Client&&) noexcept = default;

  // -- experiments --

  /// The id of the experiment with this name, created if missing (mlflow.set_experiment).
  std::string set_experiment(std::string_view name) const {
    char* id = nullptr;
    detail::check(mlflow_client_set_experiment(handle_, detail::c_string(name, "name").c_str(), &id));
    return detail::take_string(id);
  }
  /// Creates an experiment; an empty artifact location means `<artifact root>/<id>`.
  std::string create_experiment(std::string_view name, std::string_view artifact_location = {}) const {
    const std::string location = detail::c_string(artifact_location, "artifact_location");
    char* id = nullptr;
    detail::check(mlflow_client_create_experiment(handle_, detail::c_string(name, "name").c_str(),
                                                  location.empty() ? nullptr : location.c_str(), &id));
    return detail::take_string(id);
  }
  /// The id of the experiment with this name; throws MLFLOW_ERR_NOT_FOUND if there is none.
  std::string get_experiment_id(std::string_view name) const {
    char* id = nullptr;
    detail::check(mlflow_client_get_experiment_id(handle_, detail::c_string(name, "name").c_str(), &id));
    return detail::take_string(id);
  }

  // -- runs --

  /// Starts a run. Empty arguments mean: the environment's or the Default experiment, a
  /// generated name, no parent.
  Run start_run(std::string_view experiment_id = {}, std::string_view run_name = {},
                std::string_view parent_run_id = {}) const {
    const std::string exp = detail::c_string(experiment_id, "experiment_id");
    const std::string name = detail::c_string(run_name, "run_name");
    const std::string parent = detail::c_string(parent_run_id, "parent_run_id");
    mlflow_run* run = nullptr;
    detail::check(mlflow_client_start_run(handle_, exp.empty() ? nullptr : exp.c_str(),
                                          name.empty() ? nullptr : name.c_str(),
                                          parent.empty() ? nullptr : parent.c_str(), &run));
    return Run(run, true);
  }
  /// Sets an existing run RUNNING again; it is ended like a started run.
  Run resume_run(std::string_view run_id) const {
    mlflow_run* run = nullptr;
    detail::check(mlflow_client_resume_run(handle_, detail::c_string(run_id, "run_id").c_str(), &run));
    return Run(run, true);
  }
  /// Logs to an existing run without changing its status; never ended implicitly.
  Run attach_run(std::string_view run_id) const {
    mlflow_run* run = nullptr;
    detail::check(mlflow_client_attach_run(handle_, detail::c_string(run_id, "run_id").c_str(), &run));
    return Run(run, false);
  }

  // -- MLflow Projects --

  /// `mlflow.projects.run(uri, ...)` with the local backend: runs the project at `uri` (a
  /// directory, a `file://` or git URI, optionally `#subdir`) as `mlflow run` does, in a run with
  /// MLflow's project tags and the parameters as params. Synchronous (the default): returns once
  /// the entry point has ended FINISHED, and throws ProjectRunFailed (with the run id) when it
  /// failed. Not synchronous: returns once it has started. Bad input (no MLproject, an unknown
  /// entry point, a missing or invalid parameter, an unknown experiment, an unsupported backend)
  /// throws mlflow::Error before any run is created.
  SubmittedRun run_project(std::string_view uri, const ProjectRunOptions& options = {}) const {
    const std::string options_json = detail::project_run_options_json(options);
    mlflow_submitted_run* out = nullptr;
    const mlflow_status status =
        mlflow_client_run_project(handle_, detail::c_string(uri, "uri").c_str(), options_json.c_str(), &out);
    if (status == MLFLOW_OK) return SubmittedRun(out);
    const std::string message = mlflow_last_error_message();
    if (out == nullptr) throw Error(status, message);
    // The entry point ran and failed (or its end could not be recorded): the handle still names the run.
    SubmittedRun failed(out);
    std::int32_t run_status = MLFLOW_RUN_FAILED;
    (void)mlflow_submitted_run_get_status(out, &run_status);
    throw ProjectRunFailed(status, message, std::string(failed.run_id()), static_cast<RunStatus>(run_status));
  }

  // -- artifacts (stored where MLflow stores them: <experiment artifact location>/<run id>/artifacts) --

  /// Stores the local file `local_path` as `<artifact_path>/<its file name>` in the run's artifacts
  /// (empty `artifact_path`: the root). A missing file throws MLFLOW_ERR_NOT_FOUND, a directory
  /// or an artifact path with `..` or a leading `/` MLFLOW_ERR_INVALID_ARGUMENT.
  void log_artifact(std::string_view run_id, const LocalPath& local_path, std::string_view artifact_path = {},
                    const Progress& progress = {}) const {
    const std::string run = detail::c_string(run_id, "run_id");
    const std::string dir = detail::c_string(artifact_path, "artifact_path");
    detail::ProgressRelay relay(progress);
    const mlflow_status status = mlflow_client_log_artifact(handle_, run.c_str(), local_path.c_str(),
                                                            detail::optional_arg(dir), relay.callback(), relay.data());
    relay.rethrow();
    detail::check(status);
  }

  /// Stores every file under the local directory `local_dir` at `<artifact_path>/<path under it>`.
  /// A symlink leading outside `local_dir` fails the call before anything is stored.
  void log_artifacts(std::string_view run_id, const LocalPath& local_dir, std::string_view artifact_path = {},
                     const Progress& progress = {}) const {
    const std::string run = detail::c_string(run_id, "run_id");
    const std::string dir = detail::c_string(artifact_path, "artifact_path");
    detail::ProgressRelay relay(progress);
    const mlflow_status status = mlflow_client_log_artifacts(handle_, run.c_str(), local_dir.c_str(),
                                                             detail::optional_arg(dir), relay.callback(), relay.data());
    relay.rethrow();
    detail::check(status);
  }

  /// Stores UTF-8 `text` as the artifact `artifact_file` ("dir/notes.txt"); invalid UTF-8
  /// throws MLFLOW_ERR_INVALID_UTF8 (use log_bytes() for other content).
  void log_text(std::string_view run_id, std::string_view text, std::string_view artifact_file) const {
    detail::check(mlflow_client_log_text(handle_, detail::c_string(run_id, "run_id").c_str(), text.data(), text.size(),
                                         detail::c_string(artifact_file, "artifact_file").c_str()));
  }

  /// Stores `size` bytes at `data` (any content) as the artifact `artifact_file`.
  void log_bytes(std::string_view run_id, const void* data, std::size_t size, std::string_view artifact_file) const {
    detail::check(mlflow_client_log_bytes(handle_, detail::c_string(run_id, "run_id").c_str(),
                                          static_cast<const std::uint8_t*>(data), size,
                                          detail::c_string(artifact_file, "artifact_file").c_str()));
  }
  /// The bytes of a string (any content, embedded NULs included) as the artifact `artifact_file`.
  void log_bytes(std::string_view run_id, std::string_view bytes, std::string_view artifact_file) const {
    log_bytes(run_id, bytes.data(), bytes.size(), artifact_file);
  }
  /// The bytes of a contiguous container of one-byte elements (std::vector<std::uint8_t>,
  /// std::vector<std::byte>, std::array, std::span, ...) as the artifact `artifact_file`.
  template <typename Bytes, detail::if_byte_range<Bytes> = 0>
  void log_bytes(std::string_view run_id, const Bytes& bytes, std::string_view artifact_file) const {
    log_bytes(run_id, static_cast<const void*>(std::data(bytes)), std::size(bytes), artifact_file);
  }

  /// `MlflowClient.list_artifacts`: one level of the run's artifact directory `path` (empty: the
  /// root), paths relative to the run's artifact root.
  std::vector<FileInfo> list_artifacts(std::string_view run_id, std::string_view path = {}) const {
    const std::string dir = detail::c_string(path, "path");
    char* json = nullptr;
    std::size_t len = 0;
    detail::check(mlflow_client_list_artifacts(handle_, detail::c_string(run_id, "run_id").c_str(),
                                               detail::optional_arg(dir), &json, &len));
    return detail::parse_file_infos(detail::take_string(json, len));
  }

  /// `mlflow.artifacts.download_artifacts` (see DownloadArtifacts for what to give): returns the
  /// local path of what was asked for. A listing naming paths outside the destination throws
  /// MLFLOW_ERR_INVALID_ARGUMENT before anything is written; a failed transfer leaves no partial file.
  std::string download_artifacts(const DownloadArtifacts& what, const Progress& progress = {}) const {
    const std::string run = detail::c_string(what.run_id, "run_id");
    const std::string path = detail::c_string(what.artifact_path, "artifact_path");
    const std::string uri = detail::c_string(what.artifact_uri, "artifact_uri");
    const std::string dst = detail::c_string(what.dst_path, "dst_path");
    detail::ProgressRelay relay(progress);
    char* out = nullptr;
    std::size_t len = 0;
    const mlflow_status status = mlflow_client_download_artifacts(
        handle_, detail::optional_arg(run), detail::optional_arg(path), detail::optional_arg(uri),
        detail::optional_arg(dst), relay.callback(), relay.data(), &out, &len);
    std::string local = detail::take_string(out, len);
    relay.rethrow();
    detail::check(status);
    return local;
  }

  // -- models: log_model (MLflow 3's LoggedModel) --

  /// `log_model`: logs the model directory `model_dir` (e.g. from save_model()) as a LoggedModel
  /// of the run `run_id` (empty: of `options.experiment_id`), its files stored at
  /// `<experiment artifact location>/models/<model_id>/artifacts`, finalized READY; with
  /// `options.registered_model_name` also registered as a new version. Both
  /// `models:/<model_id>` and `models:/<name>/<version>` then load in MLflow. A directory MLflow
  /// could not load throws MLFLOW_ERR_INVALID_ARGUMENT before anything is created.
  ModelInfo log_model(std::string_view run_id, const LocalPath& model_dir, const LogModelOptions& options = {},
                      const Progress& progress = {}) const {
    const std::string run = detail::c_string(run_id, "run_id");
    const std::string opts = detail::log_model_options_json(options);
    detail::ProgressRelay relay(progress);
    char* out = nullptr;
    std::size_t len = 0;
    const mlflow_status status = mlflow_client_log_model(handle_, detail::optional_arg(run), model_dir.c_str(),
                                                         opts.c_str(), relay.callback(), relay.data(), &out, &len);
    std::string json = detail::take_string(out, len);
    relay.rethrow();
    detail::check(status);
    return detail::read_model_info(json);
  }

  // -- model registry: registered models --

  RegisteredModel create_registered_model(std::string_view name, const StringMap& tags = {},
                                          std::string_view description = {}) const {
    detail::JsonObject request;
    request.string("name", name).tag_list("tags", tags).optional_string("description", description);
    return registered_model_of(call("registered-models/create", request.text()));
  }
  RegisteredModel get_registered_model(std::string_view name) const {
    return registered_model_of(call("registered-models/get", detail::JsonObject().string("name", name).text()));
  }
  RegisteredModel rename_registered_model(std::string_view name, std::string_view new_name) const {
    return registered_model_of(
        call("registered-models/rename", detail::JsonObject().string("name", name).string("new_name", new_name).text()));
  }
  /// Sets the description (empty clears it).
  RegisteredModel update_registered_model(std::string_view name, std::string_view description) const {
    return registered_model_of(call("registered-models/update",
                                    detail::JsonObject().string("name", name).string("description", description).text()));
  }
  /// Deletes the registered model with all its versions.
  void delete_registered_model(std::string_view name) const {
    call("registered-models/delete", detail::JsonObject().string("name", name).text());
  }
  /// One page of registered models matching `filter_string` (MLflow's grammar: `name LIKE 'a%'`,
  /// `tags.k = 'v'`); pass the previous page's token for the next one.
  PagedList<RegisteredModel> search_registered_models(std::string_view filter_string = {}, std::int64_t max_results = 100,
                                                      const std::vector<std::string>& order_by = {},
                                                      std::string_view page_token = {}) const {
    detail::JsonObject request;
    request.optional_string("filter", filter_string).integer("max_results", max_results);
    if (!order_by.empty()) request.strings("order_by", order_by);
    request.optional_string("page_token", page_token);
    return detail::read_page<RegisteredModel>(call("registered-models/search", request.text()), "registered_models",
                                              detail::read_registered_model);
  }
  void set_registered_model_tag(std::string_view name, std::string_view key, std::string_view value) const {
    call("registered-models/set-tag",
         detail::JsonObject().string("name", name).string("key", key).string("value", value).text());
  }
  void delete_registered_model_tag(std::string_view name, std::string_view key) const {
    call("registered-models/delete-tag", detail::JsonObject().string("name", name).string("key", key).text());
  }
  /// The newest live version in each of `stages` (all stages when empty).
  std::vector<ModelVersion> get_latest_versions(std::string_view name, const std::vector<std::string>& stages = {}) const {
    detail::JsonObject request;
    request.string("name", name);
    if (!stages.empty()) request.strings("stages", stages);
    return detail::read_page<ModelVersion>(call("registered-models/get-latest-versions", request.text()),
                                           "model_versions", detail::read_model_version)
        .items;
  }

  // -- model registry: versions --

  /// A new version of `name` (which must exist) with its files at `source`; `model_id` links it
  /// to a LoggedModel.
  ModelVersion create_model_version(std::string_view name, std::string_view source, std::string_view run_id = {},
                                    const StringMap& tags = {}, std::string_view run_link = {},
                                    std::string_view description = {}, std::string_view model_id = {}) const {
    detail::JsonObject request;
    request.string("name", name).string("source", source).optional_string("run_id", run_id).tag_list("tags", tags);
    request.optional_string("run_link", run_link).optional_string("description", description);
    request.optional_string("model_id", model_id);
    return model_version_of(call("model-versions/create", request.text()));
  }
  ModelVersion get_model_version(std::string_view name, std::int64_t version) const {
    return model_version_of(call("model-versions/get", version_request(name, version).text()));
  }
  ModelVersion update_model_version(std::string_view name, std::int64_t version, std::string_view description) const {
    return model_version_of(
        call("model-versions/update", version_request(name, version).string("description", description).text()));
  }
  /// Deletes a version; its number is never given to another version.
  void delete_model_version(std::string_view name, std::int64_t version) const {
    call("model-versions/delete", version_request(name, version).text());
  }
  /// Moves a version to `stage` — None, Staging, Production or Archived, in any case; with
  /// `archive_existing_versions` the other versions in Staging/Production go to Archived.
  ModelVersion transition_model_version_stage(std::string_view name, std::int64_t version, std::string_view stage,
                                              bool archive_existing_versions = false) const {
    char* out = nullptr;
    std::size_t len = 0;
    detail::check(mlflow_client_transition_model_version_stage(
        handle_, detail::c_string(name, "name").c_str(), version, detail::c_string(stage, "stage").c_str(),
        archive_existing_versions, &out, &len));
    return detail::read_model_version_json(detail::take_string(out, len));
  }
  /// One page of versions matching `filter_string` (`name = 'm'`, `run_id = '...'`, `tags.k = 'v'`).
  PagedList<ModelVersion> search_model_versions(std::string_view filter_string = {}, std::int64_t max_results = 10000,
                                                const std::vector<std::string>& order_by = {},
                                                std::string_view page_token = {}) const {
    detail::JsonObject request;
    request.optional_string("filter", filter_string).integer("max_results", max_results);
    if (!order_by.empty()) request.strings("order_by", order_by);
    request.optional_string("page_token", page_token);
    return detail::read_page<ModelVersion>(call("model-versions/search", request.text()), "model_versions",
                                           detail::read_model_version);
  }
  /// Where the version keeps its files.
  std::string get_model_version_download_uri(std::string_view name, std::int64_t version) const {
    char* out = nullptr;
    std::size_t len = 0;
    detail::check(mlflow_client_get_model_version_download_uri(handle_, detail::c_string(name, "name").c_str(), version,
                                                               &out, &len));
    return detail::take_string(out, len);
  }
  void set_model_version_tag(std::string_view name, std::int64_t version, std::string_view key,
                             std::string_view value) const {
    call("model-versions/set-tag", version_request(name, version).string("key", key).string("value", value).text());
  }
  void delete_model_version_tag(std::string_view name, std::int64_t version, std::string_view key) const {
    call("model-versions/delete-tag", version_request(name, version).string("key", key).text());
  }

  // -- model registry: aliases and registration --

  /// Points `alias` at `version` (moving it if it pointed elsewhere). "latest" and v<digits> are
  /// reserved (MLFLOW_ERR_INVALID_ARGUMENT); a deleted or unknown version is MLFLOW_ERR_NOT_FOUND.
  void set_registered_model_alias(std::string_view name, std::string_view alias, std::int64_t version) const {
    detail::check(mlflow_client_set_registered_model_alias(handle_, detail::c_string(name, "name").c_str(),
                                                           detail::c_string(alias, "alias").c_str(), version));
  }
  /// Removes an alias (one that does not exist is not an error, as in MLflow).
  void delete_registered_model_alias(std::string_view name, std::string_view alias) const {
    detail::check(mlflow_client_delete_registered_model_alias(handle_, detail::c_string(name, "name").c_str(),
                                                              detail::c_string(alias, "alias").c_str()));
  }
  ModelVersion get_model_version_by_alias(std::string_view name, std::string_view alias) const {
    return model_version_of(
        call("registered-models/get-alias", detail::JsonObject().string("name", name).string("alias", alias).text()));
  }
  /// `mlflow.register_model`: registers `model_uri` (`models:/<model_id>`, `runs:/<run_id>/<path>`,
  /// an artifact URI) under `name` (created if missing) as a new version. A name with `/` or `:`
  /// throws MLFLOW_ERR_INVALID_ARGUMENT; a failed registration leaves no new registered model.
  ModelVersion register_model(std::string_view model_uri, std::string_view name) const {
    std::int64_t version = 0;
    detail::check(mlflow_client_register_model(handle_, detail::c_string(model_uri, "model_uri").c_str(),
                                               detail::c_string(name, "name").c_str(), &version));
    return get_model_version(name, version);
  }

  // -- everything else --

  /// Any MLflow REST method ("runs/search", "metrics/get-history", ...) with the request and the
  /// response in MLflow's REST JSON shapes.
  std::string call(std::string_view method, std::string_view request_json = "{}") const {
    char* out = nullptr;
    std::size_t len = 0;
    detail::check(mlflow_client_call(handle_, detail::c_string(method, "method").c_str(), request_json.data(),
                                     request_json.size(), &out, &len));
    return detail::take_string(out, len);
  }

  // -- tracking server: spool and local run ids --

  /// The tracking server's id for a run started while the server could not be reached (or
  /// offline), which got a local id; nullopt while it waits in the spool, or when `run_id` is not
  /// a local id of this client's spool.
  std::optional<std::string> server_run_id(std::string_view run_id) const {
    char* out = nullptr;
    std::size_t len = 0;
    const mlflow_status status =
        mlflow_client_server_run_id(handle_, detail::c_string(run_id, "run_id").c_str(), &out, &len);
    // Waiting in the spool (UNAVAILABLE) or not a local id (NOT_FOUND): no server id to give.
    if (status == MLFLOW_ERR_UNAVAILABLE || status == MLFLOW_ERR_NOT_FOUND) return std::nullopt;
    detail::check(status);
    return detail::take_string(out, len);
  }

  /// Logged items in the spool the tracking server does not have yet (0 for sqlite stores).
  std::uint64_t undelivered() const {
    std::uint64_t n = 0;
    detail::check(mlflow_client_undelivered(handle_, &n));
    return n;
  }

  /// Waits until everything logged before is durable.
  void flush(std::chrono::milliseconds timeout = std::chrono::seconds(60)) const {
    detail::check(mlflow_client_flush(handle_, detail::millis(timeout)));
  }

  /// Ends the runs this client left open (FINISHED), writes what is queued and stops the writer.
  /// Returns the report; throws CloseError (with the report) if anything accepted was not written.
  /// Later calls throw MLFLOW_ERR_CLOSED.
  CloseReport close(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    mlflow_close_report c{};
    const mlflow_status status = mlflow_client_close(handle_, detail::millis(timeout), &c);
    CloseReport report{c.written, c.dropped, c.unwritten, c.failed, c.unsent};
    if (status != MLFLOW_OK) {
      throw CloseError(status, mlflow_last_error_message(), report);
    }
    return report;
  }

  /// The C handle, for calls this header does not wrap (NULL after a move).
  mlflow_client* get() const noexcept { return handle_; }

 private:
  static RegisteredModel registered_model_of(std::string_view answer) {
    return detail::read_member(answer, "registered_model", detail::read_registered_model);
  }
  static ModelVersion model_version_of(std::string_view answer) {
    return detail::read_member(answer, "model_version", detail::read_model_version);
  }
  /// `{"name": ..., "version": "<n>"}`: MLflow's REST JSON gives versions as strings.
  static detail::JsonObject version_request(std::string_view name, std::int64_t version) {
    detail::JsonObject request;
    request.string("name", name).string("version", std::to_string(version));
    return request;
  }

  explicit Client(const mlflow_options* options) {
    if (!abi_compatible()) {
      const std::uint32_t abi = mlflow_abi_version();
      throw Error(MLFLOW_ERR_INTERNAL, "the loaded libmlflow " + std::string(version()) + " has ABI " +
                                           std::to_string(abi >> 16) + "." + std::to_string(abi & 0xFFFFu) +
                                           " but this program was built for ABI " +
                                           std::to_string(MLFLOW_ABI_VERSION_MAJOR) + "." +
                                           std::to_string(MLFLOW_ABI_VERSION_MINOR) + "; install a matching libmlflow");
    }
    detail::check(mlflow_client_open(options, &handle_));
  }
};

// ---- models: MLflow model directories ------------------------------------------------------

/// One tensor of a tensor-based signature: `dtype` is numpy's name ("float32", "int64", ...),
/// -1 in `shape` a dimension of any size (the batch).
struct TensorSpec {
  std::string name;
  std::string dtype;
  std::vector<std::int64_t> shape;
};

/// One column of a column-based signature: `type` is MLflow's ("double", "float", "long",
/// "integer", "string", "boolean", "binary", "datetime").
struct ColSpec {
  std::string name;
  std::string type;
  bool required = true;
};

/// An inference parameter of a signature: `type` is MLflow's, `default_json` the default value
/// as JSON ("0.5", "\"greedy\""), `shape` set for a list parameter (`{-1}`).
struct ParamSpec {
  std::string name;
  std::string type;
  std::string default_json;
  std::optional<std::vector<std::int64_t>> shape{};
};

/// The inputs or the outputs of a signature, in MLflow's JSON form.
class Schema {
 public:
  /// A tensor-based schema (ONNX, deep-learning models).
  Schema(const std::vector<TensorSpec>& tensors) {  // NOLINT: a list of specs is a schema
    json_ = "[";
    for (const TensorSpec& t : tensors) {
      if (json_.size() > 1) json_ += ',';
      detail::JsonObject spec;
      spec.string("dtype", t.dtype).raw("shape", shape_json(t.shape));
      json_ += detail::JsonObject().string("type", "tensor").raw("tensor-spec", spec.text()).optional_string("name", t.name).text();
    }
    json_ += ']';
  }
  /// A column-based schema (tabular models).
  Schema(const std::vector<ColSpec>& columns) {  // NOLINT
    json_ = "[";
    for (const ColSpec& c : columns) {
      if (json_.size() > 1) json_ += ',';
      json_ += detail::JsonObject().string("type", c.type).optional_string("name", c.name).boolean("required", c.required).text();
    }
    json_ += ']';
  }
  /// A schema given as MLflow's JSON (what an MLmodel's `signature.inputs` holds).
  static Schema from_json(std::string text) {
    Schema s{std::vector<ColSpec>{}};
    s.json_ = std::move(text);
    return s;
  }

  const std::string& json() const noexcept { return json_; }

  static std::string shape_json(const std::vector<std::int64_t>& shape) {
    std::string out = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) out += (i > 0 ? "," : "") + std::to_string(shape[i]);
    return out + ']';
  }

 private:
  std::string json_;
};

/// MLflow's ModelSignature: what the model takes and gives, and its inference parameters.
struct ModelSignature {
  std::optional<Schema> inputs{};
  std::optional<Schema> outputs{};
  std::vector<ParamSpec> params{};
};

/// An input example, stored with the model as MLflow stores it (input_example.json and
/// serving_input_example.json). Numbers must be finite.
class InputExample {
 public:
  /// A numpy array (rows of numbers).
  static InputExample ndarray(const std::vector<std::vector<double>>& rows) {
    return InputExample(detail::JsonObject().string("type", "ndarray").raw("data", matrix(rows)).text());
  }
  /// Named numpy arrays (`{"x": [[...]]}`), the form a model with named tensor inputs takes.
  static InputExample tensors(const std::vector<std::pair<std::string, std::vector<std::vector<double>>>>& named) {
    detail::JsonObject data;
    for (const auto& [name, rows] : named) data.raw(name, matrix(rows));
    return InputExample(detail::JsonObject().string("type", "ndarray").raw("data", data.text()).text());
  }
  /// A pandas DataFrame: column names and rows of numbers.
  static InputExample dataframe(const std::vector<std::string>& columns, const std::vector<std::vector<double>>& rows) {
    return InputExample(
        detail::JsonObject().string("type", "dataframe").strings("columns", columns).raw("data", matrix(rows)).text());
  }
  /// The model spec's JSON form as it is: `{"type": "dataframe" | "ndarray" | "json_object",
  /// "columns": [...], "data": ..., "params": {...}}`.
  static InputExample from_json(std::string text) { return InputExample(std::move(text)); }

  const std::string& json() const noexcept { return json_; }

 private:
  explicit InputExample(std::string json) : json_(std::move(json)) {}

  static std::string matrix(const std::vector<std::vector<double>>& rows) {
    std::string out = "[";
    for (std::size_t r = 0; r < rows.size(); ++r) {
      out += r > 0 ? ",[" : "[";
      for (std::size_t c = 0; c < rows[r].size(); ++c) out += (c > 0 ? "," : "") + detail::json_number(rows[r][c]);
      out += ']';
    }
    return out + ']';
  }

  std::string json_;
};

/// What save_model() builds: MLflow's `save_model` arguments for one flavor — "onnx",
/// "xgboost", "lightgbm" or "python_function". Setters chain:
///
///   mlflow::save_model(mlflow::ModelSpec("onnx").file("model.onnx").signature(sig), "out/model");
///
/// Relative paths are taken from the current directory. Requirements default to the flavor's
/// pinned packages (e.g. onnx, onnxruntime, numpy); pip_requirements() replaces them,
/// extra_pip_requirements() adds to (or re-pins) them.
class ModelSpec {
 public:
  explicit ModelSpec(std::string_view flavor) : flavor_(flavor) {}

  /// A framework file; the first is the model (for onnx, the others are its external data).
  ModelSpec& file(const std::filesystem::path& path) {
    files_.push_back(path.string());
    return *this;
  }
  /// A directory whose content becomes the model directory (instead of file()).
  ModelSpec& model_path(const std::filesystem::path& dir) {
    model_path_ = dir.string();
    return *this;
  }
  /// With model_path(): the model file inside it; python_function: MLflow's data_path.
  ModelSpec& data(const std::filesystem::path& path) {
    data_ = path.string();
    return *this;
  }
  /// A flavor option given as JSON (`"onnx_execution_providers"`, `"[\"CPUExecutionProvider\"]"`).
  ModelSpec& option_json(std::string_view name, std::string_view json) {
    options_.raw(name, json);
    return *this;
  }
  /// A flavor option with a string value (`"loader_module"`, `"my_loader"`).
  ModelSpec& option(std::string_view name, std::string_view value) { return option_json(name, detail::json_string(value)); }
  ModelSpec& signature(const ModelSignature& sig) {
    detail::JsonObject json;
    if (sig.inputs) json.raw("inputs", sig.inputs->json());
    if (sig.outputs) json.raw("outputs", sig.outputs->json());
    if (!sig.params.empty()) {
      std::string params = "[";
      for (const ParamSpec& p : sig.params) {
        if (params.size() > 1) params += ',';
        detail::JsonObject param;
        param.string("name", p.name).string("type", p.type).raw("default", p.default_json.empty() ? "null" : p.default_json);
        param.raw("shape", p.shape ? Schema::shape_json(*p.shape) : "null");
        params += param.text();
      }
      json.raw("params", params + ']');
    }
    signature_ = json.text();
    return *this;
  }
  ModelSpec& input_example(const InputExample& example) {
    input_example_ = example.json();
    return *this;
  }
  /// Replaces the flavor's default requirements (pip requirement strings).
  ModelSpec& pip_requirements(std::vector<std::string> requirements) {
    pip_requirements_ = std::move(requirements);
    return *this;
  }
  /// Adds to the flavor's default requirements (a same-named pin replaces the default's).
  ModelSpec& extra_pip_requirements(std::vector<std::string> requirements) {
    extra_pip_requirements_ = std::move(requirements);
    return *this;
  }
  /// The Python version the model's environment records ("3.11.7").
  ModelSpec& python_version(std::string_view version) {
    python_version_ = std::string(version);
    return *this;
  }
  /// An entry of the MLmodel's `metadata`, a string.
  ModelSpec& metadata(std::string_view key, std::string_view value) { return metadata_json(key, detail::json_string(value)); }
  /// An entry of the MLmodel's `metadata`, any JSON value.
  ModelSpec& metadata_json(std::string_view key, std::string_view json) {
    metadata_.raw(key, json);
    has_metadata_ = true;
    return *this;
  }
  /// A file or directory copied into the model's `code/` (python_function loaders).
  ModelSpec& code_path(const std::filesystem::path& path) {
    code_paths_.push_back(path.string());
    return *this;
  }

  /// The spec as mlflow_model_save takes it.
  std::string to_json() const {
    detail::JsonObject json;
    json.string("flavor", flavor_);
    if (!files_.empty()) json.strings("files", files_);
    json.optional_string("model_path", model_path_).optional_string("data", data_);
    const std::string options = options_.text();
    if (options != "{}") json.raw("options", options);
    if (signature_) json.raw("signature", *signature_);
    if (input_example_) json.raw("input_example", *input_example_);
    if (pip_requirements_) json.strings("pip_requirements", *pip_requirements_);
    if (extra_pip_requirements_) json.strings("extra_pip_requirements", *extra_pip_requirements_);
    if (python_version_) json.string("python_version", *python_version_);
    if (has_metadata_) json.raw("metadata", metadata_.text());
    if (!code_paths_.empty()) json.strings("code_paths", code_paths_);
    return json.text();
  }

 private:
  std::string flavor_;
  std::vector<std::string> files_;
  std::string model_path_;
  std::string data_;
  detail::JsonObject options_;
  std::optional<std::string> signature_;
  std::optional<std::string> input_example_;
  std::optional<std::vector<std::string>> pip_requirements_;
  std::optional<std::vector<std::string>> extra_pip_requirements_;
  std::optional<std::string> python_version_;
  detail::JsonObject metadata_;
  bool has_metadata_ = false;
  std::vector<std::string> code_paths_;
};

/// Builds a complete MLflow model directory at `path` (absent or empty) — MLmodel,
/// requirements.txt, python_env.yaml, conda.yaml, the framework files and the input example —
/// as MLflow 3.17.2's `save_model` writes it; returns the MLmodel text. A missing framework
/// file, an unknown flavor or option, a malformed signature or example throws
/// MLFLOW_ERR_INVALID_ARGUMENT and writes nothing.
inline std::string save_model(const ModelSpec& spec, const LocalPath& path) {
  char* mlmodel = nullptr;
  std::size_t len = 0;
  detail::check(mlflow_model_save(detail::c_string(spec.to_json(), "spec").c_str(), path.c_str(), &mlmodel, &len));
  return detail::take_string(mlmodel, len);
}

/// An MLmodel file read back (MLflow's `Model.load`): the flavors' names, the identifying fields,
/// the signature's parts as MLflow's JSON strings, and the whole MLmodel as JSON.
struct Model {
  std::vector<std::string> flavors;
  std::string artifact_path;
  std::string model_uuid;
  std::string model_id;
  std::string run_id;
  std::string utc_time_created;
  std::string mlflow_version;
  std::optional<std::string> signature_inputs;
  std::optional<std::string> signature_outputs;
  std::optional<std::string> signature_params;
  /// The MLmodel as JSON (the same keys as the YAML).
  std::string json;

  /// Reads `path`: an MLmodel file or a model directory. A malformed file throws
  /// MLFLOW_ERR_INVALID_ARGUMENT naming what is wrong, a missing one MLFLOW_ERR_NOT_FOUND.
  static Model load(const LocalPath& path) {
    char* out = nullptr;
    std::size_t len = 0;
    detail::check(mlflow_model_load(path.c_str(), &out, &len));
    Model model;
    model.json = detail::take_string(out, len);
    detail::JsonReader reader(model.json);
    const auto text = [&reader]() { return detail::read_optional_string(reader); };
    reader.read_object([&](const std::string& key) {
      if (key == "flavors" && !reader.read_null()) {
        reader.read_object([&](const std::string& flavor) {
          model.flavors.push_back(flavor);
          reader.skip_value();
        });
      } else if (key == "signature" && !reader.read_null()) {
        reader.read_object([&](const std::string& part) {
          if (reader.read_null()) return;
          if (part == "inputs") model.signature_inputs = reader.read_string();
          else if (part == "outputs") model.signature_outputs = reader.read_string();
          else if (part == "params") model.signature_params = reader.read_string();
          else reader.skip_value();
        });
      } else if (key == "artifact_path") {
        model.artifact_path = text();
      } else if (key == "model_uuid") {
        model.model_uuid = text();
      } else if (key == "model_id") {
        model.model_id = text();
      } else if (key == "run_id") {
        model.run_id = text();
      } else if (key == "utc_time_created") {
        model.utc_time_created = text();
      } else if (key == "mlflow_version") {
        model.mlflow_version = text();
      } else if (key != "flavors" && key != "signature") {
        reader.skip_value();
      }
    });
    reader.finish();
    return model;
  }
};

// ---- spool sync -----------------------------------------------------------------------------

/// A local run id and the tracking server's id for it (nullopt: not created there yet).
struct RunIdMapping {
  std::string local_id;
  std::optional<std::string> server_id;
};

/// What sync_spool() did (see mlflow_sync_report): items `delivered`, items `remaining` in the
/// spool (a later sync resumes), records `busy` (of processes still running), items `failed`
/// (refused by the server, set aside in the spool); every local run id of the spools with the
/// server's id; and the whole report as JSON (`json`, SyncReport::to_json's shape).
struct SyncReport {
  std::uint64_t delivered = 0;
  std::uint64_t remaining = 0;
  std::uint64_t busy = 0;
  std::uint64_t failed = 0;
  std::vector<RunIdMapping> run_ids;
  std::string json;

  /// Everything was delivered: nothing remains, nothing was refused.
  bool complete() const noexcept { return remaining == 0 && failed == 0; }
};

/// Thrown by sync_spool() when items remain (MLFLOW_ERR_UNAVAILABLE: sync again later) or the
/// server refused some (MLFLOW_ERR_WRITE_FAILED); carries the report all the same.
class SyncError : public Error {
 public:
  SyncError(mlflow_status status, const std::string& message, SyncReport report)
      : Error(status, message), report_(std::move(report)) {}

  const SyncReport& report() const noexcept { return report_; }

 private:
  SyncReport report_;
};

namespace detail {

/// The `"run_ids": [{"local_id": ..., "server_id": ... | null}]` part of a sync report's JSON.
inline std::vector<RunIdMapping> sync_report_run_ids(std::string_view json) {
  std::vector<RunIdMapping> out;
  JsonReader reader(json);
  reader.read_object([&](const std::string& key) {
    if (key != "run_ids") {
      reader.skip_value();
      return;
    }
    reader.read_array([&] {
      RunIdMapping mapping;
      reader.read_object([&](const std::string& field) {
        if (field == "local_id") {
          mapping.local_id = reader.read_string();
        } else if (field == "server_id" && !reader.read_null()) {
          mapping.server_id = reader.read_string();
        } else if (field != "server_id") {
          reader.skip_value();
        }
      });
      if (!mapping.local_id.empty()) out.push_back(std::move(mapping));
    });
  });
  reader.finish();
  return out;
}

}  // namespace detail

/// Uploads a spool to a tracking server, in order, exactly once, retrying for at most `timeout`:
/// `spool` is a spool file or a directory of them (empty: LIBMLFLOW_SPOOL_DIR, else
/// ~/.local/share/libmlflow/spool), `tracking_uri` empty means MLFLOW_TRACKING_URI. Returns the
/// report when everything was delivered; throws SyncError (with the report) when items remain or
/// were refused, and Error (MLFLOW_ERR_NOT_FOUND) when there is no spool at `spool`.
inline SyncReport sync_spool(std::string_view spool = {}, std::string_view tracking_uri = {},
                             std::chrono::milliseconds timeout = std::chrono::minutes(5)) {
  const std::string spool_arg = detail::c_string(spool, "spool");
  const std::string uri_arg = detail::c_string(tracking_uri, "tracking_uri");
  mlflow_sync_report counts{};
  char* json = nullptr;
  std::size_t len = 0;
  const mlflow_status status =
      mlflow_sync_spool(spool_arg.empty() ? nullptr : spool_arg.c_str(), uri_arg.empty() ? nullptr : uri_arg.c_str(),
                        detail::millis(timeout), &counts, &json, &len);
  if (status != MLFLOW_OK && json == nullptr) {
    throw Error(status, mlflow_last_error_message());  // the sync could not start
  }
  const std::string message = status == MLFLOW_OK ? std::string() : std::string(mlflow_last_error_message());
  SyncReport report;
  report.delivered = counts.delivered;
  report.remaining = counts.remaining;
  report.busy = counts.busy;
  report.failed = counts.failed;
  report.json = detail::take_string(json, len);
  report.run_ids = detail::sync_report_run_ids(report.json);
  if (status != MLFLOW_OK) {
    throw SyncError(status, message, std::move(report));
  }
  return report;
}

}  // namespace mlflow

#endif  // MLFLOW_MLFLOW_HPP
