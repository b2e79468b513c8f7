"""FBP600, FBP601, FBP602: Alembic migrations, their names, downgrades and imports.

Only a file that the project's layout places in a versions folder (see
`project.migrations`) and that assigns `revision` at module level is a migration; other
modules in such a folder are helpers and are left alone.
"""

from __future__ import annotations

import ast
import datetime
import os
import re
from typing import Iterator, Optional

from ..context import FileContext
from ..findings import Finding, at
from ..names import import_bindings, is_type_checking, resolve_relative
from ..project import templates
from .. import rules

# Module path components that mark the application's models and services.
APP_PARTS = frozenset(("models", "model", "schemas", "services", "service", "crud",
                       "repositories", "repository"))
APP_SUFFIXES = ("_models", "_schemas", "_services", "_service", "_crud")
_HEX = re.compile(r"[0-9a-f]{8,}\Z")
_CREATE_DATE = re.compile(
    r"Create Date:\s*(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_SLUG_WORDS = re.compile(r"\w+")
# What Alembic writes when `revision` is run without `-m`.
_PLACEHOLDER_MESSAGES = frozenset(("empty_message", "revision_id"))


def check(ctx: FileContext) -> Iterator[Finding]:
    revision = _module_string(ctx.tree, "revision")
    if revision is _MISSING:
        return
    migration = ctx.migration
    if migration is None:
        return
    yield from _check_name(ctx, migration, revision)
    yield from _check_downgrade(ctx.tree)
    yield from _check_imports(ctx, migration.first_party)


_MISSING = object()


def _module_string(tree: ast.Module, name: str):
    """A module-level `name = "..."`: the str, None for another value, or _MISSING."""
    for node in tree.body:
        targets = []
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                return value.value
            return None
    return _MISSING


# -- FBP600 ----------------------------------------------------------------------------


def _check_name(ctx: FileContext, migration, revision: Optional[str]):
    template = migration.template
    relative = migration.relative
    depth = template.count("/") + 1
    name = "/".join(relative.split("/")[-depth:])
    stem = name[:-3] if name.endswith(".py") else name
    if migration.template_source:
        source = "the `file_template` of " + _short(migration.template_source,
                                                    ctx.info.project_root)
    else:
        source = "option `migration-file-template`"
    match = templates.pattern(template, revision).match(stem)
    other = templates.pattern(template).match(stem) if match is None else None
    if other is not None and other.groupdict().get("rev") and revision:
        problem = (f"carries revision id `{other.group('rev')}`, but its revision is "
                   f"`{revision}`")
    elif match is None:
        problem = f"does not follow `{template}` ({source})"
    else:
        slug = match.groupdict().get("slug")
        if slug is None or _descriptive(slug, revision, match.groupdict().get("rev")):
            return
        problem = "names no change, only a revision id"
    suggestion = _suggest(ctx.tree, template, revision)
    remedy = (f"rename it to `{suggestion}`" if suggestion and suggestion != name
              else "rename it after the change it makes")
    message = rules.get("FBP600").format(name=name, problem=problem, remedy=remedy)
    yield Finding(1, 0, "FBP600", message, data={"suggestion": suggestion})


def _short(path: str, project_root: Optional[str]) -> str:
    """The configuration's path from the project root, or its file name."""
    if project_root and path.startswith(project_root.rstrip(os.sep) + os.sep):
        return os.path.relpath(path, project_root).replace(os.sep, "/")
    return os.path.basename(path)


def _descriptive(slug: str, revision: Optional[str], rev: Optional[str]) -> bool:
    words = slug.strip("_")
    if not words:
        return False
    if revision and words.lower() == revision.lower():
        return False
    if rev and words.lower() == rev.lower():
        return False
    return not _HEX.match(words.lower())


def _suggest(tree: ast.Module, template: str, revision: Optional[str]) -> Optional[str]:
    """The file name Alembic would have given, from the docstring's message and date."""
    doc = ast.get_docstring(tree) or ""
    lines = doc.strip().splitlines()
    message = lines[0] if lines else ""
    slug = "_".join(_SLUG_WORDS.findall(message)).lower()[:40].rstrip("_")
    if not slug or _HEX.match(slug) or slug in _PLACEHOLDER_MESSAGES:
        return None
    values: dict[str, object] = {"rev": revision or "", "slug": slug}
    date = _CREATE_DATE.search(doc)
    if date:
        numbers = [int(part) for part in date.groups()]
        try:
            moment = datetime.datetime(*numbers)
        except ValueError:
            moment = None
        if moment is not None:
            values.update(year=moment.year, month=moment.month, day=moment.day,
                          hour=moment.hour, minute=moment.minute, second=moment.second,
                          epoch=int(moment.replace(tzinfo=datetime.timezone.utc)
                                    .timestamp()))
    if "%(rev)" in template and not revision:
        return None
    rendered = templates.render(template, values)
    return rendered + ".py" if rendered else None


# -- FBP601 ----------------------------------------------------------------------------


def _check_downgrade(tree: ast.Module) -> Iterator[Finding]:
    functions = {node.name: node for node in tree.body
                 if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    downgrade = functions.get("downgrade")
    if downgrade is None:
        if _assigned_at_module_level(tree, "downgrade"):
            return  # `downgrade = some_helper(...)`: defined, just not by `def`
        upgrade = functions.get("upgrade")
        if upgrade is not None:
            yield at(upgrade, "FBP601", problem="is missing")
        return
    upgrade = functions.get("upgrade")
    if upgrade is not None and all(_does_nothing(s) for s in upgrade.body):
        return  # an empty migration (a merge point, a placeholder): nothing to undo
    if all(_does_nothing(statement) for statement in downgrade.body):
        yield at(downgrade, "FBP601", problem="does nothing")


def _assigned_at_module_level(tree: ast.Module, name: str) -> bool:
    for node in tree.body:
        if isinstance(node, ast.Assign):
            if any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                return True
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            if any((a.asname or a.name.split(".")[0]) == name for a in node.names):
                return True
    return False


def _does_nothing(statement: ast.stmt) -> bool:
    """`pass`, `...` or a string: nothing a downgrade could run."""
    if isinstance(statement, ast.Pass):
        return True
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
        value = statement.value.value
        return value is Ellipsis or isinstance(value, str)
    return False


# -- FBP602 ----------------------------------------------------------------------------


def _check_imports(ctx: FileContext, first_party: frozenset[str]) -> Iterator[Finding]:
    package = ctx.info.package
    for node in _runtime_imports(ctx.tree):
        for module in _imported_modules(node, package):
            top = module.split(".")[0]
            if _is_relative(node) or top in first_party:
                if _is_app_code(module):
                    yield at(node, "FBP602", module=module)
                    break


def _is_relative(node: ast.AST) -> bool:
    return isinstance(node, ast.ImportFrom) and node.level > 0


def _runtime_imports(tree: ast.Module):
    """Every import statement, except those under `if TYPE_CHECKING:`."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
            continue
        if isinstance(node, ast.If) and is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.expr, ast.expr_context)):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _imported_modules(node, package: Optional[str]) -> list[str]:
    """The dotted paths an import names: modules, and `module.name` for from-imports."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = resolve_relative(node.level, node.module, package).lstrip(".")
    if not base:
        return [alias.name for alias in node.names if alias.name != "*"]
    return [base] + [target for _, target in import_bindings(node, package)
                     if not target.startswith(".")]


def _is_app_code(module: str) -> bool:
    parts = module.split(".")[1:] or module.split(".")
    return any(part in APP_PARTS or part.endswith(APP_SUFFIXES) for part in parts)
