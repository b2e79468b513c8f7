"""The order the command checks files in: modules before the modules that import them.

When a project rule asks about a module that has not been checked yet, the project
index parses that module on its own, and the command parses it again when its turn
comes. Checking imported modules first lets the index take each module's summary from
the tree the command parsed anyway. Imports are found with a regular expression over
the bytes, without parsing; a missed import costs only that second parse, since the
findings never depend on the order.

Import cycles leave no order that puts every module after what it imports (in one app
measured, 1,994 of its 2,100 modules form a single cycle). Only some modules ask the
index about others: those with an `async def` (FBP101 follows their calls) or a route
(the route table). The others go first, so that where a cycle is cut, the modules asked
about are more often summarised already. The largest modules that ask go before all of
these: a process's memory peaks while it parses and checks its largest file, and it
holds least at the start of a project, before the summaries of the project's modules
pile up.
"""

from __future__ import annotations

import os
import re
from typing import Iterator, Optional, Sequence

from .names import resolve_relative
from .project.index import ROUTE_TEXT, dotted_name, module_map

_IMPORT = re.compile(
    rb"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+([^\r\n#;]*)"
    rb"|import[ \t]+([^\r\n#;]*))",
    re.MULTILINE,
)
# A module this large that asks the index about others is checked first (see above).
LARGE = 512 * 1024


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

    `roots[i]` is the project root of `paths[i]` (None: not in a project). First come
    the modules of at least `LARGE` bytes that may ask the index about other modules,
    then the modules that cannot ask, then the rest; within each part, every module
    comes after the project modules it imports (import cycles are cut where the walk
    meets them).
    """
    by_root: dict[str, list[int]] = {}
    for position, root in enumerate(roots):
        if root is not None:
            by_root.setdefault(root, []).append(position)
    edges: dict[int, list[int]] = {}
    imported: set[int] = set()
    asking: dict[int, bool] = {}  # position -> whether the module is large
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
            if asks(data):
                asking[position] = len(data) >= LARGE
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
    return _asking_apart(order, roots, asking), imported


def _asking_apart(order: list[int], roots: Sequence[Optional[str]],
                  asking: dict[int, bool]) -> list[int]:
    """`order` with each project's modules together, the large modules that ask
    first, then those that do not ask, then the rest (each in its order)."""
    projects: dict[object, list[int]] = {}
    for position in order:
        root = roots[position]
        projects.setdefault(root if root is not None else -position - 1,
                            []).append(position)
    out: list[int] = []
    for positions in projects.values():
        out += [p for p in positions if asking.get(p)]
        out += [p for p in positions if p not in asking]
        out += [p for p in positions if asking.get(p) is False]
    return out


def asks(data: bytes) -> bool:
    """Whether a module may ask the project index about other modules: it has an
    `async def`, a route or an `include_router`."""
    return (b"async def" in data or b"include_router" in data
            or ROUTE_TEXT.search(data) is not None)
