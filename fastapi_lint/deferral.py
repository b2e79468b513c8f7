"""Project-rule answers put off until the modules they ask about are summarised.

When a project rule asks about a module whose turn has not come, the project index
would parse that module ahead of its turn, and the command would parse it again when
its turn comes. A run that checks the whole project in one process can wait instead:
the answer is worked out once the project's last file is checked, from summaries made
of the trees the run parsed anyway. The findings are the same either way; only when
they are worked out changes.

A check opts in through `FileContext.deferrable`, with the part of its work that reads
the index only, as a module-level function and arguments that hold no tree (the tree
is gone by then), and every position where it may report. In `-j1` the process that
checked the file works the answer out; with `--jobs N`, the worker hands it to the
process that started it, which reads the project's summaries from the cache the
workers wrote. Their `# noqa` comments and character columns are read
while the file's text is at hand, so nothing of the file is kept.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Callable, Iterable, Optional

from .findings import Finding

Position = tuple[int, int, str]  # (line, col, code) of a finding an answer may give


@dataclasses.dataclass
class Deferred:
    """One answer put off: how to work it out, where it may report, in which project.

    Plain data (a module-level function and its arguments), so that a worker process
    can hand it to the process that settles it.
    """

    function: Callable[..., Iterable[Finding]]  # called with the index, then arguments
    arguments: tuple
    positions: frozenset  # of `Position`
    root: str  # the project root of the index to work it out with
    # Filled by the front end while the file's text is at hand:
    kept: frozenset = frozenset()  # the positions no `# noqa` silences
    columns: dict = dataclasses.field(default_factory=dict)  # (line, col) -> printed

    def compute(self, index: Any) -> list[Finding]:
        return list(self.function(index, *self.arguments))


class Deferral:
    """One run's files still to check, the modules wanted summarised on their turn, and
    the answers of the file being checked that were put off."""

    def __init__(self, paths: Iterable[str], shared: bool = False) -> None:
        self.pending = {_normal(path) for path in paths}
        # A worker process hands what it puts off to the process that started it,
        # which reads the summaries from the cache: without a cache, nothing waits.
        self.shared = shared
        self.wanted: set[str] = set()
        self.put_off: list[Deferred] = []
        # (function, project root) -> the module that stopped the function's last
        # answer, for functions whose answers all read the same modules first
        self.stopped: dict[tuple[Callable[..., Iterable[Finding]], str], str] = {}

    def later(self, path: str) -> bool:
        """Whether the run checks `path` later (its turn has not come)."""
        return _normal(path) in self.pending

    def turn(self, path: str) -> bool:
        """Start `path`'s turn; whether an answer put off waits for its summary."""
        path = _normal(path)
        self.pending.discard(path)
        return path in self.wanted

    def defer(self, function: Callable[..., Iterable[Finding]], arguments: tuple,
              positions: Iterable[Position], root: str, wanted: Optional[str]) -> None:
        if wanted is not None:
            self.wanted.add(_normal(wanted))
        self.put_off.append(Deferred(function, arguments, frozenset(positions), root))

    def take(self) -> list[Deferred]:
        """The answers put off since the last call."""
        taken, self.put_off = self.put_off, []
        return taken


def _normal(path: str) -> str:
    return os.path.normpath(os.path.abspath(path))
