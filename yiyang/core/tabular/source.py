"""The uploaded bytes: a path or a file object, with its size checked against the limit."""

from __future__ import annotations

import io
import os
import pathlib
import tempfile
from typing import BinaryIO

from .table import CHUNK, MIB, TableError


class Source:
    """The uploaded bytes: a path, or a seekable binary file object with the position the data starts at."""

    def __init__(self, path: pathlib.Path | None, fileobj: BinaryIO | None, start: int, size: int):
        self.path = path
        self.fileobj = fileobj
        self.start = start
        self.size = size

    @classmethod
    def open(cls, source, max_bytes: int) -> Source:
        if isinstance(source, str | os.PathLike):
            path = pathlib.Path(source)
            size = path.stat().st_size
            _check_size(size, max_bytes)
            return cls(path, None, 0, size)
        seekable = getattr(source, "seekable", None)
        if seekable is not None and seekable():
            start = source.tell()
            source.seek(0, io.SEEK_END)
            size = source.tell() - start
            source.seek(start)
            _check_size(size, max_bytes)
            return cls(None, source, start, size)
        # Not seekable (a pipe, a streamed upload): copy it aside, stopping as soon as it is too large.
        spool = tempfile.SpooledTemporaryFile(max_size=16 * MIB)
        size = 0
        while block := source.read(CHUNK):
            size += len(block)
            if size > max_bytes:
                spool.close()
                raise TableError(f"文件过大：超过上限 {_mb(max_bytes)} MB")
            spool.write(block)
        spool.seek(0)
        return cls(None, spool, 0, size)

    def reader(self) -> Reader:
        """A context manager giving a binary file positioned at the start of the data."""
        return Reader(self)

    def head(self, n: int) -> bytes:
        with self.reader() as f:
            return f.read(n)


class Reader:
    def __init__(self, src: Source):
        self.src = src
        self.own = None

    def __enter__(self) -> BinaryIO:
        if self.src.path is not None:
            self.own = open(self.src.path, "rb")  # closed in __exit__
            return self.own
        self.src.fileobj.seek(self.src.start)
        return self.src.fileobj

    def __exit__(self, *exc):
        if self.own is not None:
            self.own.close()


def _mb(n: int) -> str:
    value = n / MIB
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def _check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise TableError(f"文件过大：{size / MIB:.1f} MB，上限 {_mb(max_bytes)} MB")
