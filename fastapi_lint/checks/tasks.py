"""FBP400 and FBP401: fire-and-forget tasks; background tasks that block the loop."""

from __future__ import annotations

import ast
from typing import Iterator, Optional

from .. import rules
from ..context import FileContext
from ..findings import Finding, at
from ..names import dotted
from .blocking import chain_text

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
BACKGROUND_TASKS = frozenset(
    ("fastapi.BackgroundTasks", "fastapi.background.BackgroundTasks",
     "starlette.background.BackgroundTasks")
)
_DISCARDED = " and keeps no reference to"


def check(ctx: FileContext) -> Iterator[Finding]:
    surface = ctx.surface
    for func in surface.functions:
        if surface.is_route_or_dependency(func):
            yield from _check_function(ctx, func)


def _check_function(ctx: FileContext, func) -> Iterator[Finding]:
    routes = ctx.surface.routes_by_endpoint.get(id(func), [])
    # The fix moves the work to `BackgroundTasks`: only (non-websocket) routes get one.
    fixable = bool(routes) and not any(route.websocket for route in routes)
    starts: list[ast.Call] = []
    scope = ctx.scope(func)
    awaited_calls: set[int] = set()
    awaited_names: set[str] = set()
    marked: set[int] = set()
    nodes = ctx.names.body_nodes(func)
    for node in nodes:
        kind = type(node)
        if kind is ast.Await:
            _mark(node.value, marked, awaited_calls, awaited_names)
        elif kind is ast.Call:
            path = ctx.names.call_path(node, scope)
            if path in TASK_STARTERS:
                starts.append(node)
            elif path in AWAITERS:
                for arg in (*node.args, *(k.value for k in node.keywords)):
                    _mark(arg, marked, awaited_calls, awaited_names)
    parents: dict[int, ast.AST] = {}
    if starts:  # only a started task needs to know what holds it
        for node in nodes:
            for child in ast.iter_child_nodes(node):
                parents[id(child)] = node
    for call in starts:
        if id(call) in awaited_calls:
            continue
        holder = _holder(call, parents)
        if holder is not None and holder in awaited_names:
            continue
        detail = _DISCARDED if holder in (None, "_") else ""
        path = ctx.names.call_path(call, scope) or ""
        label = path if "()" not in path else (dotted(call.func, limit=5) or path)
        data = {"fix": "background" if holder is None and fixable else None,
                "function": func.name, "def_line": func.lineno,
                "tasks_param": _tasks_parameter(ctx, func, scope)}
        yield at(call, "FBP400", data, call=label + "()", function=func.name,
                 detail=detail)


def _tasks_parameter(ctx: FileContext, func, scope) -> Optional[str]:
    """The name of the function's `BackgroundTasks` parameter, if it has one."""
    args = func.args
    for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
        if arg.annotation is None:
            continue
        target = ctx.names.unwrap_annotation(arg.annotation, scope)
        if target is not None and ctx.names.resolve(target, scope) in BACKGROUND_TASKS:
            return arg.arg
    return None


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


def check_background(ctx: FileContext) -> Iterator[Finding]:
    """FBP401: an `async def` that blocks, handed to `BackgroundTasks.add_task`."""
    if not _mentions_tasks(ctx):
        return
    summary = ctx.summary
    index, _ = ctx.project
    for info in summary.functions.values():
        for path, line, col in info.tasks:
            target = index.lookup(path)
            if target is None or target.kind != "function":
                continue
            task = index.function(target.key)
            if task is None or not task.is_async:
                continue
            chain = index.blocking_chain(target.key)
            if not chain:
                continue
            if task.awaits:
                remedy = ("await async counterparts of the blocking calls, or move "
                          "them into a `def` task")
            else:
                remedy = (f"declare `{task.name}` with `def` so it runs in the "
                          "threadpool")
            message = rules.get("FBP401").format(
                task=task.name, chain=chain_text(chain), remedy=remedy)
            yield Finding(line, col, "FBP401", message,
                          data={"function": task.name, "chain": chain})


def _mentions_tasks(ctx: FileContext) -> bool:
    """Whether the module may hand work to background tasks (a cheap first look)."""
    if ctx.source is not None:
        return "add_task" in ctx.source or "BackgroundTask" in ctx.source
    return any(info.tasks for info in ctx.summary.functions.values())
