"""The finding: what a check reports and every front end prints."""

from __future__ import annotations

import ast
import dataclasses
from typing import Any, Mapping

from . import rules


@dataclasses.dataclass(frozen=True)
class Finding:
    """One finding. `col` is 0-based like `ast`; front ends add 1 when they print."""

    line: int
    col: int
    code: str
    message: str
    end_line: int | None = None
    end_col: int | None = None
    # What a fix needs to know (names, the function concerned); never compared.
    data: Mapping[str, Any] = dataclasses.field(
        default_factory=dict, compare=False, hash=False, repr=False
    )

    @property
    def rule(self) -> rules.Rule:
        return rules.get(self.code)

    @property
    def fixable(self) -> bool:
        return bool(self.data.get("fix")) and self.rule.fix is not None

    def sort_key(self) -> tuple[int, int, str, str]:
        return (self.line, self.col, self.code, self.message)


def at(node: ast.AST, code: str, data: Mapping[str, Any] | None = None, **fields: object):
    """Build a finding for `code` located at `node`, its message filled from `fields`."""
    return Finding(
        line=getattr(node, "lineno", 1),
        col=getattr(node, "col_offset", 0),
        code=code,
        message=rules.get(code).format(**fields),
        end_line=getattr(node, "end_lineno", None),
        end_col=getattr(node, "end_col_offset", None),
        data=dict(data or {}),
    )
