"""FBP203, FBP204: validation that belongs in a dependency; dependencies built inline.

FBP203 compares the routes of one module. `inline_lookups` describes each route's
lookup-or-404 as plain data (a key, a label, a position), so that a project index can
later collect them across modules and compare the whole project the same way.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
import fnmatch
import re
from typing import Iterator, Optional

from ..context import FileContext
from ..findings import Finding, at
from ..names import dotted

HTTP_EXCEPTIONS = frozenset(
    ("fastapi.HTTPException", "fastapi.exceptions.HTTPException",
     "starlette.exceptions.HTTPException")
)
PLACEHOLDER = re.compile(r"\{([A-Za-z_]\w*)(?::[A-Za-z_]\w*)?\}")
_LOOKAHEAD = 3  # statements between a lookup and its check
_MAX_LOOKUP_NODES = 400
_GENERIC_PARAMS = frozenset(("id", "pk", "uuid", "key", "slug", "name", "uid"))
_INSTANCE_FACTORIES = frozenset(("functools.partial",))


def check(ctx: FileContext) -> Iterator[Finding]:
    yield from _repeated_lookups(ctx)
    yield from _inline_instances(ctx)


# -- FBP203 ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class InlineLookup:
    """One route's lookup by a path parameter followed by a not-found raise."""

    key: str  # the lookup with path parameters written `{}`: equal keys, same lookup
    lookup: str  # the lookup as written, for messages
    callee: str  # what the lookup calls, for messages about long lookups
    param: str  # the path parameter it looks up
    variable: str  # the name the result is bound to
    function: str  # the route function
    line: int
    col: int


def inline_lookups(ctx: FileContext) -> list[InlineLookup]:
    """Every lookup-or-404 written inline in a route of this module."""
    found: list[InlineLookup] = []
    seen: set[int] = set()
    for route in ctx.surface.routes:
        func = route.endpoint
        if func is None or id(func) in seen or route.websocket:
            continue
        seen.add(id(func))
        placeholders = set()
        for registration in ctx.surface.routes_by_endpoint.get(id(func), [route]):
            placeholders.update(PLACEHOLDER.findall(registration.path or ""))
        params = placeholders & _parameter_names(func)
        if params:
            found.extend(_lookups_in(ctx, func, frozenset(params)))
    return found


def _parameter_names(func) -> set[str]:
    args = func.args
    return {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}


def _blocks(ctx: FileContext, func) -> Iterator[list[ast.stmt]]:
    """The statement lists of a function body, nested blocks included."""
    yield func.body
    for node in ctx.names.body_nodes(func):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                yield block
        for handler in getattr(node, "handlers", ()):
            yield handler.body
        for case in getattr(node, "cases", ()):
            yield case.body


def _lookups_in(ctx: FileContext, func, params: frozenset[str]) -> list[InlineLookup]:
    found = []
    for block in _blocks(ctx, func):
        for index, statement in enumerate(block):
            if isinstance(statement, ast.If):
                walrus = _missing_check(statement.test)
                if (isinstance(walrus, ast.NamedExpr)
                        and _raises_not_found(ctx, statement)):
                    item = _lookup(walrus.target.id, walrus.value, params, func,
                                   statement)
                    if item is not None:
                        found.append(item)
                continue
            bound = _bound_lookup(statement)
            if bound is None:
                continue
            variable, value = bound
            for later in block[index + 1: index + 1 + _LOOKAHEAD]:
                checked = (_missing_check(later.test) if isinstance(later, ast.If)
                           else None)
                if isinstance(checked, ast.Name) and checked.id == variable:
                    if _raises_not_found(ctx, later):
                        item = _lookup(variable, value, params, func, statement)
                        if item is not None:
                            found.append(item)
                    break
                if _rebinds(later, variable):
                    break
    return found


def _bound_lookup(statement: ast.stmt) -> Optional[tuple[str, ast.expr]]:
    """(name, value) of `name = <call>` or `name: T = <call>`."""
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target, value = statement.targets[0], statement.value
    elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
        target, value = statement.target, statement.value
    else:
        return None
    if not isinstance(target, ast.Name):
        return None
    return target.id, value


def _lookup(variable: str, value: ast.expr, params: frozenset[str], func,
            where: ast.stmt) -> Optional[InlineLookup]:
    """The lookup when `value` is a call that uses a path parameter."""
    if isinstance(value, ast.Await):
        value = value.value
    if not isinstance(value, ast.Call):
        return None
    used = sorted({n.id for n in ast.walk(value)
                   if isinstance(n, ast.Name) and n.id in params})
    if not used:
        return None
    if sum(1 for _ in ast.walk(value)) > _MAX_LOOKUP_NODES:
        return None  # not a lookup anyone writes twice by hand
    try:
        normalized = copy.deepcopy(value)
        for node in ast.walk(normalized):
            if isinstance(node, ast.Name) and node.id in params:
                node.id = "{}"
        key, text = ast.unparse(normalized), ast.unparse(value)
        callee = ast.unparse(value.func)
    except RecursionError:
        return None
    return InlineLookup(key, text, callee, used[0], variable, func.name, where.lineno,
                        where.col_offset)


def _missing_check(test: ast.expr) -> Optional[ast.expr]:
    """What `not x`, `x is None`, `x == None` checks (the first operand of an `or`)."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or):
        test = test.values[0]
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return test.operand
    if (isinstance(test, ast.Compare) and len(test.ops) == 1
            and isinstance(test.ops[0], (ast.Is, ast.Eq))
            and isinstance(test.comparators[0], ast.Constant)
            and test.comparators[0].value is None):
        return test.left
    return None


def _rebinds(statement: ast.stmt, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)
               for n in ast.walk(statement))


def _raises_not_found(ctx: FileContext, statement: ast.If) -> bool:
    for inner in statement.body:
        if isinstance(inner, ast.Raise) and inner.exc is not None:
            return _is_not_found(ctx, inner.exc)
    return False


def _is_not_found(ctx: FileContext, exc: ast.expr) -> bool:
    call = exc if isinstance(exc, ast.Call) else None
    target = call.func if call is not None else exc
    path = ctx.names.resolve(target) or ""
    name = path.rsplit(".", 1)[-1] if path else _last_name(target)
    if name is None:
        return False
    if path in HTTP_EXCEPTIONS or name == "HTTPException":
        if call is None:
            return False
        status = call.args[0] if call.args else None
        for keyword in call.keywords:
            if keyword.arg == "status_code":
                status = keyword.value
        return _is_404(status)
    return any(fnmatch.fnmatchcase(name, pattern)
               for pattern in ctx.settings.not_found_exceptions)


def _is_404(node: Optional[ast.expr]) -> bool:
    if isinstance(node, ast.Constant):
        return node.value == 404
    name = _last_name(node) if node is not None else None
    return name in ("HTTP_404_NOT_FOUND", "NOT_FOUND")


def _last_name(node: ast.expr) -> Optional[str]:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _repeated_lookups(ctx: FileContext) -> Iterator[Finding]:
    lookups = inline_lookups(ctx)
    if len(lookups) < 2:
        return
    groups: dict[str, list[InlineLookup]] = {}
    for item in lookups:
        groups.setdefault(item.key, []).append(item)
    for items in groups.values():
        functions = list(dict.fromkeys(item.function for item in items))
        if len(functions) < 2:
            continue
        shown = ", ".join(f"`{name}`" for name in functions[:3])
        if len(functions) > 3:
            shown += f" and {len(functions) - 3} more"
        for item in items:
            yield at(_Position(item.line, item.col), "FBP203",
                     {"key": item.key, "param": item.param},
                     lookup=_shorten(item), count=len(functions), routes=shown,
                     suggestion=_dependency_name(item))


@dataclasses.dataclass
class _Position:
    """Where a finding stands, for `at()`."""

    lineno: int
    col_offset: int


def _dependency_name(item: InlineLookup) -> str:
    if item.param in _GENERIC_PARAMS and item.variable.isidentifier():
        return f"valid_{item.variable}_{item.param}"
    return f"valid_{item.param}"


def _shorten(item: InlineLookup, limit: int = 48) -> str:
    """The lookup as written, or its callee with `(...)` when that is too long."""
    if len(item.lookup) <= limit:
        return item.lookup
    callee = item.callee
    return (callee if len(callee) <= limit else callee[: limit - 3] + "...") + "(...)"


# -- FBP204 ----------------------------------------------------------------------------


def _inline_instances(ctx: FileContext) -> Iterator[Finding]:
    if not ctx.mentions("Depends", "Security") or not ctx.imports_from("fastapi"):
        return  # `Depends` comes from FastAPI, spelled so whatever the alias
    surface = ctx.surface
    seen: set[int] = set()
    candidates: list[ast.Call] = []
    for func in surface.functions:
        args = func.args
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
            if arg.annotation is not None:
                candidates.extend(_depends_calls(ctx, arg.annotation))
        for default in (*args.defaults, *args.kw_defaults):
            if default is not None:
                candidates.extend(_depends_calls(ctx, default))
    for keyword in ctx.nodes_mentioning((ast.keyword,), ("dependencies",)):
        if keyword.arg == "dependencies":
            candidates.extend(_depends_calls(ctx, keyword.value))
    for depends in sorted(candidates, key=lambda n: (n.lineno, n.col_offset)):
        if id(depends) in seen:
            continue
        seen.add(id(depends))
        target = depends.args[0] if depends.args else None
        for keyword in depends.keywords:
            if keyword.arg == "dependency":
                target = keyword.value
        if isinstance(target, ast.Call) and _builds_instance(ctx, target):
            yield at(target, "FBP204", call=_call_label(target))


def _depends_calls(ctx: FileContext, node: ast.expr) -> list[ast.Call]:
    return [n for n in ast.walk(node)
            if isinstance(n, ast.Call) and ctx.surface.is_depends(n)]


def _builds_instance(ctx: FileContext, call: ast.Call) -> bool:
    """Whether `call` makes a new object: a class (or `functools.partial`) called."""
    path = ctx.names.resolve(call.func)
    if path is not None:
        if path in _INSTANCE_FACTORIES:
            return True
        module, _, name = path.rpartition(".")
        if module == ctx.names.module and name in ctx.surface.classes:
            return True
        if module == ctx.names.module or "(" in path or "[" in path:
            return False  # a function of this module, or a method of an object
    else:
        name = _last_name(call.func) or ""
    return name[:1].isupper() and not name.isupper()


def _call_label(call: ast.Call) -> str:
    """`RoleChecker('admin')`, or `RoleChecker(...)` when the arguments are long."""
    name = dotted(call.func) or "..."
    if sum(1 for _ in ast.walk(call)) <= 40:
        text = ast.unparse(call)
        if len(text) <= 40:
            return text
    return name[:32] + "(...)"
