"""Reading a Python file as Python does: its bytes, encoding, BOM, text and lines.

The command reads each file once into a `Source`: the text is decoded the way the
interpreter decodes it (a coding cookie, or a UTF-8 BOM, else UTF-8), and the raw bytes
are kept so that a fix can write the file back in its own encoding, BOM and line
endings. Anything that keeps a file from being checked becomes a `SourceError` with a
one-line message, never a traceback.
"""

from __future__ import annotations

import ast
import codecs
import contextlib
import dataclasses
import functools
import io
import re
import sys
import tokenize
import warnings
from typing import Iterator, Optional

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


class SourceError(Exception):
    """A file that cannot be read, decoded or parsed; the message is one line."""

    def __init__(self, message: str, line: Optional[int] = None,
                 col: Optional[int] = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col


@dataclasses.dataclass(frozen=True)
class Source:
    """One file's content: raw bytes, how they decode, and the decoded text."""

    raw: bytes
    encoding: str  # as `tokenize.detect_encoding` names it ("utf-8-sig" with a BOM)
    text: str  # without the BOM; line endings as in the file

    @property
    def bom(self) -> bool:
        """Whether the file starts with a UTF-8 byte order mark."""
        return self.raw.startswith(codecs.BOM_UTF8)

    @functools.cached_property
    def lines(self) -> list[str]:
        """The physical lines, each with its own line ending, as Python splits them."""
        return split_lines(self.text)

    @property
    def line_count(self) -> int:
        """`len(self.lines)`, counted without making the lines: most files are
        checked without a finding, and need no line of their own."""
        text = self.text
        ends = text.count("\n") + text.count("\r") - text.count("\r\n")
        return ends + (1 if text and text[-1] not in "\r\n" else 0)

    def encode(self, text: str) -> bytes:
        """`text` in this file's encoding (with its BOM when it had one)."""
        return text.encode(self.encoding)

    def char_col(self, line: int, byte_col: int) -> int:
        """The 0-based column in characters of a 0-based UTF-8 byte offset (`ast`)."""
        if not 1 <= line <= len(self.lines) or byte_col <= 0:
            return max(byte_col, 0)
        prefix = self.lines[line - 1].encode("utf-8", "surrogatepass")[:byte_col]
        return len(prefix.decode("utf-8", "ignore"))


def split_lines(text: str) -> list[str]:
    """Physical lines with their endings; `\\r\\n`, `\\r` and `\\n` end a line."""
    return _LINE.findall(text)


def decode(raw: bytes) -> Source:
    """Decode `raw` as the interpreter would; SourceError when it cannot be."""
    if b"\0" in raw[:8192]:
        raise SourceError("not a text file (it holds NUL bytes); is it a binary file?")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    except SyntaxError as error:
        if "invalid or missing encoding declaration" in str(error):
            encoding = "utf-8"  # the first lines are not UTF-8: say where, below
        else:
            raise SourceError(f"cannot decode: {_first_line(error)}") from None
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as error:
        byte = raw[error.start:error.start + 1].hex()
        name = "utf-8" if encoding == "utf-8-sig" else encoding
        raise SourceError(f"cannot decode: not valid {name} (byte 0x{byte} at offset "
                          f"{error.start}); is it a binary file?") from None
    except LookupError:
        raise SourceError(f"cannot decode: unknown encoding {encoding!r}") from None
    return Source(raw, encoding, text)


def read(path: str) -> Source:
    """Read and decode the file at `path`; SourceError with the reason otherwise."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        raise SourceError(f"cannot read: {error.strerror or error}") from None
    return decode(raw)


def parse(source: Source, path: str) -> ast.Module:
    """The `ast` tree of `source`; SourceError (with a position) if it cannot parse.

    What the parser warns of (an invalid escape sequence in a string) is not printed:
    a linter's output is its findings.
    """
    try:
        with warnings.catch_warnings(), headroom():
            warnings.simplefilter("ignore")
            return ast.parse(source.text, filename=path)
    except SyntaxError as error:
        line = error.lineno
        col = (error.offset - 1) if error.offset else None
        running = f"{sys.version_info[0]}.{sys.version_info[1]}"
        message = f"syntax error: {error.msg} (as Python {running} reads it)"
        raise SourceError(message, line, col) from None
    except (ValueError, TypeError) as error:  # NUL bytes on older Pythons
        raise SourceError(f"cannot parse: {_first_line(error)}") from None
    except (RecursionError, MemoryError):
        raise SourceError("cannot parse: too deeply nested for the parser") from None


@contextlib.contextmanager
def headroom() -> Iterator[None]:
    """Within: the recursion limit raised by the frames on the stack now, so that how
    deep a tree can be parsed or walked does not depend on who asks.

    The project index parses a module when a question first needs it, from inside a
    check (a `-j2` worker asks from another module's check, `-j1` on the module's own
    turn): a module nested close to the limit would parse or not depending on which
    came first. With the frames above added back, it gets the room it has at the
    bottom of the stack wherever it is asked from.
    """
    frames, frame = 0, sys._getframe()
    while frame is not None:
        frames += 1
        frame = frame.f_back
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(limit + frames)
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def compiles(text: str, path: str = "<fixed>") -> Optional[str]:
    """None when `text` compiles; else the compiler's one-line complaint (its
    warnings, such as calling a number, are not printed)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, path, "exec", dont_inherit=True)
    except SyntaxError as error:
        return f"{error.msg} (line {error.lineno})"
    except (ValueError, TypeError, RecursionError, MemoryError) as error:
        return _first_line(error) or type(error).__name__
    return None
