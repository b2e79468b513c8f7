"""FBP201 and FBP202: domain packages missing modules, or holding code out of place."""

from __future__ import annotations

import os
from typing import Iterator

from ..context import FileContext
from ..findings import Finding
from ..project.layout import has_module
from .. import rules


def check(ctx: FileContext) -> Iterator[Finding]:
    info = ctx.info
    if info.domain is None or info.app_root is None:
        return
    folder = os.path.join(info.app_root, info.domain)
    relative = os.path.relpath(info.path, folder).replace(os.sep, "/")
    if relative not in ("router.py", "router/__init__.py"):
        return  # reported once per package, on its router module
    missing = [m for m in ctx.settings.required_modules if not has_module(folder, m)]
    if not missing:
        return
    names = ", ".join(f"`{m}`" for m in missing)
    files = ", ".join(f"`{m}.py`" for m in missing)
    message = rules.get("FBP201").format(package=info.domain, missing=names, files=files)
    yield Finding(1, 0, "FBP201", message, data={"missing": tuple(missing)})


PYDANTIC_MODELS = frozenset(
    ("pydantic.BaseModel", "pydantic.main.BaseModel", "pydantic.RootModel",
     "pydantic.root_model.RootModel", "pydantic.v1.BaseModel",
     "pydantic.v1.main.BaseModel",
     "pydantic.generics.GenericModel")
)
SETTINGS_CLASSES = frozenset(
    ("pydantic_settings.BaseSettings", "pydantic_settings.main.BaseSettings",
     "pydantic.BaseSettings", "pydantic.env_settings.BaseSettings",
     "pydantic.v1.BaseSettings", "pydantic.v1.env_settings.BaseSettings")
)


def check_placement(ctx: FileContext) -> Iterator[Finding]:
    """FBP202: routers, models, settings and exceptions outside their module."""
    info = ctx.info
    if info.domain is None or info.module is None:
        return
    root = info.app_root_module.split(".") if info.app_root_module else []
    inner = info.module.split(".")[len(root):]
    if any(part == "tests" or part.startswith(("test_", "conftest")) for part in inner):
        return
    kind = inner[1] if len(inner) > 1 else None
    module = "/".join(inner) + ("/__init__.py" if kind is None else ".py")
    summary = ctx.summary
    if kind != "router":
        for line, col in summary.routers:
            yield _misplaced(line, col, "APIRouter()", "a router", module, info.domain,
                             "router")
    if not summary.classes:
        return
    index, file = ctx.project
    models = _route_models(index) if kind != "schemas" else set()
    for cls in summary.classes.values():
        bases = index.class_bases((file, cls.qualname))
        if not bases:
            continue
        name = cls.qualname.rpartition(".")[2]
        if any(base in SETTINGS_CLASSES for base in bases):
            if kind != "config":
                yield _misplaced(cls.line, cls.col, name, "a settings class", module,
                                 info.domain, "config")
        elif any(_is_exception(base) for base in bases):
            if kind != "exceptions":
                yield _misplaced(cls.line, cls.col, name, "an exception", module,
                                 info.domain, "exceptions")
        elif kind != "schemas" and (file, cls.qualname) in models and any(
                base in PYDANTIC_MODELS for base in bases):
            yield _misplaced(cls.line, cls.col, name, "a request/response model",
                             module, info.domain, "schemas")


def _misplaced(line: int, col: int, name: str, what: str, module: str, package: str,
               target: str) -> Finding:
    message = rules.get("FBP202").format(
        name=name, what=what, module=module, package=package,
        target=f"{package}/{target}.py")
    return Finding(line, col, "FBP202", message, data={"target": target})


def _is_exception(path: str) -> bool:
    name = path.rpartition(".")[2]
    return name.endswith(("Error", "Exception")) or name in ("BaseException", "Warning")


def _route_models(index) -> set:
    """The project classes routes take as a body or return, by (file, qualname)."""
    def compute() -> set:
        found = set()
        for _, route in index.routes():
            for path in route.models:
                target = index.lookup(path)
                if target is not None and target.kind == "class":
                    found.add(target.key)
        return found

    return index.remember("models", compute)
