"""Where a module stands in the project: project root, app root, domain package.

The only place, with the project index, that looks at the file system; results are
cached per folder, so a flake8 run lists each folder once.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from typing import Optional

from ..options import Settings


@dataclasses.dataclass(frozen=True)
class ModuleInfo:
    """One module's place: its dotted name and, inside the app root, its domain."""

    path: str
    project_root: Optional[str]
    module: Optional[str]  # dotted, relative to the project root
    package: Optional[str]  # the package relative imports start from
    app_root: Optional[str]  # absolute folder
    app_root_module: Optional[str]  # dotted name of the app root ("src"), "" for "."
    app_root_is_package: bool
    package_name: Optional[str]  # the app root's subpackage this module belongs to
    domain_packages: frozenset[str]

    @property
    def domain(self) -> Optional[str]:
        """The domain package this module belongs to, if it is in one."""
        name = self.package_name
        return name if name is not None and name in self.domain_packages else None


@functools.lru_cache(maxsize=4096)
def listdir(folder: str) -> frozenset[str]:
    """The entries of a folder; empty when it cannot be listed."""
    try:
        return frozenset(os.listdir(folder))
    except OSError:
        return frozenset()


def has_module(folder: str, name: str) -> bool:
    """Whether `folder` holds module `name` as `name.py` or a `name/` package."""
    entries = listdir(folder)
    if f"{name}.py" in entries:
        return True
    return name in entries and os.path.isdir(os.path.join(folder, name))


_ROUTER_MARKERS = (b"APIRouter", b"fastapi")
# Besides `router`, the modules the guide gives a domain package.
_GUIDE_MODULES = ("schemas", "service", "dependencies", "exceptions", "constants", "models")


def is_fastapi_router_module(folder: str) -> bool:
    """Whether `folder` has a `router` module that mentions FastAPI.

    A `router.py` that never names `fastapi` or `APIRouter` (say, a load balancer's
    "router") does not make its package a domain package. Only the first 64 KiB are read.
    """
    for candidate in (os.path.join(folder, "router.py"),
                      os.path.join(folder, "router", "__init__.py")):
        try:
            with open(candidate, "rb") as handle:
                head = handle.read(65536)
        except OSError:
            continue
        if any(marker in head for marker in _ROUTER_MARKERS):
            return True
    if os.path.isdir(os.path.join(folder, "router")):
        return True  # a router package: its modules hold the routes
    return False


@functools.lru_cache(maxsize=1024)
def domain_packages(app_root: str, configured: tuple[str, ...]) -> frozenset[str]:
    """The app root's domain packages: configured, or subfolders with a `router` module
    that either mentions FastAPI or stands beside another module of the guide's layout
    (`schemas`, `service`, ...). A lone non-FastAPI `router.py` is not enough."""
    if configured:
        return frozenset(configured)
    found = set()
    for entry in listdir(app_root):
        folder = os.path.join(app_root, entry)
        if not entry.isidentifier() or not has_module(folder, "router"):
            continue
        if any(has_module(folder, m) for m in _GUIDE_MODULES) or is_fastapi_router_module(
                folder):
            found.add(entry)
    return frozenset(found)


def module_info(path: str, settings: Settings, project_root: Optional[str]) -> ModuleInfo:
    """Where the file at `path` stands, given the project root (or None)."""
    absolute = os.path.abspath(path)
    if project_root is None:
        project_root = os.getcwd()
        if not absolute.startswith(project_root + os.sep):
            project_root = None
    if project_root is None:
        return ModuleInfo(absolute, None, None, None, None, None, False, None, frozenset())
    relative = os.path.relpath(absolute, project_root)
    parts = relative.replace(os.sep, "/").split("/")
    module_parts = parts[:-1] + [parts[-1][:-3] if parts[-1].endswith(".py") else parts[-1]]
    is_init = module_parts[-1] == "__init__"
    if is_init:
        module_parts = module_parts[:-1]
    dotted_ok = all(p.isidentifier() for p in module_parts)
    module = ".".join(module_parts) if dotted_ok else None
    package = ".".join(module_parts if is_init else module_parts[:-1]) if dotted_ok else None

    if settings.app_root:
        root_parts = [p for p in settings.app_root.replace("\\", "/").split("/")
                      if p not in ("", ".")]
    elif len(parts) > 1:
        root_parts = parts[:1]
    else:
        root_parts = None
    if root_parts is None or parts[: len(root_parts)] != root_parts:
        return ModuleInfo(absolute, project_root, module, package, None, None, False, None,
                          frozenset())
    app_root = os.path.join(project_root, *root_parts)
    domains = domain_packages(app_root, settings.domain_packages)
    inner = parts[len(root_parts):]
    package_name = inner[0] if len(inner) > 1 else None
    return ModuleInfo(
        path=absolute,
        project_root=project_root,
        module=module,
        package=package,
        app_root=app_root,
        app_root_module=".".join(root_parts),
        app_root_is_package="__init__.py" in listdir(app_root),
        package_name=package_name,
        domain_packages=domains,
    )
