"""Checks that libmlflow's core runs on the very SQLite library Python's ``sqlite3`` module uses.

Why: MLflow's own store (``import mlflow`` with a ``sqlite://`` tracking URI) goes through
Python's ``sqlite3``. Two copies of SQLite in one process that open the same database file do not
see each other's POSIX locks, and closing the file in one copy drops the other's locks
(https://www.sqlite.org/howtocorrupt.html, section 2.2): the database gets corrupted ("database
disk image is malformed") or rows are silently lost. The wheel therefore links the system
``libsqlite3.so.0`` instead of compiling SQLite in; this check catches the cases where that is
still not Python's copy, e.g. a Python whose ``_sqlite3`` has SQLite linked in statically
(python-build-standalone, some conda builds) or a wheel built with ``--features bundled-sqlite``.

How: the versions must match, and on Linux the mapped image (``/proc/self/maps``) holding the
core's ``sqlite3_libversion`` must be the one holding the function ``_sqlite3`` resolves.
"""

from __future__ import annotations

import ctypes
import os
import threading
import warnings
from dataclasses import dataclass

from libmlflow import _native

_MAPS = "/proc/self/maps"
_warned = False
_warn_lock = threading.Lock()


@dataclass(frozen=True)
class SqliteImage:
    """One SQLite library in this process: its version and the file it is mapped from (None when
    the platform cannot tell)."""

    version: str
    path: str | None


def image_of(address: int) -> str | None:
    """The file mapped at ``address`` in this process (Linux), or None."""
    try:
        with open(_MAPS, encoding="utf-8", errors="replace") as maps:
            for line in maps:
                fields = line.split(maxsplit=5)
                start, _, end = fields[0].partition("-")
                if int(start, 16) <= address < int(end, 16):
                    return fields[5].strip() if len(fields) == 6 else None
    except (OSError, ValueError):  # no /proc (not Linux), or a line it cannot parse
        return None
    return None


def libmlflow_sqlite() -> SqliteImage:
    """The SQLite libmlflow's core calls into."""
    return SqliteImage(_native.sqlite_library_version(), image_of(_native.sqlite_library_address()))


def python_sqlite() -> SqliteImage:
    """The SQLite Python's ``sqlite3`` module calls into: the ``sqlite3_libversion`` its extension
    module ``_sqlite3`` resolves (from its dependencies, or itself when SQLite is linked in)."""
    import sqlite3  # noqa: PLC0415 - only needed for the check
    import _sqlite3  # noqa: PLC0415

    module_file = getattr(_sqlite3, "__file__", None)  # None: built into the interpreter
    path = None
    try:
        library = ctypes.CDLL(module_file)  # already loaded: the same handle, nothing new mapped
        path = image_of(ctypes.cast(library.sqlite3_libversion, ctypes.c_void_p).value or 0)
    except (OSError, AttributeError):
        # Not exported: SQLite is linked into _sqlite3 (or the interpreter) with hidden symbols.
        path = os.path.realpath(module_file) if module_file else None
    return SqliteImage(sqlite3.sqlite_version, path)


def mismatch(ours: SqliteImage, pythons: SqliteImage) -> str | None:
    """Why ``ours`` is not ``pythons`` (a sentence for the warning), or None if it is the same
    library as far as this platform can tell."""
    if ours.version != pythons.version:
        return f"libmlflow uses SQLite {ours.version}, Python's sqlite3 module uses SQLite {pythons.version}"
    if ours.path is not None and ours.path != pythons.path:
        return (f"libmlflow uses the SQLite {ours.version} in {ours.path}, Python's sqlite3 module a "
                f"separate copy in {pythons.path or 'the interpreter'}")
    return None


def warning_text(reason: str) -> str:
    return (f"libmlflow: two SQLite libraries in this process ({reason}). If libmlflow and anything "
            "using Python's sqlite3 (MLflow's own client or server with a sqlite:// tracking URI, "
            "SQLAlchemy, ...) open the same database file in this process, SQLite's file locks do not "
            "see each other and the database can be corrupted or silently lose rows "
            "(https://www.sqlite.org/howtocorrupt.html section 2.2). Use them on one file from "
            "separate processes only, or install libmlflow for a Python whose sqlite3 links the "
            "system libsqlite3.")


def check_once() -> None:
    """Warns (RuntimeWarning, once per process) if libmlflow's SQLite is not Python's."""
    global _warned
    if _warned:
        return
    with _warn_lock:
        if _warned:
            return
        _warned = True
        reason = mismatch(libmlflow_sqlite(), python_sqlite())
    if reason is not None:
        warnings.warn(warning_text(reason), RuntimeWarning, stacklevel=2)
