"""FBP100: blocking calls in the body of an `async def`."""

from __future__ import annotations

import ast
from typing import Iterator

from .. import catalog
from ..context import FileContext
from ..findings import Finding, at
from ..names import walk_shallow

SAFE_WRAPPERS = frozenset(
    ("fastapi.concurrency.run_in_threadpool", "starlette.concurrency.run_in_threadpool",
     "asyncio.to_thread", "asyncio.threads.to_thread", "anyio.to_thread.run_sync",
     "asgiref.sync.sync_to_async", "asyncer.asyncify")
)
ASYNC_MARKERS = (ast.Await, ast.AsyncFor, ast.AsyncWith)


def awaits_something(func: ast.AsyncFunctionDef) -> bool:
    """Whether the body awaits (`await`, `async for`, `async with`, async comprehension)."""
    for node in walk_shallow(func.body):
        if isinstance(node, ASYNC_MARKERS):
            return True
        if isinstance(node, ast.comprehension) and node.is_async:
            return True
    return False


def call_label(func: ast.expr, path: str) -> str:
    """How a message names a call: `time.sleep()`, `open()`, `db.get()` on `Session`."""
    if path.startswith("builtins."):
        path = path[len("builtins."):]
    receiver, made, _ = path.partition("()")
    text = dotted_text(func)
    if made and text is not None:
        return f"`{text}()` on a `{receiver}`"
    return f"`{path}()`"


def dotted_text(node: ast.expr):
    """`a.b.c` for a chain of names and attributes (at most 5), else None."""
    parts = []
    while isinstance(node, ast.Attribute) and len(parts) < 5:
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def check(ctx: FileContext) -> Iterator[Finding]:
    extra = frozenset(ctx.settings.extra_blocking_calls)
    wrappers = SAFE_WRAPPERS | frozenset(ctx.settings.extra_safe_wrappers)
    for func in ctx.surface.functions:
        if isinstance(func, ast.AsyncFunctionDef):
            yield from _check_function(ctx, func, extra, wrappers)


def _check_function(ctx: FileContext, func: ast.AsyncFunctionDef, extra, wrappers):
    scope = None
    awaited: set[int] = set()
    statements: set[int] = set()  # calls that are a statement of their own
    routes = ctx.surface.routes_by_endpoint.get(id(func), ())
    # A websocket endpoint must stay `async def`: never suggest `def` for one.
    endpoint_like = ctx.surface.is_route_or_dependency(func) and not (
        routes and all(route.websocket for route in routes))
    to_def = None
    for node in walk_shallow(func.body):
        if isinstance(node, ast.Await):
            awaited.add(id(node.value))
            continue
        if isinstance(node, ast.Expr):
            statements.add(id(node.value))
            continue
        if not isinstance(node, ast.Call) or id(node) in awaited:
            continue
        if isinstance(node.func, ast.Call):
            # `sync_to_async(fn)(...)`: the wrapper runs `fn` off the loop.
            if (ctx.names.resolve(node.func.func, scope) or "") in wrappers:
                continue
        if scope is None:
            scope = ctx.scope(func)
        path = ctx.names.call_path(node, scope)
        if path is None:
            continue
        remedy = catalog.blocking_remedy(path, extra)
        if remedy is None:
            continue
        if endpoint_like:
            if to_def is None:
                to_def = not awaits_something(func)
            if to_def:
                remedy = (f"declare `{func.name}` with `def` so FastAPI runs it in its "
                          "threadpool")
        if endpoint_like and to_def:
            fix = "def"
        elif path == "time.sleep" and id(node) in statements:
            fix = "sleep"  # as a statement, `await` can take its place as it is
        else:
            fix = None
        data = {"fix": fix, "function": func.name, "def_line": func.lineno}
        yield at(node, "FBP100", data, call=call_label(node.func, path), function=func.name,
                 remedy=remedy)
