"""FBP500: configuration read from the environment outside a settings class.

Reads are `os.environ[...]`, `os.environ.get(...)` and `os.getenv(...)`, however
imported. Writes (`os.environ["X"] = ...`) are not reads. In a settings class (a
`BaseSettings` subclass, pydantic-settings or Pydantic v1) a field default that reads
the environment is reported, because the class reads that variable itself; its
`model_config` (or `class Config`) and its methods may read the environment, e.g. to
choose the `.env` file. Not reported either: a name computed at run time (generic
configuration machinery, not a setting), variables the operating system or runtime
sets (`PATH`, `HOME`, `CUDA_VISIBLE_DEVICES`, ...), Django settings modules, and test
modules, which set up their environment as they need.
"""

from __future__ import annotations

import ast
from typing import Iterator, Optional

from ..context import FileContext
from ..findings import Finding, at

SETTINGS_BASES = frozenset(
    ("pydantic_settings.BaseSettings", "pydantic_settings.main.BaseSettings",
     "pydantic.BaseSettings", "pydantic.env_settings.BaseSettings",
     "pydantic.v1.BaseSettings", "pydantic.v1.env_settings.BaseSettings")
)
READ_CALLS = {"os.getenv": "os.getenv()", "os.environ.get": "os.environ.get()"}
_NAMES = frozenset(("environ", "getenv"))
# Set by the operating system, the shell or the runtime: not the app's configuration.
PROCESS_VARIABLES = frozenset((
    "PATH", "HOME", "USER", "USERNAME", "LOGNAME", "SHELL", "TERM", "PWD", "TMPDIR",
    "TEMP", "TMP", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "HOSTNAME", "COLUMNS",
    "LINES", "NO_COLOR", "FORCE_COLOR", "TZ", "PYTHONPATH", "PYTHONHASHSEED",
    "VIRTUAL_ENV", "CONDA_PREFIX", "APPDATA", "LOCALAPPDATA", "USERPROFILE",
    "SYSTEMROOT", "PROGRAMFILES", "CI", "PYTEST_CURRENT_TEST", "CUDA_VISIBLE_DEVICES",
    "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT", "OMP_NUM_THREADS",
))
_OUTSIDE = "outside a settings class"
_OUTSIDE_REMEDY = ("make {read} a field of a `BaseSettings` class and read it from the "
                   "settings object")

# What a node stands in: ("outside", None), ("field", name), ("exempt", None).
Where = tuple[str, Optional[str]]


def check(ctx: FileContext) -> Iterator[Finding]:
    if ctx.is_test or not ctx.mentions("environ", "getenv") or not ctx.imports_from(
            "os"):
        return
    candidates = _candidates(ctx)
    if not candidates or _is_django_settings(ctx.tree):
        return
    settings_classes = _settings_classes(ctx)
    for node in sorted(candidates, key=lambda n: (n.lineno, n.col_offset)):
        where = _where(node, settings_classes)
        if where[0] == "exempt":
            continue
        finding = _read(ctx, node, where, _enclosing_function(ctx, node))
        if finding is not None:
            yield finding


def _candidates(ctx: FileContext) -> list[ast.expr]:
    """Subscripts and calls that may read the environment, by their spelling alone."""
    aliases = {alias.asname or alias.name for node in ctx.statements(ast.ImportFrom)
               if node.module == "os" for alias in node.names
               if alias.name in _NAMES}
    found: list[ast.expr] = []
    nodes = ctx.nodes_mentioning((ast.Subscript, ast.Call),
                                 ("environ", "getenv", *sorted(aliases)))
    for node in nodes:
        if not isinstance(node, ast.Subscript):
            continue
        value = node.value
        if isinstance(node.ctx, ast.Load) and (
                (isinstance(value, ast.Attribute) and value.attr == "environ")
                or (isinstance(value, ast.Name) and value.id in aliases)):
            found.append(node)
    for node in nodes:
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute):
            if func.attr == "getenv" or (func.attr == "get" and _last(func.value) in (
                    "environ", *aliases)):
                found.append(node)
        elif isinstance(func, ast.Name) and func.id in aliases:
            found.append(node)
    return found


def _contains(outer: ast.AST, node: ast.AST) -> bool:
    start = (outer.lineno, outer.col_offset)
    end = (outer.end_lineno or outer.lineno, outer.end_col_offset or 0)
    return start <= (node.lineno, node.col_offset) <= end


def _where(node: ast.AST, settings_classes: list[ast.ClassDef]) -> Where:
    """Where a read stands: in a settings field's default, exempt, or outside."""
    for cls in settings_classes:
        if _contains(cls, node):
            for statement in cls.body:
                if _contains(statement, node):
                    return _member(statement)
    return ("outside", None)


def _enclosing_function(ctx: FileContext, node: ast.AST) -> Optional[ast.AST]:
    """The innermost function whose body holds `node`, for resolving its names."""
    found = None
    for func in ctx.surface.functions:
        if func.lineno > node.lineno:
            break
        if _contains(func, node):
            found = func  # functions are sorted: a later match is nested deeper
    return found


def _is_django_settings(tree: ast.Module) -> bool:
    """A Django settings module: Django's own configuration, read its own way."""
    return any(isinstance(node, ast.Assign)
               and any(isinstance(t, ast.Name) and t.id == "INSTALLED_APPS"
                       for t in node.targets)
               for node in tree.body)


def _settings_classes(ctx: FileContext) -> list[ast.ClassDef]:
    """This module's settings classes: `BaseSettings` and subclasses of it."""
    known, found = set(SETTINGS_BASES), set()
    classes = ctx.statements(ast.ClassDef)
    changed = True
    while changed:
        changed = False
        for cls in classes:
            if id(cls) in found:
                continue
            for base in cls.bases:
                path = ctx.names.resolve(base) or ""
                name = path.rsplit(".", 1)[-1] if path else getattr(base, "id", "")
                # An imported `AppSettings` is taken for a settings class by its name.
                if path in known or name.endswith("Settings"):
                    found.add(id(cls))
                    known.add(f"{ctx.names.module}.{cls.name}")
                    changed = True
                    break
    return [cls for cls in classes if id(cls) in found]


def _member(statement: ast.stmt) -> Where:
    """What a statement of a settings class body is: field, configuration or method."""
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return ("exempt", None)
    if isinstance(statement, ast.ClassDef) and statement.name == "Config":
        return ("exempt", None)
    target = None
    if isinstance(statement, ast.AnnAssign):
        target = statement.target
    elif isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target = statement.targets[0]
    if isinstance(target, ast.Name):
        if target.id == "model_config":
            return ("exempt", None)
        return ("field", target.id)
    return ("outside", None)


def _read(ctx: FileContext, node: ast.AST, where: Where,
          func: Optional[ast.AST]) -> Optional[Finding]:
    """A finding when `node` reads the environment."""
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Attribute):
            if node.func.attr not in ("get", "getenv"):
                return None
        elif not isinstance(node.func, ast.Name):
            return None
        label = READ_CALLS.get(ctx.names.resolve(node.func, _scope(ctx, func)) or "")
    elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
        if _last(node.value) != "environ":
            return None
        path = ctx.names.resolve(node.value, _scope(ctx, func))
        label = "os.environ[...]" if path == "os.environ" else None
    else:
        return None
    if label is None:
        return None
    named = _variable(node)
    if named is None:
        return None  # a name computed at run time: configuration machinery
    variable, literal = named
    if literal and (variable.upper() in PROCESS_VARIABLES
                    or variable.startswith("XDG_")):
        return None  # the process's own environment
    read = f"`{variable}`" if literal else f"the variable `{variable}` names"
    if where[0] == "field":
        return at(node, "FBP500", call=label,
                  where=f"in the default of settings field `{where[1]}`",
                  remedy=f"drop the default's read and let `BaseSettings` read {read} "
                         "(set `validation_alias` if the names differ)")
    return at(node, "FBP500", call=label, where=_OUTSIDE,
              remedy=_OUTSIDE_REMEDY.format(read=read))


def _last(node: ast.expr) -> Optional[str]:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def _scope(ctx: FileContext, func: Optional[ast.AST]):
    if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return ctx.scope(func)
    return None


def _variable(node: ast.AST) -> Optional[tuple[str, bool]]:
    """(name, True) for a literal variable name; (NAME, False) for `os.getenv(NAME)`."""
    if isinstance(node, ast.Call):
        first = node.args[0] if node.args else None
        for keyword in node.keywords:
            if keyword.arg == "key":
                first = keyword.value
    else:
        first = node.slice
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value[:60], True
    if isinstance(first, ast.Name) and first.id.isupper():
        return first.id, False  # `os.getenv(DATABASE_URL_ENV)`: a named constant
    return None
