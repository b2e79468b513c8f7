"""Shared fixtures: flake8 runs over the fixture folders, made once per session."""

from __future__ import annotations

import pytest

from harness import FIXTURES, flake8_args, run_flake8

RULE_FIXTURES = sorted((FIXTURES / "rules").glob("*.py"))
PROJECTS = sorted(p for p in (FIXTURES / "projects").glob("*") if p.is_dir())


@pytest.fixture(scope="session")
def rule_runs():
    """flake8 over fixtures/rules, one run per distinct `# flake8-args:` header."""
    groups: dict[tuple[str, ...], list] = {}
    for path in RULE_FIXTURES:
        groups.setdefault(flake8_args(path), []).append(path)
    runs = {}
    for args, paths in groups.items():
        run = run_flake8(paths, FIXTURES / "rules", *args)
        for path in paths:
            runs[path] = run
    return runs


@pytest.fixture(scope="session")
def project_runs():
    """flake8 over each project under fixtures/projects and over the demo app."""
    return {project: run_flake8([project], project) for project in PROJECTS}
