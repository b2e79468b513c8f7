"""Which codes a run reports: `select`, `extend-select` and `ignore`, by prefix.

Each entry is a code or a prefix of codes (`FBP1` is the FBP1xx family, `FBP` every
rule). A layer of settings starts from its `select` (or, without one, from the layer
below, and at the bottom from the rules on by default), adds `extend-select` and
removes `ignore`; when a code matches both a selecting and an ignoring entry, the longer
(more specific) entry wins and a tie ignores it. A rule that is off by default is only
reported when a `select` or `extend-select` entry names its code in full: `FBP` or
`FBP3` select the rules on by default, as the flake8 plugin does.
The configuration file is one layer, the command line a second one on top of it.
"""

from __future__ import annotations

import re
from typing import Iterable, Optional, Sequence

from . import rules

_SELECTOR = re.compile(r"^[A-Z]{1,3}[0-9]{0,3}$")


def check_selectors(key: str, entries: Iterable[str]) -> list[str]:
    """Problems with the entries of `select`/`ignore`/`extend-select`, one per entry."""
    problems = []
    for entry in entries:
        if not _SELECTOR.match(entry):
            problems.append(f"`{key}`: `{entry}` is not a code or code prefix "
                            "(like `FBP100` or `FBP1`)")
        elif not any(code.startswith(entry) for code in rules.RULES):
            problems.append(f"`{key}`: `{entry}` matches no rule "
                            "(`fastapi-lint rules` lists them)")
    return problems


def _longest(code: str, entries: Sequence[str]) -> int:
    return max((len(e) for e in entries if code.startswith(e)), default=-1)


def apply_layer(current: frozenset[str], select: Optional[Sequence[str]],
                extend: Sequence[str], ignore: Sequence[str]) -> frozenset[str]:
    """The codes selected after one layer of settings is applied to `current`."""
    chosen = set()
    for code, rule in rules.RULES.items():
        picked = [*(select or ()), *extend]
        if not rule.default:
            picked = [entry for entry in picked if entry == code]
        by_select = _longest(code, picked)
        by_ignore = _longest(code, ignore)
        if by_select >= 0 and by_select > by_ignore:
            chosen.add(code)
        elif by_ignore >= 0:
            continue
        elif select is None and code in current:
            chosen.add(code)
    return frozenset(chosen)


def default_codes() -> frozenset[str]:
    """The rules that are on when nothing is configured."""
    return frozenset(code for code, rule in rules.RULES.items() if rule.default)


def selected_codes(layers: Iterable[tuple[Optional[Sequence[str]], Sequence[str],
                                          Sequence[str]]]) -> frozenset[str]:
    """The codes selected by layers of (select or None, extend-select, ignore)."""
    current = default_codes()
    for select, extend, ignore in layers:
        current = apply_layer(current, select, extend, ignore)
    return current
