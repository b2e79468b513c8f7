"""The on-disk cache of module summaries: `.fastapi_lint_cache/` under the project root.

Summaries are stored in packs, many to a file, in a folder named for the package
version, the summary schema and the settings that shape a summary. A pack holds one
line per summary, `<digest> <json>`. Packs rather than a file per summary: creating a
file costs far more than writing one (a file per summary took 2.9 s of a 29 s cold run
over 6,175 modules, about 400 µs of CPU each).

A process keeps the summaries it makes and writes them as a pack when they reach
`PACK_BYTES`, when its index of the project is let go, when the cache object is
collected and when the process ends (flake8's worker processes included). A pack is
written to a temporary file and moved into place with `os.replace`, so a reader never
sees half of one, and processes writing at once never share a file; the temporary
file of a process killed while writing is removed by a later writer once it is an hour
old. On its first look-up a reader notes where every entry of the packs is, and on a
miss, where those of the packs written since are (at most every `RESCAN` seconds); it
reads an entry when asked for it. Of two entries for one digest, the newer pack's
wins. When more than `MAX_PACKS` packs pile up, a process done with the project merges
them into one. An entry that cannot be read back as a summary (corrupt, foreign, from
another version) is ignored.
"""

from __future__ import annotations

import json
import logging
import math
import multiprocessing.util
import os
import re
import shutil
import stat
import tempfile
import threading
import time
from typing import Any, BinaryIO, Iterable, Iterator, Optional

CACHE_DIR = ".fastapi_lint_cache"
# Written at once when a process has this much waiting: worker processes checking one
# project at once read each other's packs (see `RESCAN`), as they read each other's
# files when the cache kept a file per summary.
PACK_BYTES = 256 * 1024
# On a miss, the packs written since the last look are read, at most this often (s).
RESCAN = 0.25
# More packs than this are merged into one when a process is done with a project.
MAX_PACKS = 16
_PACK = re.compile(r"pack-(\d+)-\w+\.jsonl")
# The names `tempfile.mkstemp` gives the temporary files packs and the results file
# are written to before they are moved into place (8 of `[a-z0-9_]` after the
# prefix), and how old one must be to count as left behind by a process killed while
# writing it: writing one takes milliseconds.
_STALE_PACK = re.compile(r"pack-0-[a-z0-9_]{8}\.tmp")
STALE_RESULTS = re.compile(r"\.results-[a-z0-9_]{8}")
STALE_SECONDS = 3600
_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
        "# This file is a cache directory tag created by fastapi-lint.\n")

logger = logging.getLogger(__name__)


class SummaryCache:
    """Summaries of one project for one package version and settings, by digest."""

    def __init__(self, root: str, key: str) -> None:
        self.base = os.path.join(root, CACHE_DIR)
        self.folder = os.path.join(self.base, key)
        self.key = key
        # Where each stored entry is: digest -> (pack, start, end), from the packs read.
        self._stored: dict[str, tuple[str, int, int]] = {}
        self._read: set[str] = set()  # the packs looked through
        self._scanned = -math.inf  # when the folder was last listed (`time.monotonic`)
        self._lock = threading.Lock()
        self._writer = _Writer(self.base, self.folder, key)
        # Writes what is waiting when this cache is collected or the process ends.
        multiprocessing.util.Finalize(self, self._writer.flush, exitpriority=10)

    @property
    def writable(self) -> bool:
        return self._writer.writable

    def get(self, digest: str) -> Optional[Any]:
        """The JSON stored under `digest`, or None when absent or unreadable."""
        text = self._writer.waiting(digest)
        if text is None:
            text = self._stored_text(digest)
        if text is None:
            return None
        try:
            return json.loads(text)
        except (ValueError, RecursionError) as error:
            logger.debug("fastapi-lint: ignoring cache entry %s: %s", digest, error)
            return None

    def put(self, digest: str, data: Any) -> None:
        """Store `data` under `digest` (written with the next pack)."""
        if self._writer.writable:
            self._writer.add(digest, json.dumps(data, separators=(",", ":")))

    def flush(self) -> None:
        """Write what is waiting; a read-only project only turns the cache off."""
        self._writer.flush()

    def stored_count(self) -> int:
        """How many entries the packs hold, a digest stored twice counted twice (from
        the packs' names: nothing is read)."""
        return sum(count for _, count in _packs(self.folder))

    def entries(self) -> list[str]:
        """The digests stored now."""
        return sorted(_places(self.folder, [name for name, _ in _packs(self.folder)]))

    def prune(self, keep: Iterable[str]) -> None:
        """Merge the packs into one that holds only the entries in `keep` (files since
        changed or gone are dropped)."""
        self.flush()
        wanted = set(keep)
        self._writer.merge(lambda digest: digest in wanted)

    def _stored_text(self, digest: str) -> Optional[bytes]:
        with self._lock:
            place = self._stored.get(digest)
            if place is None and time.monotonic() - self._scanned >= RESCAN:
                self._scan()  # first, or another process may have written it since
                place = self._stored.get(digest)
        return _read_part(self.folder, *place) if place is not None else None

    def _scan(self) -> None:
        """Note where the entries of the packs not looked through yet are (but not
        the packs this process wrote: it holds their summaries)."""
        self._scanned = time.monotonic()
        names = [name for name, _ in _packs(self.folder)
                 if name not in self._read and name not in self._writer.written]
        self._read.update(names)
        self._stored.update(_places(self.folder, names))


class _Writer:
    """What a process has to add to the cache, and how it writes it."""

    def __init__(self, base: str, folder: str, key: str) -> None:
        self.base = base
        self.folder = folder
        self.key = key
        self.writable = True
        self.pid = os.getpid()
        self.written: set[str] = set()  # the packs this process wrote
        self._waiting: dict[str, str] = {}
        self._size = 0
        self._prepared = False
        self._lock = threading.Lock()

    def waiting(self, digest: str) -> Optional[str]:
        return self._waiting.get(digest)

    def add(self, digest: str, text: str) -> None:
        with self._lock:
            if os.getpid() != self.pid:
                self._forked()
            if not self.writable or digest in self._waiting:
                return
            self._waiting[digest] = text
            self._size += len(digest) + len(text) + 2
            full = self._size >= PACK_BYTES
        if full:
            self._write(merge=False)

    def _forked(self) -> None:
        """In a process forked since (a worker): what was waiting is the parent's to
        write; what this one adds is written when it ends (a worker of
        `multiprocessing` drops the finalizers it inherits)."""
        self.pid = os.getpid()
        self._waiting, self._size = {}, 0
        multiprocessing.util.Finalize(None, self.flush, exitpriority=10)

    def flush(self) -> None:
        """Write what is waiting, then merge the packs if they piled up."""
        self._write(merge=True)

    def _write(self, merge: bool) -> None:
        with self._lock:
            if not self.writable or os.getpid() != self.pid:
                return
            waiting, self._waiting, self._size = self._waiting, {}, 0
            try:
                if waiting:
                    self._prepare()
                    # `json.dumps` escapes every line break: one line per entry.
                    written = _write_pack(self.folder, (
                        f"{d} {t}\n".encode() for d, t in waiting.items()))
                    if written is not None:
                        self.written.add(written)
                if merge and self.written and len(_packs(self.folder)) > MAX_PACKS:
                    self._merge(None)
            except OSError as error:
                self.writable = False
                logger.info("fastapi-lint: not caching the project index in %s: %s",
                            self.folder, error)

    def merge(self, keep: Any) -> None:
        with self._lock:
            if self.writable and os.getpid() == self.pid:
                try:
                    self._merge(keep)
                except OSError as error:
                    logger.info("fastapi-lint: cannot merge the cache in %s: %s",
                                self.folder, error)

    def _merge(self, keep: Any) -> None:
        """Write the packs' entries (those `keep` accepts, when given) as one pack, a
        line at a time, then remove the packs read. A pack another process adds
        meanwhile stays."""
        names = [name for name, _ in _packs(self.folder)]
        seen: set[bytes] = set()

        def entries() -> Iterator[bytes]:
            for name in reversed(names):  # the newest first: its entry wins
                for line in _lines(self.folder, name):
                    digest, _, text = line.rstrip(b"\n").partition(b" ")
                    if not text or digest in seen or (
                            keep is not None and not keep(digest.decode("ascii",
                                                                         "replace"))):
                        continue
                    seen.add(digest)
                    yield digest + b" " + text + b"\n"

        written = _write_pack(self.folder, entries())
        if written is not None:
            self.written.add(written)
        for name in names:
            _remove(os.path.join(self.folder, name))

    def _prepare(self) -> None:
        """Create the folder, tag it as a cache, drop folders of other versions."""
        if self._prepared:
            return
        os.makedirs(self.folder, exist_ok=True)
        sweep(self.folder)
        _write_once(os.path.join(self.base, ".gitignore"),
                    "# created by fastapi-lint\n*\n")
        _write_once(os.path.join(self.base, "CACHEDIR.TAG"), _TAG)
        generation = self.key.rsplit("-", 1)[0]
        try:
            siblings = os.listdir(self.base)
        except OSError:
            siblings = []
        for name in siblings:
            if name.startswith("index-") and name.rsplit("-", 1)[0] != generation:
                shutil.rmtree(os.path.join(self.base, name), ignore_errors=True)
        self._prepared = True


def _packs(folder: str) -> list[tuple[str, int]]:
    """(name, entries) of the packs in `folder`, oldest first."""
    found = []
    try:
        with os.scandir(folder) as listing:
            for entry in listing:
                match = _PACK.fullmatch(entry.name)
                if match is not None:
                    try:
                        # Only a regular file is a pack: a FIFO or a link to a device
                        # would hang the reader, a folder would be "merged" each run.
                        if not entry.is_file(follow_symlinks=False):
                            continue
                        found.append((entry.stat(follow_symlinks=False).st_mtime_ns,
                                      entry.name, int(match.group(1))))
                    except OSError:
                        continue  # merged away meanwhile
    except OSError:
        return []
    return [(name, count) for _, name, count in sorted(found)]


def _places(folder: str, names: list[str]) -> dict[str, tuple[str, int, int]]:
    """Digest -> (pack, start, end) of its JSON text, for the entries of the packs; of
    two entries for one digest, the later pack's."""
    places: dict[str, tuple[str, int, int]] = {}
    for name in names:
        data = _read_part(folder, name) or b""
        start = 0
        while start < len(data):
            end = data.find(b"\n", start)
            end = len(data) if end == -1 else end
            space = data.find(b" ", start, end)
            if start < space < end - 1:
                places[data[start:space].decode("ascii", "replace")] = (
                    name, space + 1, end)
            start = end + 1
    return places


def _lines(folder: str, name: str) -> Iterator[bytes]:
    """The lines of a pack, read as they are needed (none when it is gone or not a
    regular file)."""
    handle = _open_pack(folder, name)
    if handle is not None:
        with handle:
            yield from handle


def _open_pack(folder: str, name: str) -> Optional[BinaryIO]:
    # None when merged away meanwhile: its entries are in a newer pack.
    return open_regular(os.path.join(folder, name))


def open_regular(path: str) -> Optional[BinaryIO]:
    """`path` opened for reading when it is a regular file, else None (gone, a link, a
    folder, a FIFO or a device: a cache file never is one, and a FIFO would hang the
    reader)."""
    try:
        # Not blocking on a FIFO nor following a link put there.
        flags = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                 | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
        handle = open(os.open(path, flags), "rb")
    except OSError:
        return None
    try:
        if stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return handle
    except OSError:
        pass
    handle.close()
    return None


def _read_part(folder: str, name: str, start: int = 0,
               end: Optional[int] = None) -> Optional[bytes]:
    """Bytes `start` to `end` of a pack (all of it by default); None when it is gone
    or not a regular file."""
    handle = _open_pack(folder, name)
    if handle is None:
        return None
    try:
        with handle:
            if end is None:
                return handle.read()
            handle.seek(start)
            data = handle.read(end - start)
    except OSError:
        return None
    return data if len(data) == end - start else None


def _write_pack(folder: str, lines: Iterable[bytes]) -> Optional[str]:
    """Write `lines` as a pack, one at a time (no copy of the whole pack); its name,
    which holds the number of entries, or None when there were none."""
    handle, temporary = tempfile.mkstemp(dir=folder, prefix="pack-0-", suffix=".tmp")
    count = 0
    try:
        with os.fdopen(handle, "wb") as out:
            for line in lines:
                out.write(line)
                count += 1
        if not count:
            _remove(temporary)
            return None
        token = os.path.basename(temporary)[len("pack-0-"): -len(".tmp")]
        final = f"pack-{count}-{token}.jsonl"
        os.replace(temporary, os.path.join(folder, final))
    except BaseException:
        _remove(temporary)
        raise
    return final


def sweep(folder: str, names: re.Pattern = _STALE_PACK) -> None:
    """Remove the temporary files of `names` in `folder` that processes killed while
    writing left behind (those older than `STALE_SECONDS`): by default, packs'."""
    stale = time.time() - STALE_SECONDS
    try:
        with os.scandir(folder) as listing:
            for entry in listing:
                if names.fullmatch(entry.name) is None:
                    continue
                try:
                    if (entry.is_file(follow_symlinks=False)
                            and entry.stat(follow_symlinks=False).st_mtime < stale):
                        os.remove(entry.path)
                except OSError:
                    continue  # gone meanwhile, or not ours to remove
    except OSError:
        pass


def _write_once(path: str, text: str) -> None:
    try:
        with open(path, "x", encoding="utf-8") as handle:
            handle.write(text)
    except OSError:
        pass  # already there, or written by another process at the same moment


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass
