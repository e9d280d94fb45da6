"""A fault-injecting HTTP/1.1 reverse proxy on 127.0.0.1, in front of a real `mlflow server`.

Why our own and not a stock proxy: the tests need faults at exact points of one request's life —
a connection reset before the request reaches the server, or after the server committed it but
before the client got the answer; 500/503/429 (with `Retry-After`) answered in the server's
place; slow answers; an HTML page with 200; a body cut short — chosen per request by a plan that
the test changes while the proxy runs, and counters saying what reached the server.

Each client connection gets a thread and keeps its keep-alive connection (libmlflow reuses
connections) and its own upstream connection. The server side can terminate TLS with a given
certificate, optionally requiring a client certificate, so TLS client features are tested with
the same proxy in front of a plain-HTTP `mlflow server`.

A plan is a list of `FaultRule`s; the first rule that fires for a request decides its fault,
no rule firing means pass-through. Rules fire for the next N matching requests, every k-th
matching request, or with probability p from the plan's seeded RNG.
"""

from __future__ import annotations

import http.client
import random
import socket
import ssl
import struct
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

API_PREFIX = "/api/2.0/mlflow/"
# Headers that describe one hop, not the message: never copied across the proxy.
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "expect",
    "content-length",
}
MAX_HEADER_LINE = 65536
MAX_HEADERS = 200
CLIENT_IDLE_TIMEOUT_S = 120.0


def endpoint_of(path: str) -> str:
    """The counter key of a request path: `runs/log-batch` for MLflow's REST API, else the path."""
    path = path.split("?", 1)[0]
    return path[len(API_PREFIX) :] if path.startswith(API_PREFIX) else path


# ---- faults ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """What the proxy does to one request instead of (or around) a plain pass-through."""

    kind: str  # pass | reset_before | reset_after | status | delay | html | truncate
    status: int = 200
    retry_after: str | None = None
    delay_s: float = 0.0
    body: bytes = b""

    @staticmethod
    def passthrough() -> "Fault":
        return Fault("pass")

    @staticmethod
    def reset_before() -> "Fault":
        """RST on the client connection; the request never reaches the server."""
        return Fault("reset_before")

    @staticmethod
    def reset_after() -> "Fault":
        """The server handles (and commits) the request; the client gets an RST instead of the reply."""
        return Fault("reset_after")

    @staticmethod
    def status_code(status: int, retry_after: float | str | None = None, body: bytes | None = None) -> "Fault":
        """Answers `status` in the server's place (the request is not forwarded)."""
        if body is None:
            body = f"fault_proxy: injected HTTP {status}\n".encode()
        after = None if retry_after is None else (retry_after if isinstance(retry_after, str) else f"{retry_after:g}")
        return Fault("status", status=status, retry_after=after, body=body)

    @staticmethod
    def delay(seconds: float) -> "Fault":
        """Forwards the request, then holds the server's answer back for `seconds`."""
        return Fault("delay", delay_s=seconds)

    @staticmethod
    def html() -> "Fault":
        """A 200 with an HTML page, as from a captive portal or a wrong URL (not forwarded)."""
        page = b"<!DOCTYPE html><html><head><title>Sign in</title></head><body><h1>Welcome</h1></body></html>\n"
        return Fault("html", status=200, body=page)

    @staticmethod
    def truncate() -> "Fault":
        """Forwards the request; the reply announces its full length, sends half of it, then closes."""
        return Fault("truncate")


@dataclass
class FaultRule:
    """When `fault` applies. Exactly one of `next`, `every`, `probability`; `endpoint` (e.g.
    "runs/log-batch") and `method` narrow the requests the rule looks at; `limit` caps how often
    an `every`/`probability` rule fires."""

    fault: Fault
    next: int | None = None
    every: int | None = None
    probability: float | None = None
    endpoint: str | None = None
    method: str | None = None
    limit: int | None = None
    matched: int = 0  # requests this rule looked at
    fired: int = 0

    def __post_init__(self) -> None:
        chosen = [x is not None for x in (self.next, self.every, self.probability)]
        if sum(chosen) != 1:
            raise ValueError("a FaultRule needs exactly one of next=, every=, probability=")
        if self.every is not None and self.every < 1:
            raise ValueError("every= must be at least 1")
        if self.probability is not None and not 0.0 <= self.probability <= 1.0:
            raise ValueError("probability= must be within [0, 1]")

    def applies_to(self, method: str, endpoint: str) -> bool:
        if self.endpoint is not None and endpoint != self.endpoint:
            return False
        return self.method is None or self.method.upper() == method

    def exhausted(self) -> bool:
        if self.next is not None:
            return self.fired >= self.next
        return self.limit is not None and self.fired >= self.limit

    def decide(self, rng: random.Random) -> bool:
        """Called under the plan lock for a request this rule applies to."""
        if self.exhausted():
            return False
        self.matched += 1
        if self.next is not None:
            hit = True
        elif self.every is not None:
            hit = self.matched % self.every == 0
        else:
            hit = rng.random() < self.probability
        if hit:
            self.fired += 1
        return hit


@dataclass
class RequestRecord:
    method: str
    endpoint: str
    fault: str
    forwarded: bool
    status: int | None  # what the client was answered (None: reset / no answer)
    body: bytes | None  # the request body, when the proxy records bodies


@dataclass
class EndpointCounters:
    seen: int = 0
    forwarded: int = 0
    faults: dict[str, int] = field(default_factory=lambda: defaultdict(int))


# ---- the proxy ---------------------------------------------------------------------------------


class _ClientGone(Exception):
    """The client closed its connection (between requests or mid-request)."""


class FaultProxy:
    """`FaultProxy(upstream_port).start()`; `base_url` is what clients use. Thread-safe."""

    def __init__(
        self,
        upstream_port: int,
        upstream_host: str = "127.0.0.1",
        *,
        tls_cert: str | None = None,
        tls_key: str | None = None,
        tls_client_ca: str | None = None,
        seed: int = 0,
        record_bodies: bool = False,
        upstream_timeout_s: float = 300.0,
    ):
        self.upstream = (upstream_host, upstream_port)
        self.upstream_timeout_s = upstream_timeout_s
        self.record_bodies = record_bodies
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._rng = random.Random(seed)
        self._counters: dict[str, EndpointCounters] = defaultdict(EndpointCounters)
        self._records: list[RequestRecord] = []
        self._tls_errors: list[str] = []
        self._connections: set[socket.socket] = set()
        self._accepted = 0
        self._stopping = threading.Event()
        self._ssl_context = None
        if tls_cert is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(tls_cert, tls_key)
            if tls_client_ca is not None:
                context.load_verify_locations(tls_client_ca)
                context.verify_mode = ssl.CERT_REQUIRED
            self._ssl_context = context
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(128)
        self.port = self._listener.getsockname()[1]
        scheme = "https" if self._ssl_context else "http"
        self.base_url = f"{scheme}://127.0.0.1:{self.port}"
        self._acceptor = threading.Thread(target=self._accept_loop, name=f"fault-proxy-{self.port}", daemon=True)

    # ---- lifecycle ----

    def start(self) -> "FaultProxy":
        self._acceptor.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        # shutdown() (not close() alone) wakes threads blocked in accept() or recv() on Linux.
        _shutdown_quietly(self._listener)
        _close_quietly(self._listener)
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            _shutdown_quietly(connection)
            _close_quietly(connection)
        self._acceptor.join(10)

    def __enter__(self) -> "FaultProxy":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- the plan (changeable while running) ----

    def set_plan(self, *rules: FaultRule, seed: int | None = None) -> None:
        """Replaces the plan; `seed` also reseeds the RNG of probability rules."""
        with self._lock:
            self._rules = list(rules)
            if seed is not None:
                self._rng = random.Random(seed)

    def add_rule(self, rule: FaultRule) -> None:
        with self._lock:
            self._rules.append(rule)

    def clear_plan(self) -> None:
        self.set_plan()

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    # ---- what happened ----

    def counters(self) -> dict[str, dict[str, object]]:
        """Per endpoint: requests seen, forwarded to the server, and faults applied by kind."""
        with self._lock:
            return {
                endpoint: {"seen": c.seen, "forwarded": c.forwarded, "faults": dict(c.faults)}
                for endpoint, c in self._counters.items()
            }

    def seen(self, endpoint: str) -> int:
        with self._lock:
            return self._counters[endpoint].seen if endpoint in self._counters else 0

    def forwarded(self, endpoint: str) -> int:
        with self._lock:
            return self._counters[endpoint].forwarded if endpoint in self._counters else 0

    def faults_applied(self, kind: str | None = None) -> int:
        with self._lock:
            return sum(n for c in self._counters.values() for k, n in c.faults.items() if kind in (None, k))

    def records(self, endpoint: str | None = None) -> list[RequestRecord]:
        with self._lock:
            return [r for r in self._records if endpoint in (None, r.endpoint)]

    def connections_accepted(self) -> int:
        """Client connections accepted so far: fewer than requests means the client kept them alive."""
        with self._lock:
            return self._accepted

    def tls_errors(self) -> list[str]:
        """Handshake failures seen on the TLS listener (e.g. a client without a certificate)."""
        with self._lock:
            return list(self._tls_errors)

    def reset_counters(self) -> None:
        with self._lock:
            self._counters.clear()
            self._records.clear()
            self._tls_errors.clear()
            self._accepted = 0

    # ---- internals ----

    def _choose(self, method: str, endpoint: str) -> Fault:
        with self._lock:
            self._counters[endpoint].seen += 1
            for rule in self._rules:
                if rule.applies_to(method, endpoint) and rule.decide(self._rng):
                    self._counters[endpoint].faults[rule.fault.kind] += 1
                    return rule.fault
            return Fault.passthrough()

    def _note(self, record: RequestRecord) -> None:
        with self._lock:
            if record.forwarded:
                self._counters[record.endpoint].forwarded += 1
            self._records.append(record)

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._connections.add(connection)
                self._accepted += 1
            threading.Thread(target=self._serve_connection, args=(connection,), daemon=True).start()

    def _serve_connection(self, raw: socket.socket) -> None:
        connection: socket.socket = raw
        upstream: http.client.HTTPConnection | None = None
        try:
            raw.settimeout(CLIENT_IDLE_TIMEOUT_S)
            if self._ssl_context is not None:
                try:
                    connection = self._ssl_context.wrap_socket(raw, server_side=True)
                except (ssl.SSLError, OSError) as e:
                    with self._lock:
                        self._tls_errors.append(f"{type(e).__name__}: {e}")
                    return
                with self._lock:
                    self._connections.add(connection)
            reader = connection.makefile("rb")
            while not self._stopping.is_set():
                try:
                    request = _read_request(reader, connection)
                except _ClientGone:
                    return
                method, target, version, headers, body = request
                endpoint = endpoint_of(target)
                fault = self._choose(method, endpoint)
                keep_alive = _wants_keep_alive(version, headers)
                recorded_body = body if self.record_bodies else None
                if fault.kind == "reset_before":
                    self._note(RequestRecord(method, endpoint, fault.kind, False, None, recorded_body))
                    _reset(connection)
                    return
                if fault.kind in ("status", "html"):
                    headers_out = [("Content-Type", "text/html" if fault.kind == "html" else "text/plain")]
                    if fault.retry_after is not None:
                        headers_out.append(("Retry-After", fault.retry_after))
                    self._note(RequestRecord(method, endpoint, fault.kind, False, fault.status, recorded_body))
                    _write_response(connection, fault.status, headers_out, fault.body, keep_alive)
                    if not keep_alive:
                        return
                    continue
                # Forwarded kinds: pass, reset_after, delay, truncate.
                try:
                    if upstream is None:
                        upstream = http.client.HTTPConnection(*self.upstream, timeout=self.upstream_timeout_s)
                    status, reason, response_headers, response_body = _forward(
                        upstream, method, target, headers, body
                    )
                except (OSError, http.client.HTTPException) as e:
                    # The server is down or dropped us: answer as a reverse proxy does.
                    _close_quietly(upstream)
                    upstream = None
                    message = f"fault_proxy: upstream {self.upstream[0]}:{self.upstream[1]} failed: {e}\n".encode()
                    self._note(RequestRecord(method, endpoint, "upstream_error", False, 502, recorded_body))
                    _write_response(connection, 502, [("Content-Type", "text/plain")], message, keep_alive)
                    if not keep_alive:
                        return
                    continue
                record = RequestRecord(method, endpoint, fault.kind, True, None, recorded_body)
                self._note(record)
                if fault.kind == "reset_after":
                    _reset(connection)
                    return
                if fault.kind == "delay":
                    time.sleep(fault.delay_s)
                if fault.kind == "truncate":
                    _write_truncated(connection, status, reason, response_headers, response_body)
                    return
                record.status = status
                _write_response(connection, status, response_headers, response_body, keep_alive, reason)
                if not keep_alive:
                    return
        except (OSError, ValueError):
            return  # the client went away mid-answer, or sent something that is not HTTP
        finally:
            _close_quietly(upstream)
            _close_quietly(connection)
            with self._lock:
                self._connections.discard(raw)
                self._connections.discard(connection)


# ---- HTTP/1.1 wire helpers ---------------------------------------------------------------------


def _read_line(reader) -> bytes:
    line = reader.readline(MAX_HEADER_LINE + 1)
    if len(line) > MAX_HEADER_LINE:
        raise ValueError("header line too long")
    return line


def _read_request(reader, connection: socket.socket):
    """(method, target, version, headers as [(name, value)], body) of the next request."""
    try:
        line = _read_line(reader)
    except (OSError, ValueError):
        raise _ClientGone() from None
    while line in (b"\r\n", b"\n"):  # tolerated between requests
        line = _read_line(reader)
    if not line:
        raise _ClientGone()
    parts = line.decode("latin-1").strip().split()
    if len(parts) != 3:
        raise ValueError(f"not an HTTP request line: {line[:80]!r}")
    method, target, version = parts
    headers: list[tuple[str, str]] = []
    while True:
        line = _read_line(reader)
        if not line:
            raise _ClientGone()
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers.append((name.strip(), value.strip()))
        if len(headers) > MAX_HEADERS:
            raise ValueError("too many headers")
    lookup = {name.lower(): value for name, value in headers}
    if lookup.get("expect", "").lower() == "100-continue":
        connection.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
    if "chunked" in lookup.get("transfer-encoding", "").lower():
        body = _read_chunked(reader)
    else:
        length = int(lookup.get("content-length", "0") or 0)
        body = reader.read(length) if length else b""
        if len(body) != length:
            raise _ClientGone()
    return method.upper(), target, version, headers, body


def _read_chunked(reader) -> bytes:
    chunks = []
    while True:
        size_line = _read_line(reader)
        if not size_line:
            raise _ClientGone()
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            while _read_line(reader) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        chunks.append(reader.read(size))
        reader.read(2)


def _wants_keep_alive(version: str, headers: list[tuple[str, str]]) -> bool:
    tokens = {t.strip().lower() for name, value in headers if name.lower() == "connection" for t in value.split(",")}
    if version == "HTTP/1.0":
        return "keep-alive" in tokens
    return "close" not in tokens


def _forward(upstream: http.client.HTTPConnection, method, target, headers, body):
    """One request to the server on the connection's upstream; the whole answer, read."""
    out_headers = {}
    for name, value in headers:
        if name.lower() not in HOP_BY_HOP:
            out_headers[name] = value
    if body or method in ("POST", "PUT", "PATCH", "DELETE"):
        out_headers["Content-Length"] = str(len(body))
    for attempt in (1, 2):
        try:
            upstream.request(method, target, body=body or None, headers=out_headers)
            response = upstream.getresponse()
            payload = response.read()
            break
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            # A kept-alive upstream connection the server closed while idle: retry once, fresh.
            # (Only when the request could not have been processed: the server dropped an idle
            # connection before reading anything from it.)
            upstream.close()
            if attempt == 2:
                raise
    response_headers = [(n, v) for n, v in response.getheaders() if n.lower() not in HOP_BY_HOP]
    if response.will_close:
        upstream.close()
    return response.status, response.reason, response_headers, payload


def _write_response(connection, status, headers, body, keep_alive, reason=None) -> None:
    reason = reason or http.client.responses.get(status, "Unknown")
    lines = [f"HTTP/1.1 {status} {reason}"]
    lines += [f"{name}: {value}" for name, value in headers]
    lines.append(f"Content-Length: {len(body)}")
    lines.append("Connection: keep-alive" if keep_alive else "Connection: close")
    connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)


def _write_truncated(connection, status, reason, headers, body) -> None:
    """Announces the full length, sends half the body (at least one byte short), closes."""
    lines = [f"HTTP/1.1 {status} {reason}"]
    lines += [f"{name}: {value}" for name, value in headers]
    announced = max(len(body), 2)
    lines.append(f"Content-Length: {announced}")
    lines.append("Connection: close")
    connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body[: announced // 2])
    _close_quietly(connection)


def _reset(connection: socket.socket) -> None:
    """Closes with RST (SO_LINGER 0) rather than FIN: the client sees 'connection reset'."""
    try:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    if isinstance(connection, ssl.SSLSocket):
        # Closing an SSLSocket would try a close_notify first; drop the TCP connection under it.
        try:
            raw = socket.socket(fileno=connection.detach())
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            raw.close()
            return
        except OSError:
            pass
    _close_quietly(connection)


def _shutdown_quietly(connection: socket.socket) -> None:
    try:
        connection.shutdown(socket.SHUT_RDWR)
    except (OSError, ValueError):
        pass


def _close_quietly(closable: object | None) -> None:
    if closable is None:
        return
    try:
        closable.close()
    except OSError:
        pass
