"""Automatic fixes: libcst transformers that start from findings.

A check marks a finding fixable by putting `fix` (the kind of fix) and what the fix
needs in `Finding.data`; each kind has one fixer here,
`fixer(text, findings) -> Attempt`. A fixer edits through libcst, so formatting and
comments survive, and declines what it cannot fix safely with a `Refusal` saying why.

`fix_text` applies the fixers in rounds: one kind at a time, re-checking after every
edit (positions move), keeping an edit only when the result compiles, until a round
changes nothing (so a second run has nothing left to do). This module and the fixers are only imported by the command, never by flake8.
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
    """(code, kind of fix) of a finding; the kind is "" when it has no fix."""
    return finding.code, str(finding.data.get("fix") or "")


def applies(finding: Finding, unsafe: bool) -> bool:
    """Whether a fixer exists for the finding and its safety is allowed."""
    if not finding.fixable or kind_of(finding) not in FIXERS:
        return False
    return unsafe or rules.get(finding.code).fix == "safe"


def finding_key(finding: Finding) -> tuple[str, str, str]:
    """What identifies a finding across edits that move it: code, kind, message."""
    return (*kind_of(finding), finding.message)


def places_before(refusals: list[Refusal],
                  findings: list[Finding]) -> list[tuple[int, int]]:
    """(line, col) where each declined finding, found in the fixed text, was in the
    text before the fixes: the finding of the same `finding_key`, in order; where none
    matches, where it is in the fixed text."""
    before: dict[tuple[str, str, str], list[Finding]] = {}
    for finding in sorted(findings, key=Finding.sort_key):
        before.setdefault(finding_key(finding), []).append(finding)
    places = []
    for refusal in refusals:
        same = before.get(finding_key(refusal.finding))
        finding = same.pop(0) if same else refusal.finding
        places.append((finding.line, finding.col))
    return places


def _not_refused(targets: list[Finding],
                 refused: collections.Counter) -> list[Finding]:
    budget = collections.Counter(refused)
    remaining = []
    for finding in targets:
        if budget[finding_key(finding)] > 0:
            budget[finding_key(finding)] -= 1
        else:
            remaining.append(finding)
    return remaining


def fix_text(text: str, check: Callable[[str], list[Finding]],
             unsafe: bool = False) -> Outcome:
    """Apply every allowed fix to `text`; `check(text)` gives the findings to fix.

    A finding a fixer declined is not offered to it again in the same round (edits
    elsewhere move it, so it is recognised by code, kind and message), which keeps
    large files quick; the next round, after other edits, offers it once more.
    """
    check = _remembering(check)
    before = check(text)
    current = text
    refused: collections.Counter = collections.Counter()
    reasons: dict[tuple[str, str, str], list[str]] = collections.defaultdict(list)

    def decline(finding: Finding, reason: str) -> None:
        refused[finding_key(finding)] += 1
        reasons[finding_key(finding)].append(reason)

    for _ in range(_ROUNDS):
        # What was declined is offered again after a round that changed the text: an
        # edit of another kind may have removed the reason (a task made a background
        # task leaves a route that no longer needs the event loop).
        refused.clear()
        reasons.clear()
        changed = False
        for kind, fixer in FIXERS.items():
            for _ in range(_REPEATS):
                found = check(current)
                targets = _not_refused(
                    [f for f in found if kind_of(f) == kind and applies(f, unsafe)],
                    refused)
                if not targets:
                    break
                attempt = _attempt(fixer, current, targets)
                for refusal in attempt.refusals:
                    decline(refusal.finding, refusal.reason)
                if attempt.text == current:
                    break
                problem = source.compiles(attempt.text)
                if problem is not None:
                    logger.warning("the %s fix gave code that does not compile (%s); "
                                   "not applied", kind[0], problem)
                    declined = {id(r.finding) for r in attempt.refusals}
                    for finding in targets:
                        if id(finding) not in declined:
                            decline(finding, "the fix would not compile; left alone")
                    break
                current = attempt.text
                changed = True
        if not changed:
            break
    after = check(current) if current != text else before
    counts = collections.Counter(f.code for f in before)
    counts.subtract(f.code for f in after)
    fixed = {code: n for code, n in sorted(counts.items()) if n > 0}
    refusals = []
    used: collections.Counter = collections.Counter()
    for finding in sorted(after, key=Finding.sort_key):
        key = finding_key(finding)
        if applies(finding, unsafe) and used[key] < len(reasons.get(key, ())):
            refusals.append(Refusal(finding, reasons[key][used[key]]))
            used[key] += 1
    return Outcome(current, fixed, refusals)


Check = Callable[[str], list[Finding]]


def _remembering(check: Check) -> Check:
    """`check`, answering again for the text it saw last without re-checking."""
    last: list = [None, None]

    def remembered(text: str) -> list[Finding]:
        if last[0] != text:
            last[0], last[1] = text, check(text)
        return last[1]

    return remembered


def _describe(error: Exception) -> str:
    """`str(error)`, or less when that fails: libcst's errors show the node, whose
    `repr` recurses as deep as the tree (and logging lets a RecursionError through)."""
    try:
        return str(error)
    except Exception:  # noqa: BLE001 - RecursionError included
        return "(no description)"


def _attempt(fixer: Fixer, text: str, targets: list[Finding]) -> Attempt:
    try:
        attempt = fixer(text, targets)
    except RecursionError:  # libcst and `ast` recurse: a limit, not a bug
        return Attempt(text, [Refusal(f, "the code is nested too deeply to fix; left "
                                         "alone") for f in targets])
    except Exception as error:  # noqa: BLE001 - a fixer bug must not lose the file
        logger.warning("internal error in the %s fix: %s: %s", targets[0].code,
                       type(error).__name__, _describe(error))
        logger.debug("fixer failure", exc_info=True)
        return Attempt(text, [Refusal(f, "internal error in the fix; left alone")
                              for f in targets])
    return dataclasses.replace(attempt, text=_ending_kept(text, attempt.text))


def _ending_kept(before: str, after: str) -> str:
    """`after` ending with a line ending when `before` did: libcst drops a final lone
    `\r` (a file with old Mac line endings) when it prints a module."""
    ending = next((e for e in ("\r\n", "\r", "\n") if before.endswith(e)), "")
    if ending and after and not after.endswith(("\r", "\n")):
        return after + ending
    return after
