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
class Options {
 public:
  Options() : handle_(mlflow_options_new()) {
    if (handle_ == nullptr) throw std::bad_alloc();
  }
  ~Options() { mlflow_options_free(handle_); }
  Options(Options&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  Options& operator=(Options&& other) noexcept {
    if (this != &other) {
      mlflow_options_free(handle_);
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  Options(const Options&) = delete;
  Options& operator=(const Options&) = delete;

  /// `sqlite:///path/to/mlflow.db`; the default is MLFLOW_TRACKING_URI, else sqlite:///mlflow.db.
  Options& tracking_uri(std::string_view uri) {
    detail::check(mlflow_options_set_tracking_uri(get(), detail::c_string(uri, "uri").c_str()));
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

 private:
  mlflow_options* handle_;
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

// ---- client -------------------------------------------------------------------------------

/// An MLflow client. Move-only; thread-safe. Run handles keep the underlying client alive, so a
/// Run may outlive the Client object it came from.
class Client {
 public:
  /// Opens a client with the defaults (MLFLOW_TRACKING_URI, else sqlite:///mlflow.db).
  Client() : Client(nullptr) {}
  explicit Client(const Options& options) : Client(options.get()) {}
  ~Client() { mlflow_client_free(handle_); }

  Client(Client&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  Client& operator=(Client&& other) noexcept {
    if (this != &other) {
      mlflow_client_free(handle_);
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

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

  mlflow_client* handle_ = nullptr;
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
