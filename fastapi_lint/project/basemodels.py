"""The project's custom Pydantic base models (FBP501): configured, or found.

Found: a class in the app root's `models` or `schemas` module (`models.py`, or the
`models/` package's `__init__.py`) that subclasses `pydantic.BaseModel` directly,
declares no fields and sets `model_config` (or an inner `class Config`). A model with
fields, or one that only adds methods, is an ordinary model, however many extend it.
The modules are read once per app root and cached by modification time.
"""

from __future__ import annotations

import ast
import functools
import logging
import os
from typing import Optional

from ..names import Names
from ..options import Settings
from .layout import ModuleInfo, listdir

logger = logging.getLogger(__name__)

PYDANTIC_BASE_MODEL = frozenset(("pydantic.BaseModel", "pydantic.main.BaseModel"))
GENERIC = frozenset(("typing.Generic", "typing_extensions.Generic"))
_MAX_BYTES = 2_000_000


def custom_base_models(info: ModuleInfo, settings: Settings,
                       read: Optional[list[str]] = None) -> tuple[str, ...]:
    """Dotted paths of the project's base models; empty when it has none.

    `read`, when given, gets the path of each module read for them.
    """
    if settings.base_model:
        return (settings.base_model,)
    if info.app_root is None:
        return ()
    found: list[str] = []
    root_module = info.app_root_module or ""
    entries = listdir(info.app_root)
    for name in ("models", "schemas"):
        module = f"{root_module}.{name}" if root_module else name
        if f"{name}.py" in entries:
            path, package = os.path.join(info.app_root, f"{name}.py"), root_module
        elif name in entries:
            path, package = os.path.join(info.app_root, name, "__init__.py"), module
        else:
            continue
        if read is not None:
            read.append(path)
        try:
            stat = os.stat(path)
        except OSError:
            continue
        found.extend(_bases_in(path, module, package, (stat.st_mtime_ns, stat.st_size)))
    return tuple(found)


@functools.lru_cache(maxsize=128)
def _bases_in(path: str, module: str, package: Optional[str],
              stamp: tuple[int, int]) -> tuple[str, ...]:
    if stamp[1] > _MAX_BYTES:
        return ()
    try:
        with open(path, "rb") as handle:
            tree = ast.parse(handle.read(), filename=path)
        names = Names(tree, module, package or None)
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError) as error:
        logger.debug("fastapi-lint: cannot read %s: %s", path, error)
        return ()
    return tuple(f"{module}.{node.name}" for node in tree.body
                 if isinstance(node, ast.ClassDef) and is_base_like(node, names))


def is_base_like(cls: ast.ClassDef, names: Names) -> bool:
    """A direct `BaseModel` subclass with configuration and no fields of its own."""
    direct = False
    for base in cls.bases:
        target = base.value if isinstance(base, ast.Subscript) else base
        path = names.resolve(target) or ""
        if path in PYDANTIC_BASE_MODEL:
            direct = True
        elif path not in GENERIC:
            return False
    if not direct:
        return False
    configured = False
    for statement in cls.body:
        if isinstance(statement, ast.ClassDef) and statement.name == "Config":
            configured = True
        elif isinstance(statement, ast.Assign):
            if any(isinstance(t, ast.Name) and t.id == "model_config"
                   for t in statement.targets):
                configured = True
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target,
                                                                 ast.Name):
            if statement.target.id == "model_config":
                configured = True
            elif not _is_class_var(statement.annotation, names):
                return False  # a field: an ordinary model
    return configured


def _is_class_var(annotation: ast.expr, names: Names) -> bool:
    target = annotation.value if isinstance(annotation, ast.Subscript) else annotation
    return (names.resolve(target) or "").endswith("ClassVar")
