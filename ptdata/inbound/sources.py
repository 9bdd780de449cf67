"""A dump's bytes, read a bounded block at a time: plain files (never memory-mapped) and gzip.

A file is read with ordinary reads up to the size it had when the read began (plus the rest
of the line then being written, so a dump the listener is still appending to reads whole
lines). A file that shrinks meanwhile ends in :class:`InboundLoadError`, never a signal.
A ``.gz`` file is decompressed as it is read, never whole; one that expands more than
``MAX_GZIP_RATIO`` times its compressed size is refused as a likely decompression bomb.

>>> source = DumpSource("sample_data/inbound_sms.jsonl")
>>> sum(len(block) for block in source.blocks()) == source.path.stat().st_size
True
"""

from __future__ import annotations

import contextlib
import os
import zlib
from collections.abc import Generator, Iterator
from pathlib import Path

from ptdata.api.errors import PtdataError

__all__ = ["BLOCK_BYTES", "MAX_GZIP_RATIO", "DumpSource", "InboundLoadError"]

#: How much of a dump is read (or decompressed) at a time; a JSON-lines dump is parsed in
#: chunks of whole lines about this big, so memory for reading stays bounded by it.
BLOCK_BYTES = 16 << 20
#: A gzip dump expanding more than this many times its size is refused (JSON lines of
#: webhook payloads compress about 5-10 times; a decompression bomb about 1,000 times).
MAX_GZIP_RATIO = 100
#: ... once this much has come out (small files may compress far better without harm).
_RATIO_AFTER = 64 << 20
_GZIP_READ = 1 << 20
_LINE_END_READ = 64 << 10


class InboundLoadError(PtdataError, ValueError):
    """A dump could not be read, naming the file, the line when there is one, and the fix."""


class DumpSource:
    """One dump file's bytes; ``problems`` collects what was wrong but still readable."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.name = str(path)
        self.compressed = self.path.name.lower().endswith(".gz")
        self.problems: list[str] = []

    def blocks(self, size: int | None = None) -> Iterator[bytes | bytearray]:
        """The file's (decompressed) bytes, at most ``size`` at a time."""
        size = size or BLOCK_BYTES
        if self.compressed:
            yield from self._gunzip(size)
            return
        with self._plain() as read_into:
            while True:
                buf = bytearray(size)
                n = read_into(memoryview(buf))
                if not n:
                    return
                del buf[n:]
                yield buf

    @contextlib.contextmanager
    def filler(self) -> Iterator:
        """``fill(view) -> int``: reads into ``view`` as much as there is (0 at the end), so
        a plain file goes from the kernel straight into the caller's buffer."""
        if not self.compressed:
            with self._plain() as read_into:
                yield read_into
            return
        blocks = self._gunzip(BLOCK_BYTES)
        left = memoryview(b"")

        def fill(view: memoryview) -> int:
            nonlocal left
            done = 0
            while done < len(view):
                if not left:
                    left = memoryview(next(blocks, b""))
                    if not left:
                        break
                n = min(len(left), len(view) - done)
                view[done : done + n] = left[:n]
                left, done = left[n:], done + n
            return done

        try:
            yield fill
        finally:
            blocks.close()

    def head(self, n: int = 4096) -> bytes:
        """The first ``n`` (decompressed) bytes, to tell the format."""
        if not self.compressed:
            with open(self.path, "rb") as f:
                return f.read(n)
        blocks = self._gunzip(max(n, 1 << 16))
        try:
            return next(blocks, b"")[:n]
        finally:
            blocks.close()
            self.problems.clear()

    def read_all(self) -> bytes:
        """The whole (decompressed) content, for the formats read in one piece."""
        return b"".join(self.blocks())

    @contextlib.contextmanager
    def _plain(self) -> Iterator:
        """Reads up to the size the file had when opened, then on to the end of the line
        being written at that moment (if any), then stops."""
        with open(self.path, "rb", buffering=0) as f:
            expected = os.fstat(f.fileno()).st_size
            done = 0
            last = b"\n"

            def fill(view: memoryview) -> int:
                nonlocal done, last
                got = 0
                while got < len(view) and done < expected:
                    n = f.readinto(view[got : got + min(len(view) - got, expected - done)])
                    if not n:
                        now = os.fstat(f.fileno()).st_size
                        raise InboundLoadError(
                            f"{self.name}: the file shrank from {expected:,} to {now:,} bytes "
                            "while it was being read (another program truncated or rewrote "
                            "it). Load it again once nothing is rewriting it."
                        )
                    got, done = got + n, done + n
                    last = bytes(view[got - 1 : got])
                while got < len(view) and last != b"\n":  # the line still being appended
                    piece = f.read(min(_LINE_END_READ, len(view) - got))
                    if not piece:
                        last = b"\n"  # nothing more: the line ends where the file does
                        break
                    cut = piece.find(b"\n") + 1
                    piece = piece[:cut] if cut else piece
                    view[got : got + len(piece)] = piece
                    got += len(piece)
                    last = piece[-1:]
                return got

            yield fill

    def _gunzip(self, size: int) -> Generator[bytes, None, None]:
        """Every gzip member, decompressed ``size`` bytes at a time; a cut-short file gives
        what was there (and a problem); a bomb raises."""
        eaten = produced = 0
        with open(self.path, "rb") as f:
            data = f.read(_GZIP_READ)
            d = zlib.decompressobj(wbits=31)
            while data or produced:
                try:
                    out = d.decompress(data, size)
                except zlib.error:
                    return self._cut_short()
                tail = d.unused_data if d.eof else d.unconsumed_tail
                eaten += len(data) - len(tail)
                if out:
                    produced += len(out)
                    if produced > _RATIO_AFTER and produced > MAX_GZIP_RATIO * eaten:
                        raise InboundLoadError(
                            f"{self.name}: expands more than {MAX_GZIP_RATIO} times its size "
                            f"({produced / 1e6:,.0f} MB out of {eaten / 1e6:,.1f} MB so far): "
                            "refused as a likely decompression bomb. If you trust the file, "
                            "decompress it yourself (gunzip -k) and load the result."
                        )
                    yield out
                if d.eof:  # another member may follow (after zero padding)
                    data = tail.lstrip(b"\0")
                    while not data:
                        more = f.read(_GZIP_READ)
                        if not more:
                            return None
                        data = more.lstrip(b"\0")
                    d = zlib.decompressobj(wbits=31)
                    continue
                data = tail
                if not data and len(out) < size:  # zlib holds no more output: feed it
                    data = f.read(_GZIP_READ)
                    if not data:
                        return self._cut_short()
        return None

    def _cut_short(self) -> None:
        self.problems.append("the gzip stream ends early (file cut short); read what was there")
