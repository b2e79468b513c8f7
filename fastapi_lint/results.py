"""The last check's results, kept per project so that a re-run checks only what changed.

`fastapi-lint check` stores each file's findings in `.fastapi_lint_cache/results.json`
under its project root, with what they were drawn from. A later run reuses a file's
findings when the file's bytes, its settings and selection, and this build of
fastapi-lint are the same, and the project's layout is the same: its files and folders,
the names in those folders, and its router modules (what `module_info` and the layout
rules read); entries of other names (tool caches, notes, swap files) do not count.

A file whose checks also read other files (every read of that kind goes through
`FileContext.index`, `.base_models` or `.migration`, which note what they read) is
reused while nothing it read has changed. When other files of the project changed, each
changed module's summary is compared, part by part, with the one the last run made
(kept in the summary cache), and a file is checked again only when it read a part that
differs: a function it calls, a class it looks up, the project's routes. A file read as
a whole, an Alembic migration, a changed `alembic.ini` or `pyproject.toml`, or a
summary that is not at hand any more, counts as changed throughout.

Only `check` reads and writes these results; `--fix` and `--diff` always check afresh.
A results file that cannot be read is ignored, and one that cannot be written is not
an error.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import hashlib
import json
import logging
import os
import sys
import tempfile
from typing import Any, Optional

from . import __version__, rules
from .findings import Finding
from .project import discover
from .project import reads as reads_table
from .project.cache import (_TAG, CACHE_DIR, STALE_RESULTS, _remove, _write_once,
                            open_regular, sweep)

logger = logging.getLogger(__name__)

FILE = "results.json"
_FORMAT = 3
_CONFIGS = ("alembic.ini", "pyproject.toml")
_ROUTERS = ("/router.py", "router/__init__.py")


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """A digest of this installation's modules: results of another build never count."""
    # The Python running matters too: what parses, and how, changes between versions.
    digest = hashlib.sha256(f"{__version__} {sys.version}".encode())
    top = os.path.dirname(os.path.abspath(__file__))
    for folder, dirs, names in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not d.startswith(("_", ".")))
        for name in sorted(names):
            if name.endswith(".py"):
                try:
                    with open(os.path.join(folder, name), "rb") as handle:
                        digest.update(name.encode() + b"\0" + handle.read())
                except OSError:
                    digest.update(name.encode())
    return digest.hexdigest()[:24]


def _digest(path: str) -> Optional[str]:
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()[:32]
    except OSError:
        return None


_ALL: frozenset[str] = frozenset(("*",))  # every part of a module changed


@dataclasses.dataclass
class Project:
    """One project root's fingerprints and its stored results."""

    root: str
    layout: str
    content: str
    configs: str
    digests: dict[str, Optional[str]]  # absolute path -> content digest
    files: dict[str, str]  # the project's files: relative path -> absolute path
    stored: dict[str, Any]
    settings: Any
    _changes: Optional[dict[str, frozenset[str]]] = None
    _affected: Optional[list[bool]] = None  # per stored kept answer
    _rows: Optional[list[Optional[reads_table.Reads]]] = None

    @classmethod
    def read(cls, root: str, settings: Any) -> "Project":
        files = discover.project_files(root, settings.exclude)
        layout = hashlib.sha256()
        content = hashlib.sha256()
        configs = hashlib.sha256()
        digests: dict[str, Optional[str]] = {}
        paths: dict[str, str] = {}
        folders = {""}
        for relative in sorted(files):
            path = os.path.join(root, *relative.split("/"))
            digest = _digest(path)
            digests[path] = digest
            paths[relative] = path
            content.update(f"{relative}\0{digest}\n".encode("utf-8", "surrogateescape"))
            layout.update(f"{relative}\n".encode("utf-8", "surrogateescape"))
            if relative == "router.py" or relative.endswith(_ROUTERS):
                layout.update(f"{digest}\n".encode())  # read by `domain_packages`
            parts = relative.split("/")[:-1]
            folders.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
        for folder in sorted(folders):
            path = os.path.join(root, *folder.split("/")) if folder else root
            try:
                with os.scandir(path) as listing:
                    entries = sorted(
                        (entry.name, is_dir) for entry in listing
                        for is_dir in (entry.is_dir(),)
                        if _in_layout(entry.name, is_dir))
            except OSError:
                entries = []
            layout.update(repr((folder, entries)).encode("utf-8", "surrogateescape"))
            for name, is_dir in entries:
                if name in _CONFIGS and not is_dir:
                    config = _digest(os.path.join(path, name))
                    line = f"{folder}/{name}\0{config}\n".encode("utf-8",
                                                                 "surrogateescape")
                    content.update(line)
                    configs.update(line)
        stored = _load(os.path.join(root, CACHE_DIR, FILE))
        if (stored.get("format") != _FORMAT or stored.get("code") != code_digest()
                or stored.get("layout") != layout.hexdigest()
                or not isinstance(stored.get("files"), dict)):
            stored = {}
        return cls(root, layout.hexdigest(), content.hexdigest(), configs.hexdigest(),
                   digests, paths, stored, settings)

    def digest(self, path: str) -> Optional[str]:
        if path not in self.digests:
            self.digests[path] = _digest(path)
        return self.digests[path]

    def reusable(self, path: str, key: Any) -> Optional[dict[str, Any]]:
        """The stored result of `path` when nothing it was drawn from has changed."""
        entry = self.stored.get("files", {}).get(path)
        if not isinstance(entry, dict) or entry.get("key") != key:
            return None
        digest = self.digest(path)
        if digest is None or entry.get("digest") != digest:
            return None
        if entry.get("consulted", True) and self.stored.get("content") != self.content:
            if not self._unaffected(entry.get("reads")):
                return None
        return entry

    def _unaffected(self, stored: Any) -> bool:
        """Whether nothing a stored entry's reads (see `reads.Table.dump`) has
        changed."""
        if self.stored.get("configs") != self.configs:
            return False
        changes = self.changes()
        affected = self._affected_answers()
        if changes is None or affected is None:
            return False
        return not _stale(stored, affected, changes)

    def _affected_answers(self) -> Optional[list[bool]]:
        """For each kept answer stored, whether what it read has changed (answers
        refer to earlier ones only: one pass in order)."""
        if self._affected is None:
            rows = self.stored.get("groups")
            changes = self.changes()
            if not isinstance(rows, list) or changes is None:
                return None
            affected: list[bool] = []
            for row in rows:  # a row may refer to the rows before it only
                affected.append(_stale(row, affected, changes))
            self._affected = affected
        return self._affected

    def changes(self) -> Optional[dict[str, frozenset[str]]]:
        """The project's changed modules since the stored run, each with the parts of
        its summary that differ (`_ALL`: all may); None when that cannot be told."""
        if self._changes is not None:
            return self._changes
        before = self.stored.get("digests")
        if not isinstance(before, dict):
            return None
        changed = [relative for relative, path in self.files.items()
                   if before.get(relative) != self.digests.get(path)]
        from .project import index as project_index  # only when something changed

        index = project_index.for_root(self.root, self.settings)
        keys = self.stored.get("summaries")
        keys = keys if isinstance(keys, dict) else {}
        found: dict[str, frozenset[str]] = {}
        for relative in changed:
            key = keys.get(relative)
            old = index.stored_summary(key) if isinstance(key, str) else None
            if old is None:
                found[relative] = _ALL
                continue
            new = index.summary(relative)
            found[relative] = project_index.changed_parts(old, new)
        self._changes = found
        return found

    def still_valid(self) -> dict[str, dict[str, Any]]:
        """The stored entries that would be reused now, whatever their settings."""
        kept = {}
        for path, entry in self.stored.get("files", {}).items():
            if isinstance(entry, dict) and self.reusable(path, entry.get("key")):
                kept[path] = entry
        return kept

    def stored_reads(self, stored: Any) -> Optional[reads_table.Reads]:
        """A stored entry's reads as `Reads` (None when unknown or malformed)."""
        if self._rows is None:
            rows: list[Optional[reads_table.Reads]] = []
            table = self.stored.get("groups")
            for row in table if isinstance(table, list) else ():
                rows.append(reads_table.load(row, rows))
            self._rows = rows
        return reads_table.load(stored, self._rows)

    def unchanged(self) -> bool:
        """Whether the stored results were made from the project as it is now."""
        return bool(self.stored) and self.stored.get("content") == self.content and (
            self.stored.get("configs") == self.configs)

    def write(self, entries: dict[str, dict[str, Any]]) -> None:
        """Keep `entries`, with the stored ones of other files still valid."""
        entries = {path: dict(entry) for path, entry in
                   {**self.still_valid(), **entries}.items()}
        table = reads_table.Table()
        for path, entry in entries.items():
            reads = entry.get("reads")
            if not isinstance(reads, reads_table.Reads):
                reads = self.stored_reads(reads)
            own = os.path.relpath(path, self.root).replace(os.sep, "/")
            entry["reads"] = None if reads is None else table.dump(reads, own)
        folder = os.path.join(self.root, CACHE_DIR)
        summaries = {}
        for relative, path in self.files.items():
            key = entries.get(path, {}).get("summary")
            if isinstance(key, str):
                summaries[relative] = key
        data = {"format": _FORMAT, "code": code_digest(), "layout": self.layout,
                "content": self.content, "configs": self.configs,
                "digests": {relative: self.digests.get(path)
                            for relative, path in self.files.items()},
                "summaries": summaries, "groups": table.rows, "files": entries}
        try:
            os.makedirs(folder, exist_ok=True)
            _write_once(os.path.join(folder, ".gitignore"),
                        "# created by fastapi-lint\n*\n")
            _write_once(os.path.join(folder, "CACHEDIR.TAG"), _TAG)
            sweep(folder, STALE_RESULTS)
            handle, temporary = tempfile.mkstemp(dir=folder, prefix=".results-")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    # `dumps` encodes in one C call; `dump` writes piece by piece.
                    out.write(json.dumps(data, separators=(",", ":")))
                os.replace(temporary, os.path.join(folder, FILE))
            except BaseException:  # a full disk, say: no half-written file stays
                _remove(temporary)
                raise
        except OSError as error:
            logger.debug("fastapi-lint: results not kept in %s: %s", folder, error)


def _stale(stored: Any, affected: list[bool],
           changes: dict[str, frozenset[str]]) -> bool:
    """Whether stored reads (`reads.Table.dump`'s form) meet a change: a part read
    changed, or a kept answer they refer to (by its position in `affected`) did; True
    when malformed."""
    groups = stored.get("groups") if isinstance(stored, dict) else None
    return not isinstance(groups, list) or not all(
        type(number) is int and 0 <= number < len(affected) and not affected[number]
        for number in groups) or _touched(stored.get("parts"), changes)


def _touched(parts: Any, changes: dict[str, frozenset[str]]) -> bool:
    """Whether stored parts (file -> names) meet a change; True when malformed."""
    if not isinstance(parts, dict):
        return True
    for file, names in parts.items():
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            return True
        if file == "*":
            if any(name == "*" or changed is _ALL or name in changed
                   for name in names for changed in changes.values()):
                return True
            continue
        changed = changes.get(file)
        if changed is not None and (changed is _ALL or any(
                name == "*" or name in changed for name in names)):
            return True
    return False


def _in_layout(name: str, is_dir: bool) -> bool:
    """Whether a folder entry can matter to a check: a module, a folder a package could
    be, a configuration. Tool caches, notes and swap files cannot."""
    if name == "__pycache__" or name.startswith(CACHE_DIR):
        return False
    return name.endswith(".py") or name in _CONFIGS or (is_dir and name.isidentifier())


def _load(path: str) -> dict[str, Any]:
    handle = open_regular(path)  # a FIFO there would hang a plain `open`
    if handle is None:
        return {}
    try:
        with handle:
            data = json.loads(handle.read())
    except (OSError, ValueError, RecursionError, MemoryError):  # damaged: a miss
        return {}
    return data if isinstance(data, dict) else {}


@functools.lru_cache(maxsize=256)
def job_key(settings: Any, selected: frozenset, root: str) -> str:
    """What else a file's results depend on: settings, codes selected, project root."""
    text = repr((settings, sorted(selected), root))
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:24]


# -- a file's result, to JSON and back ----------------------------------------------

def dump_result(result: Any) -> dict[str, Any]:
    """The parts of a `runner.FileResult` of a check that a report reads."""
    error = result.error
    return {
        "findings": [[f.line, f.col, f.code, f.message, f.end_line, f.end_col,
                      repr(dict(f.data))] for f in result.findings],
        "columns": [list(c) for c in result.columns],
        "error": None if error is None else [error.message, error.line, error.col],
        "lines": result.lines,
    }


def load_result(entry: dict[str, Any], result: Any, problem: Any) -> bool:
    """Fill `result` (a fresh `runner.FileResult`) from a stored entry; False, leaving
    `result` as it was, when any part of the entry is not what `dump_result` writes."""
    try:
        stored = entry["result"]
        findings = []
        for line, col, code, message, end_line, end_col, data in stored["findings"]:
            if not (_count(line, 1) and _count(col, 0) and code in rules.RULES
                    and isinstance(message, str) and _count(end_line, 1, True)
                    and _count(end_col, 0, True) and isinstance(data, str)):
                return False
            fix_data = _literal(data)
            if not isinstance(fix_data, dict):
                return False
            findings.append(Finding(line, col, code, message, end_line, end_col,
                                    fix_data))
        columns = [(col, end) for col, end in stored["columns"]]
        if len(columns) != len(findings) or not all(
                _count(col, 1) and _count(end, 1, True) for col, end in columns):
            return False
        error = stored["error"]
        if error is not None:
            message, line, col = error
            if not (isinstance(message, str) and _count(line, 1, True)
                    and _count(col, 1, True)):
                return False
        lines = stored["lines"]
        if not _count(lines, 0):
            return False
    except (KeyError, TypeError, ValueError, SyntaxError, MemoryError,
            RecursionError):
        return False
    result.error = None if error is None else problem(*error)
    result.findings, result.columns, result.lines = findings, columns, lines
    return True


def _literal(text: str) -> Any:
    """The value of `text`, the `repr` of a finding's data: what `ast.literal_eval`
    gives for constants, tuples, lists, sets and dicts (ValueError for anything else).

    Not `ast.literal_eval` itself: its helpers are closures that call themselves, four
    reference cycles a call, and a warm run reads every finding's data while the cycle
    collector runs seldom (`engine.GC_THRESHOLDS`)."""
    if text == "{}":
        return {}
    return _literal_value(ast.parse(text.lstrip(" \t"), mode="eval").body)


def _literal_value(node: Any) -> Any:
    kind = type(node)
    if kind is ast.Constant:
        return node.value
    if kind is ast.Tuple:
        return tuple(map(_literal_value, node.elts))
    if kind is ast.List:
        return list(map(_literal_value, node.elts))
    if kind is ast.Set:
        return set(map(_literal_value, node.elts))
    if kind is ast.Dict and None not in node.keys:
        return dict(zip(map(_literal_value, node.keys),
                        map(_literal_value, node.values)))
    if (kind is ast.UnaryOp and type(node.op) in (ast.UAdd, ast.USub)
            and type(node.operand) is ast.Constant
            and type(node.operand.value) in (int, float, complex)):
        value = node.operand.value
        return -value if type(node.op) is ast.USub else +value
    if (kind is ast.Call and type(node.func) is ast.Name and node.func.id == "set"
            and not node.args and not node.keywords):
        return set()  # how `repr` writes an empty set
    raise ValueError(f"not a literal: {kind.__name__}")


def _count(value: Any, least: int, none: bool = False) -> bool:
    """Whether `value` is an integer (not a bool) of at least `least` (or None)."""
    if value is None:
        return none
    return type(value) is int and value >= least
