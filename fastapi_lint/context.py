"""Everything the checks share about one file, built once: names, surface, layout."""

from __future__ import annotations

import ast
from typing import Optional

from .names import FunctionNode, Names, Scope
from .options import Settings
from .project.layout import ModuleInfo, module_info
from .surface import Surface


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
