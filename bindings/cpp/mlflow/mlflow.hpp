// libmlflow for C++17: RAII handles and exceptions over the C ABI in <mlflow.h>.
//
//   mlflow::Client client;                            // MLFLOW_TRACKING_URI or sqlite:///mlflow.db
//   mlflow::Run run = client.start_run(client.set_experiment("demo"));
//   run.log_param("lr", 0.01);
//   for (int step = 0; step < 100; ++step) run.log_metric("loss", 1.0 / (step + 1), step);
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
/// Run ids are plain hex, never escaped, and the pattern `"key":"` cannot occur inside a JSON
/// string (its quotes would be escaped there), so a scan for the keys is exact.
inline std::vector<RunIdMapping> sync_report_run_ids(const std::string& json) {
  std::vector<RunIdMapping> out;
  const std::string_view text(json);
  std::size_t pos = text.find("\"run_ids\":[");
  if (pos == std::string_view::npos) return out;
  const std::size_t end = text.find(']', pos);
  const auto string_after = [&](std::string_view object, std::string_view key) -> std::optional<std::string> {
    const std::string pattern = "\"" + std::string(key) + "\":\"";
    const std::size_t at = object.find(pattern);
    if (at == std::string_view::npos) return std::nullopt;
    const std::size_t from = at + pattern.size();
    const std::size_t to = object.find('"', from);
    if (to == std::string_view::npos) return std::nullopt;
    return std::string(object.substr(from, to - from));
  };
  while (true) {
    const std::size_t open = text.find('{', pos);
    if (open == std::string_view::npos || open > end) break;
    const std::size_t close = text.find('}', open);
    if (close == std::string_view::npos || close > end) break;
    const std::string_view object = text.substr(open, close - open + 1);
    if (std::optional<std::string> local = string_after(object, "local_id")) {
      out.push_back(RunIdMapping{std::move(*local), string_after(object, "server_id")});
    }
    pos = close + 1;
  }
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
