"""The flake8 entry point: a parsed tree in, findings out.

flake8 hands us the tree it already parsed, so this path never reads or parses a file
itself and never imports libcst.
"""

from __future__ import annotations

import argparse
import ast
import functools
import logging
import os
import sys
from typing import Any, Iterator, Optional

from . import __version__, config, options, rules
from .context import AUTO
from .engine import check_tree, fewer_collections
from .options import ConfigError, Settings

logger = logging.getLogger(__name__)


class Plugin:
    """flake8 plugin for the FastAPI best practices (codes FBP)."""

    name = "fastapi-lint"
    version = __version__

    # Values given on flake8's command line or in its config files, by Settings field.
    _overrides: dict[str, Any] = {}
    # The codes flake8 will report (None: all): the checks of no selected code are not
    # run, and no project index is built when no rule that reads one is selected.
    _codes: Optional[frozenset[str]] = None
    # Rules off by default that `--select` / `--extend-select` name in full.
    _opted_in: frozenset[str] = frozenset()

    def __init__(self, tree: ast.AST, filename: str = "-",
                 lines: Optional[list[str]] = None) -> None:
        self.tree = tree
        self.filename = filename
        self.lines = lines

    @classmethod
    def add_options(cls, manager) -> None:
        for option in options.OPTIONS:
            if not option.flake8:
                continue
            kwargs: dict[str, Any] = {"default": None, "parse_from_config": True,
                                      "help": option.help + " (fastapi-lint)"}
            if option.kind == options.LIST:
                kwargs["comma_separated_list"] = True
            manager.add_option(option.flake8_flag, **kwargs)
        off = [code for code, rule in rules.RULES.items() if not rule.default]
        if off:
            manager.extend_default_ignore(off)

    @classmethod
    def parse_options(cls, parsed: argparse.Namespace) -> None:
        values = {}
        for option in options.OPTIONS:
            value = getattr(parsed, option.flake8_dest, None) if option.flake8 else None
            if value is not None:
                values[option.key] = value
        # Every problem of both sources is listed before stopping: the flake8 options
        # and a broken pyproject.toml of the current folder.
        problems = []
        try:
            overrides = vars_of(options.build(values, source="flake8 options"), values)
        except ConfigError as error:
            problems.append(str(error))
        try:
            config.load(config.find_pyproject(os.getcwd()))
        except ConfigError as error:
            problems.append(str(error))
        if problems:
            sys.stderr.write("fastapi-lint: configuration error\n"
                             + "\n".join(problems) + "\n")
            raise SystemExit(2)
        cls._overrides = overrides
        cls._opted_in = opted_in(parsed)
        _settings_for.cache_clear()
        cls._codes = _reported(parsed, cls._opted_in)

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        if not isinstance(self.tree, ast.Module) or self._codes == frozenset():
            return  # `--select E,W,F` with the plugin installed costs nothing
        path = None if self.filename in ("-", "stdin") else self.filename
        settings, root = _settings_for(os.path.dirname(os.path.abspath(path or ".")))
        if settings is None:
            return
        source = "".join(self.lines) if self.lines is not None else None
        with fewer_collections():
            found = check_tree(self.tree, path, settings, root, AUTO, source,
                               codes=self._codes)
        for finding in found:
            if not finding.rule.default and finding.code not in self._opted_in:
                continue
            yield finding.line, finding.col, f"{finding.code} {finding.message}", type(self)


def _reported(parsed: argparse.Namespace,
              opted: frozenset[str]) -> Optional[frozenset[str]]:
    """The codes flake8 will report: selected, and for a rule off by default, named in
    full (`opted`). None when it cannot tell."""
    try:
        from flake8.style_guide import Decision, DecisionEngine

        engine = DecisionEngine(parsed)
        return frozenset(code for code, rule in rules.RULES.items()
                         if (rule.default or code in opted)
                         and engine.decision_for(code) is Decision.Selected)
    except Exception:  # noqa: BLE001 - an older or newer flake8: run every check
        return None


def opted_in(parsed: argparse.Namespace) -> frozenset[str]:
    """Codes of rules off by default that the user named in full.

    flake8 lets an explicit `--select FBP` override the default ignore list, which would
    switch on every opinionated rule with the family; like flake8-bugbear's B9 rules, an
    off-by-default rule runs only when `--select` or `--extend-select` names its code.
    """
    named = set()
    for attribute in ("select", "extend_select"):
        for entry in getattr(parsed, attribute, None) or ():
            named.add(str(entry).strip().upper())
    return frozenset(code for code, rule in rules.RULES.items()
                     if not rule.default and code in named)


def vars_of(settings: Settings, values: dict[str, Any]) -> dict[str, Any]:
    """The Settings fields that `values` set explicitly."""
    return {options.BY_KEY[key].attr: getattr(settings, options.BY_KEY[key].attr)
            for key in values}


# The broken pyproject.toml files already reported by this process.
_REPORTED: set[Optional[str]] = set()


@functools.lru_cache(maxsize=256)
def _settings_for(directory: str) -> tuple[Optional[Settings], Optional[str]]:
    """Settings for files in `directory`: its pyproject.toml, then flake8's options."""
    pyproject = config.find_pyproject(directory)
    try:
        base = config.load(pyproject)
    except ConfigError as error:
        if error.source not in _REPORTED:  # once per file, not once per folder
            _REPORTED.add(error.source)
            sys.stderr.write(f"fastapi-lint: configuration error, files under "
                             f"{os.path.dirname(error.source or '')} not checked\n"
                             f"{error}\n")
        return None, None
    root = os.path.dirname(pyproject) if pyproject else None
    return options.merge(base, Plugin._overrides), root
