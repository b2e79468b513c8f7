"""Everything the checks share about one file, built once: names, surface, layout."""

from __future__ import annotations

import ast
import functools
from typing import Optional, TypeVar

from .names import FunctionNode, Names, Scope
from .options import Settings
from .project import basemodels, migrations, testfiles
from .project.layout import ModuleInfo, module_info
from .surface import Surface

Node = TypeVar("Node", bound=ast.AST)


class FileContext:
    """The read-only context every check of one file reads."""

    def __init__(self, tree: ast.Module, path: Optional[str], settings: Settings,
                 project_root: Optional[str] = None) -> None:
        self.tree = tree
        self.path = path
        self.settings = settings
        if path is not None and path not in ("-", "stdin"):
            self.info = module_info(path, settings, project_root)
        else:
            self.info = ModuleInfo(path or "-", None, None, None, None, None, False, None,
                                   frozenset())
        self.names = Names(tree, self.info.module, self.info.package)
        self.surface = Surface(tree, self.names, settings.router_names)

    @functools.cached_property
    def _index(self) -> dict[type, list[ast.AST]]:
        """Every node of the tree by its type, from one walk made when first asked."""
        index: dict[type, list[ast.AST]] = {}
        stack: list[ast.AST] = [self.tree]
        push, pop = stack.append, stack.pop
        while stack:
            node = pop()
            bucket = index.get(type(node))
            if bucket is None:
                index[type(node)] = bucket = []
            bucket.append(node)
            for field in node._fields:
                value = getattr(node, field, None)
                if isinstance(value, list):
                    for item in value:
                        if isinstance(item, ast.AST):
                            push(item)
                elif isinstance(value, ast.AST):
                    push(value)
        return index

    def nodes(self, kind: type[Node]) -> list[Node]:
        """Every node of one type in the file, in no particular order.

        The first call walks the whole tree once; checks ask only when the file's
        imports show they have something to look for.
        """
        return self._index.get(kind, [])  # type: ignore[return-value]

    def imports_from(self, *modules: str) -> bool:
        """Whether the module imports one of `modules` (or from them), at any level."""
        for node, _ in self.surface.import_froms:
            name = node.module or ""
            if node.level == 0 and any(name == m or name.startswith(m + ".")
                                       for m in modules):
                return True
        for node in self._plain_imports:
            for alias in node.names:
                if any(alias.name == m or alias.name.startswith(m + ".")
                       for m in modules):
                    return True
        return False

    @functools.cached_property
    def _plain_imports(self) -> list[ast.Import]:
        """Every `import x` statement, in functions too (a walk over statements only)."""
        found: list[ast.Import] = []
        stack: list[ast.AST] = list(self.tree.body)
        while stack:
            node = stack.pop()
            if isinstance(node, ast.Import):
                found.append(node)
                continue
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                block = getattr(node, field, None)
                if isinstance(block, list):
                    stack.extend(block)
        return found

    @functools.cached_property
    def migration(self) -> Optional[migrations.MigrationFile]:
        """The Alembic migration this file is, or None (read when first asked)."""
        if self.path in (None, "-", "stdin"):
            return None
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
        return basemodels.custom_base_models(self.info, self.settings)

    def scope(self, func: FunctionNode) -> Scope:
        """The scope of a function, its enclosing functions' scopes as parents."""
        chain = []
        parent = self.surface.parents.get(id(func))
        while parent is not None:
            if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)):
                chain.append(parent)
            parent = self.surface.parents.get(id(parent))
        scope = self.names.scope(None)
        for outer in reversed(chain):
            scope = self.names.scope(outer, scope)
        return self.names.scope(func, scope)
