"""FBP201: domain packages missing the modules every domain package has."""

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
