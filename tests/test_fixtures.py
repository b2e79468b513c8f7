"""Every fixture's findings equal its inline markers, line, column and code."""

from __future__ import annotations

import pytest

from conftest import PROJECTS, RULE_FIXTURES
from harness import describe, expected_findings


@pytest.mark.parametrize("path", RULE_FIXTURES, ids=lambda p: p.name)
def test_rule_fixture(path, rule_runs):
    run = rule_runs[path]
    assert "Traceback" not in run.stderr and run.returncode in (0, 1), run.stderr
    expected = expected_findings(path)
    got = run.triples(path.resolve())
    assert got == expected, describe(expected, got)


PROJECT_FILES = [
    (project, path) for project in PROJECTS for path in sorted(project.rglob("*.py"))
]


@pytest.mark.parametrize(
    "project,path", PROJECT_FILES,
    ids=[f"{p.name}/{f.relative_to(p)}" for p, f in PROJECT_FILES],
)
def test_project_fixture(project, path, project_runs):
    run = project_runs[project]
    assert "Traceback" not in run.stderr and run.returncode in (0, 1), run.stderr
    expected = expected_findings(path)
    got = run.triples(path.resolve())
    assert got == expected, describe(expected, got)


def test_every_fixture_run_reports_something(rule_runs):
    """Guards the harness itself: a broken run that reports nothing must fail."""
    assert any(run.findings for run in rule_runs.values())
