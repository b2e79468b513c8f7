"""One table of options for flake8, the command line and `[tool.fastapi-lint]`.

Each option has one key (`router-names`), spelled `--fastapi-router-names` for flake8
(and `fastapi-router-names` in `setup.cfg` / `.flake8`) and `router-names` in
`pyproject.toml`. Values are parsed and checked here, once, into a frozen `Settings`.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Iterable, Mapping, Optional

LIST = "list"
STR = "str"
BOOL = "bool"
CHOICE = "choice"


@dataclasses.dataclass(frozen=True)
class Option:
    """An option: key, kind, default and the help text shown by every front end."""

    key: str
    kind: str
    default: Any
    help: str
    choices: tuple[str, ...] = ()
    flake8: bool = True  # False: only the `fastapi-lint` command reads it

    @property
    def attr(self) -> str:
        return self.key.replace("-", "_")

    @property
    def flake8_flag(self) -> str:
        return "--fastapi-" + self.key

    @property
    def flake8_dest(self) -> str:
        return "fastapi_" + self.attr


OPTIONS: tuple[Option, ...] = (
    Option(
        "router-names",
        LIST,
        ("app", "api", "router", "*_router"),
        "name patterns (fnmatch) of FastAPI apps and routers whose definition is not in "
        "the module, e.g. imported or built by a factory",
    ),
    Option(
        "extra-blocking-calls",
        LIST,
        (),
        "more dotted names that block, e.g. `mylib.fetch` or `mylib.Client().get`",
    ),
    Option(
        "extra-safe-wrappers",
        LIST,
        (),
        "more dotted names of functions that run their callable argument off the "
        "event loop, like `fastapi.concurrency.run_in_threadpool`",
    ),
    Option(
        "app-root",
        STR,
        "",
        "the folder (relative to the project root) holding the domain packages; "
        "default: the top package of each file's path",
    ),
    Option(
        "domain-packages",
        LIST,
        (),
        "names of the domain packages; default: the app root's subpackages with a "
        "`router` module",
    ),
    Option(
        "required-modules",
        LIST,
        ("schemas", "service"),
        "modules every domain package must have (FBP201)",
    ),
    Option(
        "type-checking-imports",
        BOOL,
        False,
        "also check imports under `if TYPE_CHECKING:` (FBP200)",
    ),
    Option(
        "status-code-methods",
        LIST,
        ("POST", "PUT", "PATCH", "DELETE"),
        "HTTP methods whose routes need an explicit `status_code` (FBP301)",
    ),
    Option(
        "cache",
        BOOL,
        True,
        "keep the project index in `.fastapi_lint_cache/` under the project root, so a "
        "re-run re-reads only changed files",
    ),
    Option(
        "exclude",
        LIST,
        (),
        "glob patterns of paths the `fastapi-lint` command skips",
        flake8=False,
    ),
    Option(
        "select",
        LIST,
        (),
        "codes or prefixes the `fastapi-lint` command reports (default: the rules on "
        "by default)",
        flake8=False,
    ),
    Option(
        "ignore",
        LIST,
        (),
        "codes or prefixes the `fastapi-lint` command does not report",
        flake8=False,
    ),
    Option(
        "extend-select",
        LIST,
        (),
        "codes or prefixes added to the selection, e.g. rules off by default",
        flake8=False,
    ),
    Option(
        "not-found-exceptions",
        LIST,
        ("*NotFound", "*NotFoundError", "*NotFoundException", "*DoesNotExist"),
        "name patterns (fnmatch) of the project's not-found exceptions, raised where a "
        "lookup fails (FBP203)",
    ),
    Option(
        "base-model",
        STR,
        "",
        "dotted path of the project's custom Pydantic base model, e.g. "
        "`src.models.CustomModel`; default: found in the app root's `models.py` or "
        "`schemas.py` (FBP501)",
    ),
    Option(
        "migration-file-template",
        STR,
        "%(year)d-%(month).2d-%(day).2d_%(slug)s",
        "the Alembic `file_template` migration file names follow when `alembic.ini` "
        "sets none (FBP600)",
    ),
    Option(
        "test-files",
        LIST,
        ("test_*.py", "*_test.py", "conftest.py"),
        "file name patterns (fnmatch) of test modules (FBP610)",
    ),
    Option(
        "async-test-client",
        CHOICE,
        "async",
        "`async`: report the sync `TestClient` in async tests and fixtures; `strict`: "
        "anywhere in tests (FBP610)",
        choices=("async", "strict"),
    ),
)

BY_KEY: dict[str, Option] = {option.key: option for option in OPTIONS}

_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE"}
_DOTTED_CLASS = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")
_DOTTED = re.compile(r"^[A-Za-z_]\w*(\(\))?(\.[A-Za-z_]\w*(\(\))?)*(\.\*)?$")


@dataclasses.dataclass(frozen=True)
class Settings:
    """Every option's value, parsed; the defaults when nothing was configured."""

    router_names: tuple[str, ...] = BY_KEY["router-names"].default
    extra_blocking_calls: tuple[str, ...] = ()
    extra_safe_wrappers: tuple[str, ...] = ()
    app_root: str = ""
    domain_packages: tuple[str, ...] = ()
    required_modules: tuple[str, ...] = BY_KEY["required-modules"].default
    type_checking_imports: bool = False
    status_code_methods: tuple[str, ...] = BY_KEY["status-code-methods"].default
    cache: bool = True
    exclude: tuple[str, ...] = ()
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    not_found_exceptions: tuple[str, ...] = BY_KEY["not-found-exceptions"].default
    base_model: str = ""
    migration_file_template: str = BY_KEY["migration-file-template"].default
    test_files: tuple[str, ...] = BY_KEY["test-files"].default
    async_test_client: str = "async"


class ConfigError(Exception):
    """Configuration that cannot be used; `errors` lists every problem found."""

    def __init__(self, errors: Iterable[str], source: Optional[str] = None) -> None:
        self.errors = list(errors)
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__("\n".join(where + error for error in self.errors))


def _as_list(value: Any) -> Optional[tuple[str, ...]]:
    if isinstance(value, str):
        value = value.split(",")
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return tuple(v.strip() for v in value if v.strip())
    return None


def _as_bool(value: Any) -> Optional[bool]:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"0", "false", "no", "off"}:
        return False
    return None


def parse_value(option: Option, value: Any) -> tuple[Any, Optional[str]]:
    """Parse one raw value; return (value, None) or (None, error message)."""
    if option.kind == LIST:
        parsed = _as_list(value)
        if parsed is None:
            return None, f"`{option.key}` must be a list of strings"
        error = _check_items(option, parsed)
        return (None, error) if error else (parsed, None)
    if option.kind == BOOL:
        parsed = _as_bool(value)
        if parsed is None:
            return None, f"`{option.key}` must be true or false"
        return parsed, None
    if not isinstance(value, str):
        return None, f"`{option.key}` must be a string"
    if option.choices and value not in option.choices:
        allowed = ", ".join(repr(c) for c in option.choices)
        return None, f"`{option.key}` must be one of {allowed}, not {_shown(value)!r}"
    if len(value) > 4096:
        return None, f"`{option.key}` is longer than 4096 characters"
    error = _check_str(option, value)
    return (None, error) if error else (value, None)


def _check_str(option: Option, value: str) -> Optional[str]:
    if option.key == "base-model" and value and not _DOTTED_CLASS.match(value):
        return f"`{option.key}` must be a dotted path like `src.models.CustomModel`"
    if option.key == "migration-file-template":
        from .project import templates

        found = templates.problems(templates.normalize(value))
        if found:
            return f"`{option.key}` has {', '.join(found)}"
    return None


def _check_items(option: Option, items: tuple[str, ...]) -> Optional[str]:
    if len(items) > 10_000:
        return f"`{option.key}` has more than 10000 entries"
    long = [item for item in items if len(item) > 4096]
    if long:
        return (f"`{option.key}` has entries longer than 4096 characters: "
                f"{_listed(long)}")
    if option.key == "status-code-methods":
        bad = [m for m in items if m.upper() not in _METHODS]
        if bad:
            return f"`{option.key}` has unknown HTTP methods: {_listed(bad)}"
    if option.key in ("extra-blocking-calls", "extra-safe-wrappers"):
        bad = [name for name in items if not _DOTTED.match(name)]
        if bad:
            return f"`{option.key}` entries must be dotted names: {_listed(bad)}"
    return None


def _shown(text: str, limit: int = 60) -> str:
    """`text` as a message quotes it: control characters escaped, cut when long."""
    if not text.isprintable():
        text = repr(text)[1:-1]
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _listed(items: list[str], most: int = 5) -> str:
    """The first `most` items for a message, and how many more there are."""
    shown = ", ".join(_shown(item) for item in items[:most])
    return shown + (f" and {len(items) - most} more" if len(items) > most else "")


def build(values: Mapping[str, Any], source: Optional[str] = None) -> Settings:
    """Settings from raw values keyed by option key; ConfigError lists every problem."""
    errors, parsed = [], {}
    for key, value in values.items():
        option = BY_KEY.get(key)
        if option is None:
            close = [k for k in BY_KEY if k.replace("-", "") == key.replace("_", "")]
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            errors.append(f"unknown key `{_shown(key)}`{hint}")
            continue
        result, error = parse_value(option, value)
        if error:
            errors.append(error)
        else:
            parsed[option.attr] = result
    if errors:
        raise ConfigError(errors, source)
    if "status_code_methods" in parsed:
        parsed["status_code_methods"] = tuple(m.upper() for m in parsed["status_code_methods"])
    return Settings(**parsed)


def merge(settings: Settings, overrides: Mapping[str, Any]) -> Settings:
    """A copy of `settings` with the already parsed `overrides` (by attribute) applied."""
    return dataclasses.replace(settings, **overrides) if overrides else settings
