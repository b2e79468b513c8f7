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
        "blocking call {call} in `async def {function}`: {remedy}",
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
        "`{call}` in `{function}` starts a task it never awaits{detail}: "
        "use a `BackgroundTasks` parameter's `add_task`",
        "tasks",
        "Fire-and-forget tasks in routes get lost, swallow errors and outlive the request.",
        fix="unsafe",
    ),
    Rule(
        "FBP203",
        "repeated-not-found-validation",
        "`{lookup}` and its 404 check are repeated in {count} routes of this module "
        "({routes}): move them into a dependency such as `{suggestion}`",
        "dependencies",
        "A lookup-or-404 written in every route belongs in one validation dependency.",
    ),
    Rule(
        "FBP204",
        "inline-dependency-instance",
        "`Depends({call})` builds the dependency inline: assign `{call}` to a "
        "module-level name and depend on that name",
        "dependencies",
        "An inline instance cannot be overridden in tests, nor shared within a request.",
    ),
    Rule(
        "FBP304",
        "route-without-description",
        "route `{method} {path}` has no summary, description or docstring: "
        "add a docstring to `{function}`",
        "routes",
        "A route's docstring becomes its OpenAPI description, which clients read.",
        default=False,
    ),
    Rule(
        "FBP500",
        "environment-read-outside-settings",
        "`{call}` reads the environment {where}: {remedy}",
        "settings",
        "Configuration read through one `BaseSettings` class is typed, validated, "
        "documented.",
    ),
    Rule(
        "FBP501",
        "model-without-custom-base",
        "`{name}` subclasses `pydantic.BaseModel` directly: extend the project's base "
        "model `{base}`",
        "models",
        "A project-wide base model keeps serialisation and config the same everywhere.",
    ),
    Rule(
        "FBP600",
        "migration-file-name",
        "migration file `{name}` {problem}: {remedy}",
        "migrations",
        "Migration files named by date and change sort and read like a changelog.",
    ),
    Rule(
        "FBP601",
        "irreversible-migration",
        "`downgrade()` {problem}: make it undo `upgrade()`, or raise "
        "`NotImplementedError` in it if the change cannot be undone",
        "migrations",
        "A downgrade that silently does nothing leaves schema and version table apart.",
    ),
    Rule(
        "FBP602",
        "migration-imports-app",
        "migration imports `{module}` from the application: it changes as the app "
        "changes; define the tables it needs inside the migration (`sa.table(...)`)",
        "migrations",
        "A migration must mean the same forever; application models keep changing.",
    ),
    Rule(
        "FBP610",
        "sync-test-client-in-async-test",
        "sync `TestClient` {where}: use "
        "`httpx.AsyncClient(transport=ASGITransport(app=app))` instead",
        "testing",
        "The sync `TestClient` runs the app on another loop than the async test's own.",
    ),
    Rule(
        "FBP101",
        "blocking-call-through-helper",
        "`{call}` in `async def {function}` blocks the event loop through "
        "`{chain}`: {remedy}",
        "blocking",
        "A sync helper that blocks, called from an `async def`, stalls the loop as "
        "much as the blocking call itself.",
    ),
    Rule(
        "FBP202",
        "domain-code-outside-its-module",
        "`{name}` ({what}) is in `{module}` of domain package `{package}`: "
        "move it to `{target}`",
        "layout",
        "Routers, schemas, settings and exceptions each live in their own module of a "
        "domain package, where readers look for them.",
    ),
    Rule(
        "FBP302",
        "path-parameter-not-declared",
        "path parameter `{name}` of `{path}` is declared neither by `{endpoint}` nor "
        "by its dependencies, and {query} comes from the query string: {fix}",
        "routes",
        "A path parameter the endpoint does not declare is never read, and the "
        "parameter meant for it silently becomes a query parameter.",
    ),
    Rule(
        "FBP303",
        "inconsistent-path-parameter-name",
        "path parameter `{name}` of `{path}` names the `{resource}` that {others} "
        "`{preferred}` (e.g. {where}): use `{preferred}`",
        "routes",
        "One name per resource across the project keeps routes, dependencies and "
        "clients consistent.",
    ),
    Rule(
        "FBP401",
        "blocking-async-background-task",
        "background task `{task}` is an `async def` that blocks through `{chain}`: "
        "{remedy}",
        "tasks",
        "An `async def` background task runs on the event loop after the response, so "
        "its blocking calls stall every other request.",
    ),
)


def get(code: str) -> Rule:
    """Return the rule with this code; raise KeyError for an unknown one."""
    return RULES[code]
