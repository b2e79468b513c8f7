"""The project index: every module's summary, read lazily, and what follows from them.

An index covers one project root. Modules are summarised when a question first needs
them (which function a call reaches, which routes the project has), from the on-disk
cache when the file's content is unchanged and by parsing it otherwise, and kept for
the life of the process: under flake8, each worker process builds one index per root
and every file it checks reuses it.

Blocking is summarised per function to a fixed point over the call graph: a function
blocks when it makes a blocking call, or calls a plain `def` of the project that
blocks. Awaited calls, references handed to offloading wrappers and calls of `async def`
or generator functions (which run nothing when called) are not edges.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import io
import logging
import os
import re
import threading
import tokenize
import warnings
from typing import Any, Callable, Iterable, Iterator, NamedTuple, Optional

from .. import __version__
from ..options import Settings
from ..source import headroom
from . import discover
from .cache import SummaryCache
from .reads import UNTRACKED, Kept, Reads
from .summary import SCHEMA, Class, Function, ModuleSummary, RouteInfo, summarise

logger = logging.getLogger(__name__)

Key = tuple[str, str]  # (file relative to the root, qualified name)
LOCAL = "<local>"
_MAX_CHAIN = 8
_DIGEST = re.compile(r"[0-9a-f]{40}")
# A route decorator or an `add_api_route` call, however spaced: files without one
# register no route (the pattern must hold every route a summary finds).
ROUTE_TEXT = re.compile(
    rb"@[\w.()\x80-\xff \t]*\.[ \t]*"
    rb"(?:get|post|put|patch|delete|options|head|trace|api_route|websocket)\s*\("
    rb"|\.\s*add_api_(?:websocket_)?route\s*\("
)


class Unsummarised(Exception):
    """A question needs the summary of a module the front end checks later (see
    `ProjectIndex.deferring`)."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


class Target(NamedTuple):
    """What a resolved path names in the project: a function or a class."""

    kind: str  # "function" or "class"
    file: str
    qualname: str

    @property
    def key(self) -> Key:
        return self.file, self.qualname


class ProjectIndex:
    """Summaries of a project's modules and the questions the project rules ask."""

    def __init__(self, root: Optional[str], settings: Settings, files: Iterable[str],
                 cache: Optional[SummaryCache] = None) -> None:
        self.root = root
        self.settings = settings
        self.files = list(files)
        self.cache = cache
        self.modules: dict[str, str] = module_map(self.files)
        self.heads = frozenset(name.split(".")[0] for name in self.modules)
        self.parsed: list[str] = []  # files summarised afresh (not from the cache)
        self._digests: dict[str, str] = {}
        self.skipped: dict[str, str] = {}  # files that could not be summarised, and why
        self._summaries: dict[str, Optional[ModuleSummary]] = {}
        # Each answer held as a plain tuple, which the cycle collector stops tracking.
        self._lookups: dict[str, tuple[Optional[tuple[str, str, str]], Kept]] = {}
        self._firsts: dict[str, Optional[str]] = {}  # path -> `_first_module` file
        self._chains: dict[Key, Optional[tuple[str, ...]]] = {}
        self._chain_reads: dict[Key, Kept] = {}
        self._routes: Optional[list[tuple[str, RouteInfo]]] = None
        self._route_files: list[str] = []  # files that route or include routers
        # Whether each file may route, as far as read: a deferred question asks again.
        self._candidates: dict[str, bool] = {}
        self._known = set(self.files)
        self._lock = threading.RLock()
        # What checks derive from the whole project, with what it was derived from.
        self._memo: dict[str, tuple[object, Kept]] = {}
        # Where the summary parts read are noted: the reads of the file being checked,
        # then one set per memoised answer being worked out (see `reading`).
        self._readers: list[Reads] = []
        self._interned: dict[tuple[str, str], tuple[str, str]] = {}
        self._later: Optional[Callable[[str], bool]] = None  # see `deferring`
        self.set_apart = False  # a copy with a module of its own (see `apart`)

    @classmethod
    def local(cls, summary: ModuleSummary, settings: Settings) -> "ProjectIndex":
        """An index of one module, for a file outside any project."""
        index = cls(None, settings, ())
        index.adopt(LOCAL, summary)
        return index

    def apart(self) -> "ProjectIndex":
        """A copy of this index to adopt a module into without the other files of the
        project seeing it: summaries read so far are shared, answers are not."""
        with self._lock:
            other = ProjectIndex(self.root, self.settings, self.files, self.cache)
            other._summaries = dict(self._summaries)
            other._digests = dict(self._digests)
            other.skipped = self.skipped
            other.set_apart = True
            return other

    def adopt(self, file: str, summary: ModuleSummary) -> None:
        """Add a module the discovery did not list (the file being checked)."""
        with self._lock:
            self._summaries[file] = summary
            self.modules.setdefault(summary.module, file)
            self.heads = self.heads | {summary.module.split(".")[0]}
            self._lookups.clear()
            self._firsts.clear()
            self._routes = None
            self._memo.clear()

    def relative(self, path: Optional[str]) -> Optional[str]:
        """The file's key in this index, or None when the index does not list it."""
        if path is None or self.root is None:
            return None
        relative = os.path.relpath(os.path.abspath(path), self.root)
        relative = relative.replace(os.sep, "/")
        return relative if relative in self._known else None

    @contextlib.contextmanager
    def deferring(self, later: Callable[[str], bool]) -> Iterator[None]:
        """Within: a question that needs a module with no summary yet, which the front
        end checks later (`later(path)`), raises `Unsummarised` instead of parsing it
        ahead of its turn. Nothing half worked out is kept: answers are remembered
        only once complete."""
        saved, self._later = self._later, later
        try:
            yield
        finally:
            self._later = saved

    # -- what a file's findings were drawn from -------------------------------------

    def reading(self, reads: Optional[Reads]) -> None:
        """Note in `reads` every summary part read from now on (until the next call);
        None notes nothing (flake8 has no use for them).

        A front end checks one file at a time per process: the context of the file
        being checked hands its `Reads` here each time it gives a check the index.
        """
        self._readers = [reads] if reads is not None else []

    def _read(self, file: str, part: str) -> None:
        if self._readers:
            read = (file, part)
            # One copy of each read for the whole run: files' reads share them.
            self._readers[-1].parts.add(self._interned.setdefault(read, read))

    def _replay(self, reads: Kept) -> None:
        """Note that what a kept answer read was read again."""
        if self._readers:
            self._readers[-1].include(reads)

    def _tracking(self) -> Optional[Reads]:
        """Where to note what an answer about to be worked out reads (None when
        nobody notes reads)."""
        if not self._readers:
            return None
        reads = Reads()
        self._readers.append(reads)
        return reads

    def _tracked(self, reads: Optional[Reads]) -> Kept:
        """Stop noting into `reads` (from `_tracking`); the reader around takes it.
        What to keep with the answer."""
        if reads is None:
            return UNTRACKED
        if self._readers and self._readers[-1] is reads:
            self._readers.pop()
        kept = reads.kept()
        self._replay(kept)
        return kept

    def _work_out(self, compute: Any) -> tuple[Any, Kept]:
        """(`compute()`, what to keep of what it read for later readers)."""
        tracking = self._tracking()
        try:
            value = compute()
        finally:
            kept = self._tracked(tracking)
        return value, kept

    def remember(self, name: str, compute: Any) -> Any:
        """`compute()`, worked out once per index; every later caller is noted as
        having read what the first one read."""
        if name in self._memo:
            value, reads = self._memo[name]
            self._replay(reads)
            return value
        with self._lock:
            self._memo[name] = self._work_out(compute)
            return self._memo[name][0]

    def digest(self, file: str) -> Optional[str]:
        """The cache key the file's summary was made under, when it was made."""
        return self._digests.get(file)

    # -- summaries ------------------------------------------------------------------

    def summary(self, file: str,
                data: Optional[bytes] = None) -> Optional[ModuleSummary]:
        """The summary of one file of the project (None when it cannot be read)."""
        if file in self._summaries:
            return self._summaries[file]
        with self._lock:
            if file not in self._summaries:
                self._summaries[file] = self._load(file, data)
            return self._summaries[file]

    def _load(self, file: str, data: Optional[bytes]) -> Optional[ModuleSummary]:
        if self.root is None:
            return None
        path = os.path.join(self.root, file)
        if data is None:
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
            except OSError as error:
                self._skip(file, f"cannot be read: {error}")
                return None
        digest = content_digest(file, data)
        self._digests[file] = digest
        summary = self._cached(file, digest)
        if summary is None:
            if self._later is not None and self._later(path):
                raise Unsummarised(path)
            summary = self._parse(file, path, data)
            if summary is not None and self.cache is not None:
                self.cache.put(digest, summary.to_json())
        return summary

    def stored_summary(self, digest: str) -> Optional[ModuleSummary]:
        """The summary the cache keeps under `digest`, if it does."""
        if not _DIGEST.fullmatch(digest):
            return None  # not a key `content_digest` makes: never a path to open
        return self._cached(digest, digest)

    def _cached(self, file: str, digest: str) -> Optional[ModuleSummary]:
        stored = self.cache.get(digest) if self.cache is not None else None
        if stored is None:
            return None
        try:
            return ModuleSummary.from_json(stored)
        except ValueError as error:
            logger.debug("fastapi-lint: cache entry for %s unusable: %s", file, error)
            return None

    def summary_of_context(self, file: str, source: Optional[str], context: Any):
        """The summary of a file being checked, from the tree the front end parsed.

        `source` is the text the tree was parsed from (None when unknown: the file on
        disk is then taken to be the same). A file whose text differs from the one on
        disk (an editor's unsaved buffer) is summarised for this check only.
        """
        if source is None:
            known = self.summary(file)
            if known is not None:
                return known
            return self._summarise(file, context)
        text = source.replace("\r\n", "\n").replace("\r", "\n")
        digest = content_digest(file, text.encode("utf-8", "surrogateescape"),
                                decoded=True)
        with self._lock:
            known = file in self._summaries
            if known and self._digests.get(file) == digest and self._summaries[file]:
                return self._summaries[file]
            summary = self._cached(file, digest)
            if summary is None:
                summary = self._summarise(file, context, digest)
            if known:
                return summary  # differs from the file on disk: for this check only
            self._summaries[file] = summary
            self._digests[file] = digest
            return summary

    def _summarise(self, file: str, context: Any,
                   digest: Optional[str] = None) -> ModuleSummary:
        self.parsed.append(file)
        summary = summarise(context, self.heads)
        if digest is not None and self.cache is not None:
            self.cache.put(digest, summary.to_json())
        return summary

    def _parse(self, file: str, path: str, data: bytes) -> Optional[ModuleSummary]:
        from ..context import FileContext  # the context module imports this one

        self.parsed.append(file)
        logger.debug("fastapi-lint: indexing %s", file)
        try:
            with warnings.catch_warnings(), headroom():
                warnings.simplefilter("ignore")
                tree = ast.parse(data, filename=path)
        except (SyntaxError, ValueError, MemoryError, RecursionError) as error:
            self._skip(file, f"cannot be parsed: {type(error).__name__}: {error}")
            return None
        try:
            # The text lets the summary skip walks for names the module never spells.
            text = data.decode("utf-8", "surrogateescape")
            context = FileContext(tree, path, self.settings, self.root, index=None,
                                  source=text)
            return summarise(context, self.heads)
        except (RecursionError, MemoryError) as error:
            self._skip(file, f"too deeply nested to index: {type(error).__name__}")
        except Exception:  # noqa: BLE001 - one odd module must not stop the index
            logger.exception("fastapi-lint: internal error indexing %s", file)
            self.skipped[file] = "internal error"
        return None

    def _skip(self, file: str, reason: str) -> None:
        self.skipped[file] = reason
        logger.info("fastapi-lint: project index skips %s: %s", file, reason)

    def function(self, key: Key) -> Optional[Function]:
        self._read(key[0], "f:" + key[1])
        summary = self.summary(key[0])
        return summary.functions.get(key[1]) if summary is not None else None

    def class_(self, key: Key) -> Optional[Class]:
        self._read(key[0], "c:" + key[1])
        summary = self.summary(key[0])
        return summary.classes.get(key[1]) if summary is not None else None

    # -- what a path names ----------------------------------------------------------

    def lookup(self, path: str) -> Optional[Target]:
        """The project function or class a resolved path names, if any.

        `pkg.mod.f`, `pkg.mod.Cls` (its class), `pkg.mod.Cls().meth` and
        `pkg.mod.Cls.meth` (the method, found through the bases), through re-exports as
        `from .service import f` in a package's `__init__`.
        """
        known = self._lookups.get(path)
        if known is not None:
            self._replay(known[1])
            return None if known[0] is None else Target._make(known[0])
        with self._lock:
            target, kept = self._work_out(lambda: self._lookup(path, 0))
            self._lookups[path] = (None if target is None else tuple(target), kept)
            return target

    def _lookup(self, path: str, depth: int) -> Optional[Target]:
        if depth > 8:
            return None
        found = self._first_module(path)
        return self._in_module(*found, depth) if found is not None else None

    def _first_module(self, path: str) -> Optional[tuple[str, list[tuple[str, str]]]]:
        """(the module a lookup of `path` reads first, the rest of the path in it)."""
        if path.split(".", 1)[0] not in self.heads:
            return None
        tokens = _tokens(path)
        for cut in range(len(tokens) - 1, 0, -1):
            if any(suffix for _, suffix in tokens[:cut]):
                continue
            file = self.modules.get(".".join(name for name, _ in tokens[:cut]))
            if file is not None:
                return file, tokens[cut:]
        return None

    def waits_for(self, paths: Iterable[str], cached: bool = True) -> Optional[str]:
        """Inside `deferring`: a module with no summary, checked later, that the lookup
        of one of `paths` reads first, so that a question asking them all would stop
        there; None when there is none.

        `cached=False` spares reading each such module to look for its summary in the
        cache: in one process, a module still to be checked has seldom been cached (a
        question put off then is worked out later at no more cost); a worker's modules
        still to be checked include those other workers check, and cache.
        """
        later = self._later
        if later is None or self.root is None:
            return None
        firsts, summaries = self._firsts, self._summaries
        for path in paths:
            file = firsts.get(path, "")
            if file == "":
                found = self._first_module(path)
                file = firsts[path] = found[0] if found is not None else None
            if file is None or file in summaries:
                continue
            if not cached:
                full = os.path.join(self.root, file)
                if later(full):
                    return full
                continue
            try:
                self.summary(file)  # what the lookup does first
            except Unsummarised as missing:
                return missing.path
        return None

    def _in_module(self, file: str, rest: list[tuple[str, str]], depth: int):
        summary = self.summary(file)
        if summary is None:
            self._read(file, "*")
            return None
        for cut in range(len(rest), 0, -1):
            if any(suffix for _, suffix in rest[: cut - 1]):
                continue
            qualname = ".".join(name for name, _ in rest[:cut])
            suffix, tail = rest[cut - 1][1], rest[cut:]
            self._read(file, "f:" + qualname)
            self._read(file, "c:" + qualname)
            if qualname in summary.functions:
                if suffix or tail:
                    return None
                return Target("function", file, qualname)
            if qualname in summary.classes:
                return self._member(file, qualname, suffix, tail, depth)
        name, suffix = rest[0]
        self._read(file, "e:" + name)
        exported = summary.exports.get(name)
        if exported is None:
            return None
        again = exported + suffix + "".join(f".{n}{s}" for n, s in rest[1:])
        return self._lookup(again, depth + 1)

    def _member(self, file: str, qualname: str, suffix: str, tail, depth: int):
        if not suffix and not tail:
            return Target("class", file, qualname)
        if suffix == "()" and not tail:
            return self._method(file, qualname, "__init__", depth, set())
        if len(tail) == 1 and not tail[0][1] and suffix in ("", "()"):
            return self._method(file, qualname, tail[0][0], depth, set())
        return None

    def _method(self, file: str, qualname: str, name: str, depth: int, seen: set):
        if (file, qualname) in seen or len(seen) > 32:
            return None
        seen.add((file, qualname))
        summary = self.summary(file)
        if summary is None:
            self._read(file, "*")
            return None
        method = f"{qualname}.{name}"
        self._read(file, "f:" + method)
        self._read(file, "c:" + qualname)
        if method in summary.functions:
            return Target("function", file, method)
        cls = summary.classes.get(qualname)
        for base in cls.bases if cls is not None else ():
            target = self._lookup(base, depth + 1) if base else None
            if target is not None and target.kind == "class":
                found = self._method(target.file, target.qualname, name, depth + 1,
                                     seen)
                if found is not None:
                    return found
        return None

    def alias(self, path: str, depth: int = 0):
        """(path names, dependencies) of the `Annotated[...]` alias a path names."""
        tokens = _tokens(path)
        if depth > 8 or any(suffix for _, suffix in tokens):
            return None
        for cut in range(len(tokens) - 1, 0, -1):
            file = self.modules.get(".".join(name for name, _ in tokens[:cut]))
            if file is None:
                continue
            summary = self.summary(file)
            if summary is None:
                self._read(file, "*")
            if summary is None or cut != len(tokens) - 1:
                return None
            name = tokens[-1][0]
            self._read(file, "a:" + name)
            self._read(file, "e:" + name)
            if name in summary.aliases:
                return summary.aliases[name]
            exported = summary.exports.get(name)
            return self.alias(exported, depth + 1) if exported else None
        return None

    def class_bases(self, key: Key) -> list[str]:
        """Every base of a project class, as paths, project classes followed through."""
        found: list[str] = []
        queue, seen = [key], {key}
        while queue and len(seen) < 64:
            cls = self.class_(queue.pop(0))
            for base in cls.bases if cls is not None else ():
                if not base:
                    continue
                found.append(base)
                target = self.lookup(base)
                if target is not None and target.kind == "class" and (
                        target.key not in seen):
                    seen.add(target.key)
                    queue.append(target.key)
        return found

    # -- blocking -------------------------------------------------------------------

    def callee(self, path: str) -> Optional[Key]:
        """The plain `def` of the project a call of `path` runs, if any."""
        target = self.lookup(path)
        if target is not None and target.kind == "class":  # making one runs `__init__`
            target = self.lookup(path + "()")
        if target is None or target.kind != "function":
            return None
        function = self.function(target.key)
        if function is None or function.is_async or function.generator or (
                function.cached):
            return None
        return target.key

    def blocking_chain(self, key: Key) -> Optional[tuple[str, ...]]:
        """How a function blocks: its name, the helpers called, the blocking call.

        None when it does not block. Shortest chains win; among equals, the first call
        in the source, so every process reports the same chain.
        """
        if key in self._chains:
            self._replay(self._chain_reads.get(key))
            return self._chains[key]
        with self._lock:
            solved: list[Key] = []
            chain, reads = self._work_out(lambda: self._solve(key, solved))
            for done in solved:  # the answers of one solve share what it read
                self._chain_reads[done] = reads
            return chain

    def _solve(self, start: Key, solved: list[Key]) -> Optional[tuple[str, ...]]:
        edges: dict[Key, list[Key]] = {}
        stack = [start]
        while stack:
            key = stack.pop()
            if key in edges:
                continue
            function = self.function(key)
            targets: list[Key] = []
            if function is not None and function.blocking is None:
                for path, _, _ in function.calls:
                    callee = self.callee(path)
                    if callee is not None and callee not in targets:
                        targets.append(callee)
            edges[key] = targets
            for target in targets:  # answered by an earlier solve: part of this one
                if target in self._chains:
                    self._replay(self._chain_reads.get(target))
            stack.extend(t for t in targets if t not in edges and t not in self._chains)
        distance: dict[Key, int] = {}
        for key in edges:
            function = self.function(key)
            if function is not None and function.blocking is not None:
                distance[key] = 0
        changed = True
        while changed:
            changed = False
            for key, targets in edges.items():
                best = distance.get(key)
                for target in targets:
                    other = self._distance(target, distance)
                    if other is not None and (best is None or other + 1 < best):
                        best = other + 1
                if best is not None and best != distance.get(key):
                    distance[key] = best
                    changed = True
        for key in edges:
            self._chains[key] = self._chain(key, edges, distance)
            solved.append(key)
        return self._chains[start]

    def _distance(self, key: Key, distance: dict[Key, int]) -> Optional[int]:
        if key in distance:
            return distance[key]
        chain = self._chains.get(key)
        return len(chain) - 2 if chain else None

    def _chain(self, key: Key, edges, distance) -> Optional[tuple[str, ...]]:
        labels: list[str] = []
        current: Optional[Key] = key
        while current is not None:
            if current in self._chains and current != key:
                rest = self._chains[current]
                return tuple(labels) + rest if rest else None
            function = self.function(current)
            if function is None or current not in distance:
                return None
            labels.append(function.name)
            if function.blocking is not None:
                labels.append(blocking_label(function.blocking[0]))
                return tuple(labels)
            wanted = distance[current] - 1
            current = next((t for t in edges.get(current, ())
                            if self._distance(t, distance) == wanted), None)
        return None

    # -- routes ---------------------------------------------------------------------

    def routes(self) -> list[tuple[str, RouteInfo]]:
        """Every route with a literal path in the project, with the file it is in."""
        self._read("*", "r")
        if self._routes is not None:
            return self._routes
        with self._lock:
            found: list[tuple[str, RouteInfo]] = []
            files: list[str] = []
            for file in self.files:
                # By the text alone: whether the process read the file already
                # must not change the answer.
                candidate, data = self._candidates.get(file), None
                if candidate is None:
                    data = self._route_candidate(file)
                    candidate = self._candidates[file] = data is not None
                if not candidate:
                    continue
                summary = self.summary(file, data)
                if summary is not None:
                    files.append(file)
                    found.extend((file, route) for route in summary.routes)
            for file, summary in list(self._summaries.items()):
                if file not in self._known and summary is not None:
                    files.append(file)
                    found.extend((file, route) for route in summary.routes)
            self._route_files = files
            self._routes = found
            return found

    def _route_candidate(self, file: str) -> Optional[bytes]:
        """The file's bytes when it may register a route."""
        if self.root is None:
            return None
        try:
            with open(os.path.join(self.root, file), "rb") as handle:
                data = handle.read()
        except OSError:
            return None
        return data if ROUTE_TEXT.search(data) or b"include_router" in data else None

    def canonical(self, path: str) -> str:
        """A project path spelled with its module's own name (`src.pkg.mod.x` for
        `pkg.mod.x` in a src layout); other paths as they are."""
        tokens = path.split(".")
        for cut in range(len(tokens), 0, -1):
            file = self.modules.get(".".join(tokens[:cut]))
            if file is not None:
                name = dotted_name(file) if file in self._known else None
                return ".".join([name, *tokens[cut:]]) if name else path
        return path

    def prefixes(self, router: Optional[str]) -> list[str]:
        """The literal prefixes `include_router` mounts a router under, its parents'
        included; `[""]` for a router included nowhere (or unknown)."""
        if router is None:
            return [""]
        table = self.remember("includes", self._includes)
        found: list[str] = []
        stack = [(self.canonical(router), "", 0)]
        while stack and len(found) < 16:
            current, tail, depth = stack.pop()
            parents = table.get(current) if depth < 8 else None
            if not parents:
                found.append(tail)
                continue
            for parent, prefix in parents:
                stack.append((parent, prefix + tail, depth + 1))
        return sorted(set(found))

    def _includes(self) -> dict[str, list[tuple[str, str]]]:
        """Each router to the routers that include it, with the literal prefix."""
        self._read("*", "i")
        table: dict[str, list[tuple[str, str]]] = {}
        self.routes()
        for file in self._route_files:
            summary = self.summary(file)
            for child, parent, prefix in summary.includes if summary else ():
                table.setdefault(self.canonical(child), []).append(
                    (self.canonical(parent), prefix))
        return table


def summary_parts(summary: Optional[ModuleSummary]) -> dict[str, Any]:
    """A summary cut into the parts a check can read (see `reads.Read`)."""
    if summary is None:
        return {}
    parts: dict[str, Any] = {"r": summary.routes, "i": summary.includes}
    parts.update(("f:" + name, value) for name, value in summary.functions.items())
    parts.update(("c:" + name, value) for name, value in summary.classes.items())
    parts.update(("e:" + name, value) for name, value in summary.exports.items())
    parts.update(("a:" + name, value) for name, value in summary.aliases.items())
    return parts


def changed_parts(old: Optional[ModuleSummary],
                  new: Optional[ModuleSummary]) -> frozenset[str]:
    """The parts that differ between two summaries of a module."""
    before, after = summary_parts(old), summary_parts(new)
    return frozenset(part for part in before.keys() | after.keys()
                     if before.get(part) != after.get(part))


def blocking_label(path: str) -> str:
    """How a chain names the blocking call at its end: `smtplib.SMTP`, `open`."""
    return path[len("builtins."):] if path.startswith("builtins.") else path


def _tokens(path: str) -> list[tuple[str, str]]:
    """`a.B().c` -> [("a", ""), ("B", "()"), ("c", "")]."""
    tokens = []
    for part in path.split("."):
        suffix = ""
        while part.endswith(("()", "[]")):
            suffix = part[-2:] + suffix
            part = part[:-2]
        tokens.append((part, suffix))
    return tokens


def dotted_name(file: str) -> Optional[str]:
    """The module name of a file relative to the root: `pkg/mod.py` -> `pkg.mod`."""
    parts = file.split("/")
    if not parts[-1].endswith(".py"):
        return None
    parts[-1] = parts[-1][:-3]
    if parts[-1] == "__init__":
        parts.pop()
    if not parts or not all(p.isidentifier() for p in parts):
        return None
    return ".".join(parts)


def module_map(files: list[str]) -> dict[str, str]:
    """Module names to files, with the names imports use when the top folders are not
    packages: `src/pkg/mod.py` is `src.pkg.mod`, and `pkg.mod` when `src/` has no
    `__init__.py`."""
    packages = {f.rsplit("/", 1)[0] for f in files if f.endswith("/__init__.py")}
    named: dict[str, tuple[int, str]] = {}
    for file in files:
        name = dotted_name(file)
        if name is None:
            continue
        parts = name.split(".")
        folders = file.split("/")[:-1]
        for dropped in range(len(parts)):
            candidate = ".".join(parts[dropped:])
            rank = (dropped, file)
            if candidate not in named or rank < named[candidate]:
                named[candidate] = rank
            if dropped >= len(folders) - (1 if file.endswith("/__init__.py") else 0):
                break
            if "/".join(folders[: dropped + 1]) in packages:
                break
    return {name: file for name, (_, file) in named.items()}


# -- one index per project root and process --------------------------------------------

_INDEXES: dict[tuple[str, Settings], ProjectIndex] = {}  # the last used last
# How many indexes a process keeps: flake8 run over several projects (a monorepo)
# checks them one after another, and an index holds every summary of its project. One
# let go writes what it made to the cache first; asked for again, it is rebuilt.
KEPT = 2
_GUARD = threading.Lock()


def fingerprint(settings: Settings, heads: Iterable[str]) -> str:
    """What a summary depends on besides the file: the settings that shape it, the
    project's top-level names, and the code that builds it (so an edited install never
    reads summaries an older build of the same version wrote)."""
    text = repr((settings.extra_blocking_calls, settings.extra_safe_wrappers,
                 settings.router_names, sorted(heads), _code_digest()))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@functools.lru_cache(maxsize=1)
def _code_digest() -> str:
    """A digest of the modules a summary is built with."""
    from .. import catalog, names, surface
    from ..checks import blocking
    from . import summary

    digest = hashlib.sha256()
    for module in (catalog, names, surface, blocking, summary):
        try:
            with open(module.__file__ or "", "rb") as handle:
                digest.update(handle.read())
        except OSError:
            digest.update(module.__name__.encode())
    return digest.hexdigest()[:16]


def build(root: str, settings: Settings) -> ProjectIndex:
    """A new index of the project at `root` (summaries are read on demand)."""
    root = os.path.abspath(root)
    files = discover.project_files(root, settings.exclude)
    index = ProjectIndex(root, settings, files)
    if settings.cache:
        key = f"index-{SCHEMA}-{__version__}-{fingerprint(settings, index.heads)}"
        index.cache = SummaryCache(root, key)
        if index.cache.stored_count() > 2 * len(files) + 64:
            index.cache.prune(_current_digests(root, files))
    return index


def content_digest(file: str, data: bytes, decoded: bool = False) -> str:
    """The cache key of a file: its path relative to the root and its text.

    The text is what Python (and flake8) read: decoded by its coding cookie, newlines
    made `\\n`, so a file checked from flake8's lines and the same file read from disk
    share a key. Bytes that do not decode are taken as they are.
    """
    if not decoded:
        text = _decode(data)
        if text is not None:
            data = text.encode("utf-8", "surrogateescape")
    return hashlib.sha256(file.encode("utf-8", "surrogateescape") + b"\0" +
                          data).hexdigest()[:40]


def _decode(data: bytes) -> Optional[str]:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError):
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _current_digests(root: str, files: list[str]) -> Iterable[str]:
    for file in files:
        try:
            with open(os.path.join(root, file), "rb") as handle:
                yield content_digest(file, handle.read())
        except OSError:
            continue


def for_root(root: str, settings: Settings) -> ProjectIndex:
    """The index of the project at `root`, built once per process and settings (and
    again after `KEPT` other indexes were used since)."""
    key = (os.path.abspath(root), settings)
    with _GUARD:
        index = _INDEXES.pop(key, None)
        if index is None:
            index = build(root, settings)
        _INDEXES[key] = index
        while len(_INDEXES) > KEPT:
            _let_go(_INDEXES.pop(next(iter(_INDEXES))))
    return index


def forget(root: str) -> None:
    """Forget the indexes of the project at `root` (its files are all checked)."""
    root = os.path.abspath(root)
    with _GUARD:
        for key in [key for key in _INDEXES if key[0] == root]:
            _let_go(_INDEXES.pop(key))


def clear() -> None:
    """Forget every index built in this process (the next question rebuilds)."""
    with _GUARD:
        while _INDEXES:
            _let_go(_INDEXES.popitem()[1])


def _let_go(index: ProjectIndex) -> None:
    if index.cache is not None:
        index.cache.flush()  # the summaries made, for the next run
