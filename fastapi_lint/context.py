"""Everything the checks share about one file, built once: names, surface, layout.

The project index and this module's summary are built on first use only, so a run whose
checks never ask about the rest of the project pays nothing for them.
"""

from __future__ import annotations

import ast
import bisect
import functools
import re
import os
from typing import TYPE_CHECKING, Any, Callable, Iterable, Optional, TypeVar

from .names import FunctionNode, Names, Scope
from .options import Settings
from .project import basemodels, migrations, testfiles
from .project.layout import ModuleInfo, module_info
from .project.reads import Reads
from .surface import Surface

if TYPE_CHECKING:
    from .deferral import Deferral, Position
    from .findings import Finding
    from .project.index import ProjectIndex
    from .project.summary import ModuleSummary

AUTO: Any = object()  # `index=AUTO`: get the project's index when a check first asks
_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")  # nested statements

Node = TypeVar("Node", bound=ast.AST)


def _lines_with(text: str, words: tuple[str, ...]) -> set[int]:
    """The 1-based numbers of the lines of `text` that hold one of `words`."""
    if "\r" in text:  # a lone CR ends a line for the parser too
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines: set[int] = set()
    pattern = re.compile("|".join(re.escape(word) for word in words))
    line, position = 1, 0
    for match in pattern.finditer(text):
        line += text.count("\n", position, match.start())
        position = match.start()
        lines.add(line)
    return lines


class FileContext:
    """The read-only context every check of one file reads."""

    def __init__(self, tree: ast.Module, path: Optional[str], settings: Settings,
                 project_root: Optional[str] = None, index: Any = AUTO,
                 source: Optional[str] = None, track: bool = False,
                 later: Optional[Deferral] = None) -> None:
        self.tree = tree
        self.path = path
        self.source = source  # the text `tree` was parsed from, when the caller has it
        self.settings = settings
        if path is not None and path not in ("-", "stdin"):
            self.info = module_info(path, settings, project_root)
        else:
            self.info = ModuleInfo(path or "-", None, None, None, None, None, False, None,
                                   frozenset())
        self.names = Names(tree, self.info.module, self.info.package)
        self.surface = Surface(tree, self.names, settings.router_names)
        self._project_index = index
        self._later = later  # the run's deferral, when its answers may wait
        # What several checks (and the summary) derive from this file: derived once.
        self.memo: dict[Any, Any] = {}
        # Whether a check read other files (through `index`, `base_models` or
        # `migration`), and what: the summary parts read from the index (see
        # `project.reads.Read`), `(file, "*")` for a whole file read, and `("*", "*")`
        # when the findings may change with any file of the project.
        self.consulted = False
        self.reads: Optional[Reads] = Reads() if track else None  # `track`: noted
        self._summary: Optional[tuple[ModuleSummary, dict[int, str]]] = None
        self._project: Optional[tuple[ProjectIndex, str]] = None

    @functools.cached_property
    def _nodes_by_type(self) -> dict[type, list[ast.AST]]:
        """Every node of the tree by its type, made when first asked (from the one
        pass `Names` makes over the tree)."""
        index: dict[type, list[ast.AST]] = {}
        for node in self.names.all_nodes():
            bucket = index.get(type(node))
            if bucket is None:
                index[type(node)] = bucket = []
            bucket.append(node)
        return index

    def nodes(self, kind: type[Node]) -> list[Node]:
        """Every node of one type in the file, in no particular order.

        The first call walks the whole tree once; checks ask only when the file's
        imports show they have something to look for.
        """
        return self._nodes_by_type.get(kind, [])  # type: ignore[return-value]

    def mentions(self, *words: str) -> bool:
        """Whether the source text holds one of `words` (True when no text is known).

        A cheap first test before a walk over the whole tree: a name the code uses,
        through whatever alias, is spelled somewhere in the text.
        """
        text = self.source
        return text is None or any(word in text for word in words)

    def imports_from(self, *modules: str) -> bool:
        """Whether the module imports one of `modules` (or from them), at any level."""
        for node, _ in self.surface.import_froms:
            name = node.module or ""
            if node.level == 0 and any(name == m or name.startswith(m + ".")
                                       for m in modules):
                return True
        for node in self.statements(ast.Import):
            for alias in node.names:
                if any(alias.name == m or alias.name.startswith(m + ".")
                       for m in modules):
                    return True
        return False

    def statements(self, kind: type[Node]) -> list[Node]:
        """Every statement of one type (`ast.ClassDef`, `ast.Import`, ...) anywhere."""
        return self.surface.statements.get(kind, [])  # type: ignore[return-value]

    def nodes_mentioning(self, kinds: tuple[type, ...], words: tuple[str, ...]):
        """The nodes of `kinds` in the statements whose lines spell one of `words`.

        Every node that names one of `words` is among them (a name is spelled on a
        line its statement spans), so a check looking for such names reads these
        instead of the whole tree. Statements elsewhere are not entered.
        """
        text = self.source
        if text is None:
            return [n for kind in kinds for n in self.nodes(kind)]
        lines = _lines_with(text, words)
        if not lines:
            return []
        starts = sorted(lines)
        found: list[ast.AST] = []
        stack: list[ast.AST] = list(self.tree.body)
        while stack:
            node = stack.pop()
            first = getattr(node, "lineno", None)  # a `case` has none: entered
            if first is not None:
                decorators = getattr(node, "decorator_list", None)
                if decorators:  # written above the `def` or `class` line
                    first = min(first, *(d.lineno for d in decorators))
                last = getattr(node, "end_lineno", None) or first
                at = bisect.bisect_left(starts, first)
                if at == len(starts) or starts[at] > last:
                    continue  # no mentioned line inside this statement
            # The statement itself and its expressions; nested blocks are statements
            # again, pruned the same way.
            todo: list[ast.AST] = [node]
            while todo:
                item = todo.pop()
                if isinstance(item, kinds):
                    found.append(item)
                for field in item._fields:
                    value = getattr(item, field, None)
                    if type(value) is list:
                        if field in _BLOCKS:
                            stack.extend(value)
                        else:
                            todo.extend(v for v in value if isinstance(v, ast.AST))
                    elif isinstance(value, ast.AST):
                        todo.append(value)
        return found

    @functools.cached_property
    def migration(self) -> Optional[migrations.MigrationFile]:
        """The Alembic migration this file is, or None (read when first asked)."""
        if self.path in (None, "-", "stdin"):
            return None
        self.consulted = True
        if self.reads is not None:  # the other migrations and Alembic's settings
            self.reads.add("*", "*")
        return migrations.migration_file(self.info.path, self.settings,
                                         self.info.project_root)

    @functools.cached_property
    def is_test(self) -> bool:
        """Whether this file is a test module or a `conftest.py`."""
        if self.path in (None, "-", "stdin"):
            return False
        return testfiles.is_test_file(self.info.path, self.settings)

    @functools.cached_property
    def base_models(self) -> tuple[str, ...]:
        """Dotted paths of the project's custom Pydantic base models (read if asked)."""
        self.consulted = True
        read: list[str] = []
        found = basemodels.custom_base_models(self.info, self.settings, read)
        root = self.info.project_root
        for path in read if self.reads is not None else ():
            relative = os.path.relpath(path, root) if root else None
            if relative is None or relative.startswith(os.pardir):
                self.reads.add("*", "*")
            else:
                self.reads.add(relative.replace(os.sep, "/"), "*")
        return found

    def scope(self, func: FunctionNode) -> Scope:
        """The scope of a function, its enclosing functions' scopes as parents."""
        cached = self.names.cached_scope(func)
        if cached is not None:
            return cached
        # Up to the nearest enclosing function whose scope is built, then down again:
        # each scope is built once, so deep nesting costs linear time.
        chain = []
        scope = self.names.scope(None)
        parent = self.surface.parents.get(id(func))
        while parent is not None:
            if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)):
                built = self.names.cached_scope(parent)
                if built is not None:
                    scope = built
                    break
                chain.append(parent)
            parent = self.surface.parents.get(id(parent))
        for outer in reversed(chain):
            scope = self.names.scope(outer, scope)
        return self.names.scope(func, scope)

    @property
    def index(self) -> Optional[ProjectIndex]:
        """The index of this file's project (built once per process), or None when the
        file has no project root or the front end asked for no index."""
        self.consulted = True
        if self._project_index is AUTO:
            self._project_index = None
            root = self.info.project_root
            if root is not None and self.info.module is not None:
                from .project.index import for_root

                self._project_index = for_root(root, self.settings)
        if self._project_index is not None:
            self._project_index.reading(self.reads)  # None: noted nowhere
        return self._project_index

    def deferrable(self, index: ProjectIndex, function: Callable[..., Iterable[Finding]],
                   arguments: tuple, positions: Iterable[Position], alike: bool = False,
                   looked_up: Iterable[str] = ()) -> list[Finding]:
        """The findings of `function(index, *arguments)`, which reads the index and no
        tree.

        In a run that can wait (see `deferral`), when they need a module whose turn
        has not come, nothing now: the front end works them out after the project's
        last file, and reports them at `positions` only. Two hints put an answer off
        without trying it, when it would stop anyway:
        - `alike`: every answer of `function` first reads the same modules (the route
          table), and the module that stopped the last one still waits;
        - `looked_up`: paths the answer looks up whatever it finds, and the module a
          lookup of one of them reads first still waits.
        """
        later = self._later
        if later is None or index.root is None or index.set_apart or (
                later.shared and index.cache is None):
            return list(function(index, *arguments))
        from .project.index import Unsummarised

        stopped = later.stopped.get((function, index.root)) if alike else None
        if stopped is not None and not later.later(stopped):
            stopped = None  # its turn came: the next answer may get further
        try:
            with index.deferring(later.later):
                if stopped is None:
                    stopped = index.waits_for(looked_up, cached=later.shared)
                if stopped is None:
                    return list(function(index, *arguments))
        except Unsummarised as missing:
            stopped = missing.path
            if alike:
                later.stopped[function, index.root] = stopped
        later.defer(function, arguments, positions, index.root, stopped)
        return []

    @property
    def built_index(self) -> Optional[ProjectIndex]:
        """The project index if a check asked for it (never builds one)."""
        index = self._project_index
        return None if index is AUTO else index

    @property
    def summary(self) -> ModuleSummary:
        """This module's summary as the project index keeps it, made from this tree."""
        return self._summarised()[0]

    def qualname(self, func: ast.AST) -> Optional[str]:
        """The qualified name of a function or class of this module."""
        return self._summarised()[1].get(id(func))

    def _summarised(self) -> tuple[ModuleSummary, dict[int, str]]:
        if self._summary is None:
            from .project.summary import Definitions, summarise

            index = self.index
            key = index.relative(self.path) if index is not None else None
            if index is not None and key is not None:
                summary = index.summary_of_context(key, self.source, self)
            else:
                summary = summarise(self, index.heads if index is not None else None)
            self._summary = (summary, Definitions.of(self).qualnames)
        return self._summary

    @property
    def project(self) -> tuple[ProjectIndex, str]:
        """(the index to ask about this file, this file's key in it).

        The project's index when there is one (this file added if discovery skipped
        it), else an index of this file alone, so questions about the module's own
        functions are still answered.
        """
        if self._project is None:
            from .project.index import LOCAL, ProjectIndex

            index = self.index
            if index is None:
                self._project = (ProjectIndex.local(self.summary, self.settings), LOCAL)
            else:
                key = index.relative(self.path)
                if key is None:  # discovery skipped it: no other file may see it
                    key = os.path.abspath(self.path or "-")
                    summary = self.summary
                    index = index.apart()
                    index.reading(self.reads)
                    index.adopt(key, summary)
                self._project = (index, key)
        return self._project
