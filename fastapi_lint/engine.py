"""Run every check on one parsed file: the one engine both front ends call."""

from __future__ import annotations

import ast
import contextlib
import gc
import logging
from typing import Any, Iterator, Optional

from .checks import CHECKS, CODES, PROJECT_CODES
from .context import AUTO, FileContext
from .findings import Finding
from .options import Settings

logger = logging.getLogger(__name__)

# The cycle collector's thresholds while a front end checks. Checking makes no cycles
# (each file's trees and scopes are freed by reference counting, which
# `test_checking_leaves_no_cycles` holds to), so a collection only re-walks what is
# alive: the project indexes, the tree being checked, and inside flake8 everything
# flake8 keeps. The first threshold is above the objects the tree of a large module
# holds (about 150,000 for a 1 MB file), so a file's own tree is not walked again and
# again while it is checked: at 10,000, collections took a twentieth of a cold run.
GC_THRESHOLDS = (300_000, 10, 10)


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect cycles less often for the duration (the previous thresholds after)."""
    before = gc.get_threshold()
    gc.set_threshold(*(max(a, b) for a, b in zip(GC_THRESHOLDS, before)))
    try:
        yield
    finally:
        gc.set_threshold(*before)


def check_tree(tree: ast.Module, path: Optional[str], settings: Settings,
               project_root: Optional[str] = None, index: Any = AUTO,
               source: Optional[str] = None,
               codes: Optional[frozenset[str]] = None, summarise: bool = False,
               observed: Optional[dict[str, Any]] = None,
               later: Any = None) -> list[Finding]:
    """Every finding for one module, sorted by position.

    `index` is the project index to use: by default the one of the file's project root,
    built on first use; None for none (the project rules then see this module only).
    `source`, the text `tree` was parsed from, lets the index reuse this tree.
    `codes`, when given, are the codes the front end will report: a check none of
    whose codes is among them is not run, and with no project rule among them no
    project index is built. `summarise=True` hands the project index this module's
    summary, made from this tree, even when no check asked for it (other modules import
    it: the index need not parse it again).

    `observed`, when given, gets `consulted`: whether a check read other files;
    `reads`: what they read (see `FileContext.reads`); and `summary_key`: the cache key
    of this module's summary, when the project index made or read one.

    `later`, a `deferral.Deferral`, lets the project rules put off answers that
    need modules the run checks later (taken from it by the caller).

    A check that fails on odd input is logged and skipped: the other checks still run,
    and the caller never sees a traceback.
    """
    try:
        context = FileContext(tree, path, settings, project_root, index, source,
                              track=observed is not None, later=later)
    except Exception as error:  # noqa: BLE001 - never a traceback for the user
        report_internal_error("reading the module", path, error)
        return []
    findings: list[Finding] = []
    for check in CHECKS if codes is None else _checks_for(codes):
        try:
            findings.extend(check(context))
        except Exception as error:  # noqa: BLE001 - one bad check must not stop others
            report_internal_error(check.__module__, path, error)
    if summarise and (codes is None or codes & PROJECT_CODES):
        try:
            context.summary
        except Exception:  # noqa: BLE001 - the index parses the module itself then
            logger.debug("fastapi-lint: no summary of %s", path, exc_info=True)
    if observed is not None:
        observed["consulted"] = context.consulted
        observed["reads"] = context.reads
        index = context.built_index
        if index is not None:
            key = index.relative(path)
            observed["summary_key"] = index.digest(key) if key is not None else None
    findings.sort(key=Finding.sort_key)
    return findings


def _checks_for(codes: frozenset[str]) -> list[Any]:
    """The checks that may report one of `codes` (a check of unknown codes runs)."""
    return [check for check in CHECKS
            if check not in CODES or CODES[check] & codes]


def report_internal_error(where: str, path: Optional[str], error: Exception) -> None:
    """One line for the user; the traceback only at debug level (`-v`)."""
    logger.warning("fastapi-lint: internal error in %s on %s: %s: %s (please report it)",
                   where, path, type(error).__name__, error)
    logger.debug("traceback of the internal error", exc_info=True)
