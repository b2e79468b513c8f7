"""FBP400: fire-and-forget tasks started in routes and dependencies."""

from __future__ import annotations

import ast
from typing import Iterator, Optional

from ..context import FileContext
from ..findings import Finding, at
from ..names import walk_shallow

TASK_STARTERS = frozenset(
    f"{loop}.{method}"
    for loop in ("asyncio", "asyncio.tasks", "asyncio.get_event_loop()",
                 "asyncio.get_running_loop()", "asyncio.new_event_loop()",
                 "asyncio.events.get_event_loop()", "asyncio.events.get_running_loop()")
    for method in ("create_task", "ensure_future")
    if not (loop.endswith("()") and method == "ensure_future")
)
AWAITERS = frozenset(
    f"asyncio.{name}" for name in ("gather", "wait", "as_completed", "wait_for", "shield")
)
_DISCARDED = " (its result is discarded, so it can be garbage-collected mid-flight)"


def check(ctx: FileContext) -> Iterator[Finding]:
    surface = ctx.surface
    for func in surface.functions:
        if surface.is_route_or_dependency(func):
            yield from _check_function(ctx, func)


def _check_function(ctx: FileContext, func) -> Iterator[Finding]:
    parents: dict[int, ast.AST] = {}
    starts: list[ast.Call] = []
    scope = ctx.scope(func)
    awaited_calls: set[int] = set()
    awaited_names: set[str] = set()
    marked: set[int] = set()
    for node in walk_shallow(func.body):
        for child in ast.iter_child_nodes(node):
            parents[id(child)] = node
        if isinstance(node, ast.Await):
            _mark(node.value, marked, awaited_calls, awaited_names)
        elif isinstance(node, ast.Call):
            path = ctx.names.call_path(node, scope)
            if path in TASK_STARTERS:
                starts.append(node)
            elif path in AWAITERS:
                for arg in (*node.args, *(k.value for k in node.keywords)):
                    _mark(arg, marked, awaited_calls, awaited_names)
    for call in starts:
        if id(call) in awaited_calls:
            continue
        holder = _holder(call, parents)
        if holder is not None and holder in awaited_names:
            continue
        detail = _DISCARDED if holder in (None, "_") else ""
        label = ast.unparse(call.func) if _short(call.func) else "create_task"
        yield at(call, "FBP400",
                 {"fix": "background" if holder is None else None, "function": func.name},
                 call=label + "()", function=func.name, detail=detail)


def _mark(node: ast.AST, marked: set[int], calls: set[int], names: set[str]) -> None:
    """Record the calls and names under an awaited expression.

    A node already marked was reached from an outer awaited expression with all it
    holds, so its subtree is not walked again: nested awaits cost linear time.
    """
    stack = [node]
    while stack:
        inner = stack.pop()
        if id(inner) in marked:
            continue
        marked.add(id(inner))
        if isinstance(inner, ast.Call):
            calls.add(id(inner))
        elif isinstance(inner, ast.Name):
            names.add(inner.id)
        stack.extend(ast.iter_child_nodes(inner))


def _holder(call: ast.Call, parents: dict[int, ast.AST]) -> Optional[str]:
    """The name that keeps the task: `t = ...`, `tasks = [...]`, `tasks.append(...)`."""
    node: ast.AST = call
    for _ in range(20):
        parent = parents.get(id(node))
        if parent is None or isinstance(parent, ast.Expr):
            return None
        if isinstance(parent, (ast.Assign, ast.AnnAssign, ast.NamedExpr)):
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            return names[0] if names else "<kept>"
        if isinstance(parent, ast.Call) and isinstance(parent.func, ast.Attribute):
            if parent.func.attr in ("append", "add", "extend", "insert"):
                base = parent.func.value
                return base.id if isinstance(base, ast.Name) else "<kept>"
        if isinstance(parent, ast.Return):
            return "<returned>"
        if isinstance(parent, (ast.stmt, ast.Lambda)):
            return "<kept>"
        node = parent
    return "<kept>"


def _short(node: ast.AST) -> bool:
    depth = 0
    while isinstance(node, (ast.Attribute, ast.Call)):
        node = node.value if isinstance(node, ast.Attribute) else node.func
        depth += 1
        if depth > 6:
            return False
    return isinstance(node, ast.Name)
