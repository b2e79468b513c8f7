"""Automatic fixes: libcst transformers that start from findings.

A check marks a finding fixable by putting `fix` (the kind of fix) and what the fix
needs in `Finding.data`; each kind has one fixer here,
`fixer(text, findings) -> Attempt`. A fixer edits through libcst, so formatting and
comments survive, and declines what it cannot fix safely with a `Refusal` saying why.

`fix_text` applies the fixers in rounds: one kind at a time, re-checking after every
edit (positions move), keeping an edit only when the result compiles, until nothing
changes. This module and the fixers are only imported by the command, never by flake8.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
from typing import Callable, Sequence

from .. import rules, source
from ..findings import Finding
from .base import Attempt, Refusal
from . import blocking, imports, tasks

logger = logging.getLogger(__name__)

Fixer = Callable[[str, Sequence[Finding]], Attempt]

# (code, kind) -> fixer, in the order the kinds are applied.
FIXERS: dict[tuple[str, str], Fixer] = {
    ("FBP100", "def"): blocking.fix_def,
    ("FBP100", "sleep"): blocking.fix_sleep,
    ("FBP200", "alias"): imports.fix_alias,
    ("FBP400", "background"): tasks.fix_background,
}
_ROUNDS = 4
_REPEATS = 8


@dataclasses.dataclass
class Outcome:
    """The fixed text, fixes made per code, and the findings a fixer declined."""

    text: str
    fixed: dict[str, int]
    refusals: list[Refusal]


def kind_of(finding: Finding) -> tuple[str, str]:
    return finding.code, str(finding.data.get("fix") or "")


def applies(finding: Finding, unsafe: bool) -> bool:
    """Whether a fixer exists for the finding and its safety is allowed."""
    if not finding.fixable or kind_of(finding) not in FIXERS:
        return False
    return unsafe or rules.get(finding.code).fix == "safe"


def fix_text(text: str, check: Callable[[str], list[Finding]],
             unsafe: bool = False) -> Outcome:
    """Apply every allowed fix to `text`; `check(text)` gives the findings to fix."""
    before = check(text)
    current = text
    refusals: list[Refusal] = []
    for _ in range(_ROUNDS):
        changed = False
        refusals = []
        for kind, fixer in FIXERS.items():
            for _ in range(_REPEATS):
                targets = [f for f in check(current)
                           if kind_of(f) == kind and applies(f, unsafe)]
                if not targets:
                    break
                attempt = _attempt(fixer, current, targets)
                if attempt.text == current:
                    refusals.extend(attempt.refusals)
                    break
                problem = source.compiles(attempt.text)
                if problem is not None:
                    logger.warning("the %s fix gave code that does not compile (%s); "
                                   "not applied", kind[0], problem)
                    refusals.extend(Refusal(f, "the fix would not compile; left alone")
                                    for f in targets)
                    break
                current = attempt.text
                changed = True
        if not changed:
            break
    after = check(current) if current != text else before
    counts = collections.Counter(f.code for f in before)
    counts.subtract(f.code for f in after)
    fixed = {code: n for code, n in sorted(counts.items()) if n > 0}
    refusals.sort(key=lambda r: r.finding.sort_key())
    return Outcome(current, fixed, refusals)


def _attempt(fixer: Fixer, text: str, targets: list[Finding]) -> Attempt:
    try:
        return fixer(text, targets)
    except Exception as error:  # noqa: BLE001 - a fixer bug must not lose the file
        logger.warning("internal error in the %s fix: %s: %s", targets[0].code,
                       type(error).__name__, error)
        logger.debug("fixer failure", exc_info=True)
        return Attempt(text, [Refusal(f, "internal error in the fix; left alone")
                              for f in targets])
