"""The registry of rules: one frozen record per code.

The flake8 plugin, the command line, the tests and the README's rule table all read
this table, so a code cannot exist in one place and not in another.
"""

from __future__ import annotations

import dataclasses
from importlib import resources
from typing import Optional


@dataclasses.dataclass(frozen=True)
class Rule:
    """One rule: its code, a short name, a message template and how it is fixed."""

    code: str
    name: str
    message: str
    family: str
    summary: str
    default: bool = True
    fix: Optional[str] = None  # None, "safe" or "unsafe"

    def format(self, **fields: object) -> str:
        """Return the message with its named fields filled in (without the code).

        Text taken from the linted file (a route's path, say) is shown with control
        characters escaped and cut when long, so a finding is always one line.
        """
        return self.message.format(**{name: _shown(value)
                                      for name, value in fields.items()})

    @property
    def doc(self) -> str:
        """The rule's documentation page (Markdown) shipped with the package."""
        path = resources.files("fastapi_lint") / "docs" / f"{self.code}.md"
        return path.read_text(encoding="utf-8")


def _shown(value: object, limit: int = 200) -> object:
    if not isinstance(value, str):
        return value
    if not value.isprintable():
        value = "".join(c if c.isprintable() else repr(c)[1:-1] for c in value)
    return value if len(value) <= limit else value[: limit - 3] + "..."


def _rules(*rules: Rule) -> dict[str, Rule]:
    return {rule.code: rule for rule in rules}


RULES: dict[str, Rule] = _rules(
    Rule(
        "FBP100",
        "blocking-call-in-async",
        "blocking call `{call}` in `async def {function}`: {remedy}",
        "blocking",
        "A blocking call in an `async def` stalls the event loop and every request on it.",
        fix="safe",
    ),
    Rule(
        "FBP200",
        "cross-package-import-without-alias",
        "`{statement}` reaches into domain package `{package}`: "
        "import the module with an alias, `{suggestion}`",
        "imports",
        "Cross-package imports through aliased modules show where each name comes from.",
        fix="safe",
    ),
    Rule(
        "FBP201",
        "domain-package-missing-modules",
        "domain package `{package}` has no {missing}: add {files}",
        "layout",
        "Every domain package has the same modules, so code is where readers look.",
    ),
    Rule(
        "FBP300",
        "route-without-response-model",
        "route `{method} {path}` declares no response model: "
        "add a return annotation or `response_model=`",
        "routes",
        "A declared response model validates, filters and documents what a route returns.",
    ),
    Rule(
        "FBP301",
        "route-without-status-code",
        "route `{method} {path}` has no explicit `status_code`: "
        "add `status_code=status.{suggestion}`",
        "routes",
        "An explicit status code documents the route and keeps clients from guessing.",
    ),
    Rule(
        "FBP400",
        "fire-and-forget-task",
        "`{call}` in `{function}` starts a task nobody awaits{detail}: "
        "use `background_tasks.add_task(...)` with a `BackgroundTasks` parameter",
        "tasks",
        "Fire-and-forget tasks in routes get lost, swallow errors and outlive the request.",
        fix="unsafe",
    ),
)


def get(code: str) -> Rule:
    """Return the rule with this code; raise KeyError for an unknown one."""
    return RULES[code]
