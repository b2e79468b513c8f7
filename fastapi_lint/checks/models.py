"""FBP501: Pydantic models that skip the project's custom base model."""

from __future__ import annotations

import ast
from typing import Iterator

from ..context import FileContext
from ..findings import Finding, at
from ..project.basemodels import PYDANTIC_BASE_MODEL


def check(ctx: FileContext) -> Iterator[Finding]:
    if not ctx.mentions("BaseModel") or not ctx.imports_from("pydantic"):
        return
    direct = [cls for cls in ctx.statements(ast.ClassDef)
              if _extends_base_model(ctx, cls)]
    if not direct:
        return
    bases = ctx.base_models
    if not bases:
        return
    module = ctx.names.module
    for cls in sorted(direct, key=lambda c: c.lineno):
        own = f"{module}.{cls.name}"
        if any(own == base or own.endswith("." + base) or base.endswith("." + own)
               for base in bases):
            continue  # the custom base itself
        yield at(cls, "FBP501", name=cls.name, base=bases[0])


def _extends_base_model(ctx: FileContext, cls: ast.ClassDef) -> bool:
    """Whether one of the class's bases is `pydantic.BaseModel` itself."""
    for base in cls.bases:
        target = base.value if isinstance(base, ast.Subscript) else base
        if (ctx.names.resolve(target) or "") in PYDANTIC_BASE_MODEL:
            return True
    return False
