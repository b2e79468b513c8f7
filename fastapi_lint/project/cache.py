"""The on-disk cache of module summaries: `.fastapi_lint_cache/` under the project root.

Summaries are stored in packs, many to a file, in a folder named for the package
version, the summary schema and the settings that shape a summary. A pack holds one
line per summary, `<digest> <json>`. Packs rather than a file per summary: creating a
file costs far more than writing one (a file per summary took 2.9 s of a 29 s cold run
over 6,175 modules, about 400 µs of system time each).

A process keeps the summaries it makes and writes them as one pack when they reach
`PACK_BYTES`, when its index of the project is let go, when the cache object is
collected and when the process ends (flake8's worker processes included). A pack is
written to a temporary file and moved into place with `os.replace`, so a reader never
sees half of one, and processes writing at once never share a file. A reader loads every
pack on its first look-up; of two entries for one digest, the newer pack's wins. When
more than `MAX_PACKS` packs pile up, the writer merges them into one. An entry that
cannot be read back as a summary (corrupt, foreign, from another version) is ignored.
"""

from __future__ import annotations

import json
import logging
import multiprocessing.util
import os
import re
import shutil
import stat
import tempfile
import threading
from typing import Any, Iterable, Optional

CACHE_DIR = ".fastapi_lint_cache"
# Written at once when a process has this much waiting (a large project fills a few).
PACK_BYTES = 4 * 1024 * 1024
# More packs than this are merged into one by the next process that writes a pack.
MAX_PACKS = 16
_PACK = re.compile(r"pack-(\d+)-\w+\.jsonl")
_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
        "# This file is a cache directory tag created by fastapi-lint.\n")

logger = logging.getLogger(__name__)


class SummaryCache:
    """Summaries of one project for one package version and settings, by digest."""

    def __init__(self, root: str, key: str) -> None:
        self.base = os.path.join(root, CACHE_DIR)
        self.folder = os.path.join(self.base, key)
        self.key = key
        self._stored: Optional[dict[str, bytes]] = None  # read on the first look-up
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
            text = self._load().pop(digest, None)  # each is read once per process
        if text is None:
            return None
        try:
            return json.loads(text)
        except (ValueError, RecursionError) as error:
            logger.debug("fastapi-lint: ignoring cache entry %s: %s", digest, error)
            return None

    def put(self, digest: str, data: Any) -> None:
        """Store `data` under `digest` (written with the next pack)."""
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
        return sorted(_read_packs(self.folder))

    def prune(self, keep: Iterable[str]) -> None:
        """Merge the packs into one that holds only the entries in `keep` (files since
        changed or gone are dropped)."""
        self.flush()
        wanted = set(keep)
        self._writer.merge(lambda digest: digest in wanted)

    def _load(self) -> dict[str, bytes]:
        with self._lock:
            if self._stored is None:
                self._stored = _read_packs(self.folder)
            return self._stored


class _Writer:
    """What a process has to add to the cache, and how it writes it."""

    def __init__(self, base: str, folder: str, key: str) -> None:
        self.base = base
        self.folder = folder
        self.key = key
        self.writable = True
        self.pid = os.getpid()
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
            self.flush()

    def _forked(self) -> None:
        """In a process forked since (a worker): what was waiting is the parent's to
        write; what this one adds is written when it ends (a worker of
        `multiprocessing` drops the finalizers it inherits)."""
        self.pid = os.getpid()
        self._waiting, self._size = {}, 0
        multiprocessing.util.Finalize(None, self.flush, exitpriority=10)

    def flush(self) -> None:
        with self._lock:
            if not self._waiting or not self.writable or os.getpid() != self.pid:
                return
            waiting, self._waiting, self._size = self._waiting, {}, 0
            try:
                self._prepare()
                # `json.dumps` escapes every line break: one line per entry.
                _write_pack(self.folder, len(waiting),
                            "".join(f"{d} {t}\n" for d, t in waiting.items()).encode())
                if len(_packs(self.folder)) > MAX_PACKS:
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
        """Write the packs' entries (those `keep` accepts, when given) as one pack,
        then remove the packs read. A pack another process adds meanwhile stays."""
        names = [name for name, _ in _packs(self.folder)]
        entries = _read_packs(self.folder, names)
        lines = b"".join(digest.encode() + b" " + text + b"\n"
                         for digest, text in entries.items()
                         if keep is None or keep(digest))
        if lines:
            _write_pack(self.folder, lines.count(b"\n"), lines)
        for name in names:
            _remove(os.path.join(self.folder, name))

    def _prepare(self) -> None:
        """Create the folder, tag it as a cache, drop folders of other versions."""
        if self._prepared:
            return
        os.makedirs(self.folder, exist_ok=True)
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


def _read_packs(folder: str, names: Optional[list[str]] = None) -> dict[str, bytes]:
    """Digest -> JSON text of every entry of the packs (all of them by default); of
    two entries for one digest, the later pack's."""
    stored: dict[str, bytes] = {}
    for name in names if names is not None else [n for n, _ in _packs(folder)]:
        try:
            # Not blocking on a FIFO nor following a link put there since the listing.
            flags = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                     | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
            descriptor = os.open(os.path.join(folder, name), flags)
            with open(descriptor, "rb") as handle:
                if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                    continue
                data = handle.read()
        except OSError:
            continue  # merged away meanwhile: its entries are in a newer pack
        for line in data.split(b"\n"):
            digest, _, text = line.partition(b" ")
            if text:
                stored[digest.decode("ascii", "replace")] = text
    return stored


def _write_pack(folder: str, count: int, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f"pack-{count}-",
                                         suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, temporary[: -len(".tmp")] + ".jsonl")
    except BaseException:
        _remove(temporary)
        raise


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
