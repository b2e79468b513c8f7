"""The registry, the docs, the fixtures and the README agree on every code."""

from __future__ import annotations

import re

import pytest

from fastapi_lint import docs, options, rules
from harness import FIXTURES, ROOT, expected_findings

CODES = sorted(rules.RULES)
ALL_FIXTURES = sorted(FIXTURES.rglob("*.py"))


@pytest.mark.parametrize("code", CODES)
def test_rule_has_documentation(code):
    text = rules.get(code).doc
    assert text.startswith(f"# {code} "), "the page starts with its code"
    for section in docs.SECTIONS:
        assert f"\n## {section}\n" in text, f"{code} docs lack '## {section}'"
    assert "```python" in text


@pytest.mark.parametrize("code", CODES)
def test_rule_has_firing_fixture(code):
    firing = [p for p in ALL_FIXTURES if any(c == code for _, _, c in expected_findings(p))]
    assert firing, f"no fixture expects {code}"


def test_fixtures_name_only_known_codes():
    for path in ALL_FIXTURES:
        for _, _, code in expected_findings(path):
            assert code in rules.RULES, f"{path.name} expects unknown {code}"


@pytest.mark.parametrize("code", CODES)
def test_rule_record_is_well_formed(code):
    rule = rules.get(code)
    assert re.fullmatch(r"FBP\d{3}", rule.code)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name)
    assert rule.fix in (None, "safe", "unsafe")
    assert not rule.message.startswith(code), "the code is added by the front ends"
    assert rule.message[:1].islower() or rule.message[:1] in "`", rule.message


def test_readme_rule_table_is_current():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert docs.render_readme(readme) == readme, (
        "README rule table is stale: run python -m fastapi_lint.docs --write README.md")


def test_every_option_is_documented_in_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for option in options.OPTIONS:
        assert f"`{option.key}`" in readme, f"README does not describe `{option.key}`"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"```sh\n(python -m pip install [^\n]+)\n```", readme)
    assert len(commands) == 2, "the README has exactly two set-up commands"
    assert "pytest" in commands[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci.splitlines()
