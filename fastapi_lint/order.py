"""The order the command checks files in: modules before the modules that import them.

When a project rule asks about a module that has not been checked yet, the project
index parses that module on its own, and the command parses it again when its turn
comes. Checking imported modules first lets the index take each module's summary from
the tree the command parsed anyway. Imports are found with a regular expression over
the bytes, without parsing; a missed import costs only that second parse, since the
findings never depend on the order.
"""

from __future__ import annotations

import os
import re
from typing import Iterator, Optional, Sequence

from .names import resolve_relative
from .project.index import dotted_name, module_map

_IMPORT = re.compile(
    rb"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+([^\r\n#;]*)"
    rb"|import[ \t]+([^\r\n#;]*))",
    re.MULTILINE,
)


def _import_statements(data: bytes) -> Iterator[re.Match]:
    """`_IMPORT.finditer(data)`, trying only the lines that spell `import`: the
    expression tries every position of the file, and few lines import."""
    tried = -1
    position = data.find(b"import")
    while position != -1:
        start = data.rfind(b"\n", 0, position) + 1  # where `^` matches
        if start != tried:
            tried = start
            match = _IMPORT.match(data, start)
            if match is not None:
                yield match
        position = data.find(b"import", position + 6)


def imported_modules(data: bytes, package: Optional[str]) -> list[str]:
    """The absolute module names the source's import statements may name."""
    found = []
    for match in _import_statements(data):
        base, names, plain = match.groups()
        if plain is not None:
            for part in plain.decode("ascii", "replace").split(","):
                name = part.split(" as ")[0].strip()
                if name:
                    found.append(name)
            continue
        text = base.decode("ascii", "replace")
        level = len(text) - len(text.lstrip("."))
        module = resolve_relative(level, text[level:] or None, package)
        if not module or module.startswith("."):
            continue
        found.append(module)
        for part in names.decode("ascii", "replace").strip("()\\ \t").split(","):
            name = part.split(" as ")[0].strip(" ()\t")
            if name.isidentifier():
                found.append(f"{module}.{name}")  # `from pkg import module`
    return found


def dependency_order(paths: Sequence[str], roots: Sequence[Optional[str]]):
    """(the indexes of `paths` in checking order, the indexes some other path imports).

    `roots[i]` is the project root of `paths[i]` (None: not in a project; such files
    keep their place). Within a project, every module comes after the project modules
    it imports (import cycles are cut where the walk meets them).
    """
    by_root: dict[str, list[int]] = {}
    for position, root in enumerate(roots):
        if root is not None:
            by_root.setdefault(root, []).append(position)
    edges: dict[int, list[int]] = {}
    imported: set[int] = set()
    for root, positions in by_root.items():
        relative = {}
        for position in positions:
            name = os.path.relpath(paths[position], root).replace(os.sep, "/")
            if not name.startswith("../"):
                relative[name] = position
        modules = module_map(list(relative))
        for name, position in relative.items():
            dotted = dotted_name(name)
            package = None
            if dotted is not None:
                package = dotted if name.endswith("/__init__.py") else (
                    dotted.rpartition(".")[0])
            try:
                with open(paths[position], "rb") as handle:
                    data = handle.read()
            except OSError:
                continue
            targets = []
            for module in imported_modules(data, package):
                file = modules.get(module)
                target = relative.get(file) if file is not None else None
                if target is not None and target != position and target not in targets:
                    targets.append(target)
            if targets:
                edges[position] = targets
                imported.update(targets)
    order: list[int] = []
    placed: set[int] = set()
    for start in range(len(paths)):
        if start in placed:
            continue
        placed.add(start)
        stack = [(start, iter(edges.get(start, ())))]
        while stack:
            position, pending = stack[-1]
            for target in pending:
                if target not in placed:
                    placed.add(target)
                    stack.append((target, iter(edges.get(target, ()))))
                    break
            else:
                stack.pop()
                order.append(position)
    return order, imported
