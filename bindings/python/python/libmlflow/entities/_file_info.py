"""``FileInfo``: one entry of an artifact listing, as ``mlflow.entities.FileInfo``."""

from __future__ import annotations

from libmlflow.entities._run import _Entity


class FileInfo(_Entity):
    """A file or directory among a run's artifacts: ``path`` (relative to the listed root, POSIX
    separators), ``is_dir``, and ``file_size`` in bytes (None for a directory)."""

    def __init__(self, path: str, is_dir: bool, file_size: int | None):
        self._path = path
        self._is_dir = is_dir
        self._bytes = file_size

    @property
    def path(self) -> str:
        return self._path

    @property
    def is_dir(self) -> bool:
        return self._is_dir

    @property
    def file_size(self) -> int | None:
        return self._bytes
