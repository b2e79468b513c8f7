"""FBP200: cross-package imports that do not go through an aliased module."""

from __future__ import annotations

import ast
from typing import Iterator, Optional

from ..context import FileContext
from ..findings import Finding, at
from ..names import resolve_relative
from ..project.layout import ModuleInfo


def check(ctx: FileContext) -> Iterator[Finding]:
    info = ctx.info
    if info.package_name is None:
        return  # modules directly in the app root compose the app and are not checked
    for node, typing_only in ctx.surface.import_froms:
        if typing_only and not ctx.settings.type_checking_imports:
            continue
        finding = _check_import(node, info)
        if finding is not None:
            yield finding


def domain_target(node: ast.ImportFrom, info: ModuleInfo) -> Optional[tuple[str, list[str], str]]:
    """(domain, module parts inside it, absolute base) when the import reaches a domain."""
    base = resolve_relative(node.level, node.module, info.package)
    if not base or base.startswith("."):
        return None
    segments = base.split(".")
    root = info.app_root_module.split(".") if info.app_root_module else []
    if root and segments[: len(root)] == root and len(segments) > len(root):
        rest = segments[len(root):]
    elif node.level == 0 and not info.app_root_is_package and not root:
        rest = segments
    elif node.level == 0 and not info.app_root_is_package and segments[0] in info.domain_packages:
        rest = segments  # the app root is on sys.path: `from auth.constants import ...`
    else:
        return None
    if rest[0] not in info.domain_packages:
        return None
    return rest[0], rest[1:], base


def _check_import(node: ast.ImportFrom, info: ModuleInfo) -> Optional[Finding]:
    target = domain_target(node, info)
    if target is None:
        return None
    domain, inner, base = target
    if domain == info.package_name:
        return None
    bad = [a for a in node.names if a.name == "*" or a.asname in (None, a.name)]
    if not bad:
        return None
    if inner:
        parent, module = base.rsplit(".", 1)
    else:
        parent, module = base, bad[0].name if bad[0].name != "*" else "module"
    suggestion = f"from {parent} import {module} as {domain}_{module}"
    names = ", ".join(a.name if a.asname is None else f"{a.name} as {a.asname}"
                      for a in node.names)
    if len(names) > 60:
        names = names[:57] + "..."
    statement = f"from {'.' * node.level}{node.module or ''} import {names}"
    # `import *` and `X as X` (an explicit re-export) have no automatic fix.
    fixable = all(a.name != "*" and a.asname is None for a in bad)
    data = {"fix": "alias" if fixable else None, "domain": domain, "parent": parent,
            "module": module, "inner": tuple(inner), "app_root": info.app_root}
    return at(node, "FBP200", data, statement=statement, package=domain,
              suggestion=suggestion)
