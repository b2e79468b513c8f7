"""Only the checks of the selected codes run, in flake8 and in the command."""

from __future__ import annotations

import os

import pytest
from flake8.main.application import Application

from fastapi_lint import engine, plugin, rules
from fastapi_lint.checks import CHECKS, CODES, blocking, routes
from fastapi_lint.project import index
from harness import FIXTURES, parsed_fixtures

FBP100_FIXTURE = FIXTURES / "rules" / "FBP100.py"


@pytest.fixture(autouse=True)
def fresh_indexes():
    index.clear()
    yield
    index.clear()


def test_every_check_has_its_codes_and_every_code_a_check():
    assert set(CODES) == set(CHECKS)
    assert set().union(*CODES.values()) == set(rules.RULES)
    assert engine._checks_for(frozenset({"FBP100"})) == [blocking.check]
    assert engine._checks_for(frozenset({"FBP301", "FBP303"})) == [
        routes.check, routes.check_path_names]
    assert engine._checks_for(frozenset({"E501"})) == []


def test_each_code_is_found_with_only_its_own_checks_run():
    """On every fixture file, a code's findings with only the checks of that code run
    are its findings with every check run: no check reports a code it is not listed
    for."""
    seen: set[str] = set()
    for file in parsed_fixtures():
        args = (file.tree, str(file.path), file.settings, file.root)
        everything = engine.check_tree(*args, source=file.text)
        for code in sorted({f.code for f in everything}):
            alone = engine.check_tree(*args, source=file.text, codes=frozenset({code}))
            assert [f for f in alone if f.code == code] == [
                f for f in everything if f.code == code], (file.path, code)
        seen.update(f.code for f in everything)
    assert seen == set(rules.RULES), "a code no fixture reports is not held to its check"


def test_a_check_of_unknown_codes_still_runs(monkeypatch):
    def extra(ctx):
        yield from ()

    monkeypatch.setattr(engine, "CHECKS", (*CHECKS, extra))
    assert engine._checks_for(frozenset({"FBP100"})) == [blocking.check, extra]


@pytest.mark.parametrize(("flags", "expected"), [
    (["--select", "E,W"], None),  # not called at all
    # flake8 selects by prefix, and `F` (pyflakes) is one of `FBP`: all rules on by default
    (["--select", "E,W,F"], {c for c, r in rules.RULES.items() if r.default}),
    (["--select", "E,W,F", "--extend-ignore", "FBP"], None),
    (["--select", "FBP100"], {"FBP100"}),
    (["--select", "FBP1"], {"FBP100", "FBP101"}),
    (["--select", "FBP30"], {"FBP300", "FBP301", "FBP302", "FBP303"}),  # 304 is off
    (["--select", "FBP30", "--extend-select", "FBP304"],
     {"FBP300", "FBP301", "FBP302", "FBP303", "FBP304"}),
    (["--extend-ignore", "FBP1,FBP2,FBP3,FBP4,FBP5"],
     {"FBP600", "FBP601", "FBP602", "FBP610"}),
])
def test_flake8_runs_the_checks_of_the_codes_it_reports(monkeypatch, tmp_path, flags,
                                                        expected):
    calls = []

    def counting(*args, **kwargs):
        calls.append(kwargs["codes"])
        return []

    monkeypatch.setattr(plugin, "check_tree", counting)
    # flake8 sets the plugin's options on the class: restored after, for other tests
    for name in ("_codes", "_opted_in", "_overrides"):
        monkeypatch.setattr(plugin.Plugin, name, getattr(plugin.Plugin, name))
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "app.py"
    target.write_text(FBP100_FIXTURE.read_text())
    Application().run(["--isolated", "-j1", "--output-file", os.devnull, *flags,
                       str(target)])
    assert calls == ([] if expected is None else [frozenset(expected)])
