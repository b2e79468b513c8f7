"""FBP100 and FBP101: blocking calls in an `async def`, directly or through helpers."""

from __future__ import annotations

import ast
from typing import Iterator, Optional

from .. import catalog, rules
from ..context import FileContext
from ..findings import Finding, at
from ..names import FunctionNode, dotted, walk_shallow

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
    text = dotted(func, limit=5)
    if made and text is not None:
        return f"`{text}()` on a `{receiver}`"
    return f"`{path}()`"


def check(ctx: FileContext) -> Iterator[Finding]:
    extra = frozenset(ctx.settings.extra_blocking_calls)
    wrappers = SAFE_WRAPPERS | frozenset(ctx.settings.extra_safe_wrappers)
    for func in ctx.surface.functions:
        if isinstance(func, ast.AsyncFunctionDef):
            yield from _check_function(ctx, func, extra, wrappers)


def sync_calls(ctx: FileContext, func: FunctionNode, wrappers: frozenset,
               walked: Optional[list] = None):
    """(call, resolved path or None) for each call the body makes on its own thread.

    Skipped: awaited calls, `wrapper(fn)(...)` through a safe wrapper, and the bodies of
    nested `def`, `lambda` and `class` (a reference passed to an offloading wrapper is
    not a call at all). The project index reads function bodies through this too.
    `walked`, when given, receives every node walked (parents before children).
    """
    key = ("sync_calls", id(func), wrappers)
    found = ctx.memo.get(key)
    if found is None:
        found = ctx.memo[key] = _sync_calls(ctx, func, wrappers)
    if walked is not None:
        walked.extend(ctx.names.body_nodes(func))
    return iter(found)


def _sync_calls(ctx: FileContext, func: FunctionNode, wrappers: frozenset):
    scope = ctx.scope(func)
    awaited: set[int] = set()
    found = []
    call, await_ = ast.Call, ast.Await
    for node in ctx.names.body_nodes(func):
        kind = type(node)
        if kind is await_:
            awaited.add(id(node.value))
            continue
        if kind is not call or id(node) in awaited:
            continue
        if isinstance(node.func, ast.Call):
            # `sync_to_async(fn)(...)`: the wrapper runs `fn` off the loop.
            if (ctx.names.resolve(node.func.func, scope) or "") in wrappers:
                continue
        found.append((node, ctx.names.call_path(node, scope)))
    return found


_WAITS = frozenset(("os.waitpid", "os.wait3", "os.wait4", "os.waitid"))


def call_remedy(ctx: FileContext, call: ast.Call, path: str,
                extra: frozenset) -> Optional[str]:
    """The remedy when this call blocks: the catalog's verdict for its path, less the
    calls whose arguments make them return at once (`os.waitpid(pid, os.WNOHANG)`)."""
    remedy = catalog.blocking_remedy(path, extra)
    if remedy is not None and path in _WAITS and any(
            ctx.names.resolve(node) == "os.WNOHANG"
            for argument in (*call.args, *(k.value for k in call.keywords))
            for node in ast.walk(argument)
            if isinstance(node, (ast.Name, ast.Attribute))):
        return None
    return remedy


def may_become_def(ctx: FileContext, func: FunctionNode) -> bool:
    """Whether FastAPI would run `func` in its threadpool were it a `def`: a route or
    dependency (a websocket endpoint must stay `async def`)."""
    routes = ctx.surface.routes_by_endpoint.get(id(func), ())
    return ctx.surface.is_route_or_dependency(func) and not (
        routes and all(route.websocket for route in routes))


def _check_function(ctx: FileContext, func: ast.AsyncFunctionDef, extra, wrappers):
    walked: list[ast.AST] = []
    endpoint_like = may_become_def(ctx, func)
    to_def = None
    for node, path in sync_calls(ctx, func, wrappers, walked):
        if path is None:
            continue
        remedy = call_remedy(ctx, node, path, extra)
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
        elif path == "time.sleep" and any(
                isinstance(parent, ast.Expr) and parent.value is node
                for parent in walked):
            fix = "sleep"  # as a statement, `await` can take its place as it is
        else:
            fix = None
        data = {"fix": fix, "function": func.name, "def_line": func.lineno}
        yield at(node, "FBP100", data, call=call_label(node.func, path), function=func.name,
                 remedy=remedy)


def check_helpers(ctx: FileContext) -> Iterator[Finding]:
    """FBP101: calls from an `async def` to sync project functions that block."""
    functions = [func for func in ctx.surface.functions
                 if isinstance(func, ast.AsyncFunctionDef)]
    if not functions:
        return
    summary = ctx.summary
    index, _ = ctx.project
    # What the answer needs of each function, so that it holds no tree.
    asked = []
    for func in functions:
        info = summary.functions.get(ctx.qualname(func) or "")
        if info is not None and info.calls:
            asked.append((func.name, info.calls,
                          not info.awaits and may_become_def(ctx, func)))
    if asked:
        positions = [(line, col, "FBP101")
                     for _, calls, _ in asked for _, line, col in calls]
        # The answer looks up every call's path: it waits while one of them does.
        # (A generator: under flake8, which cannot wait, it is never gone through.)
        yield from ctx.deferrable(index, _helper_findings, (asked,), positions,
                                  looked_up=(path for _, calls, _ in asked
                                             for path, _, _ in calls))


def _helper_findings(index, asked) -> Iterator[Finding]:
    for function, calls, to_def in asked:
        for path, line, col in calls:
            callee = index.callee(path)
            chain = index.blocking_chain(callee) if callee is not None else None
            if not chain:
                continue
            name = chain[0]
            if name.endswith(".__init__"):
                name = name[: -len(".__init__")]  # making an instance
            if to_def:
                remedy = (f"declare `{function}` with `def` so FastAPI runs it in its "
                          "threadpool")
            else:
                remedy = f"run it off the loop, `await run_in_threadpool({name}, ...)`"
            message = rules.get("FBP101").format(
                call=name + "()", function=function, chain=chain_text(chain),
                remedy=remedy)
            yield Finding(line, col, "FBP101", message,
                          data={"function": function, "callee": name, "chain": chain})


def chain_text(chain: tuple[str, ...], limit: int = 6) -> str:
    """`a -> b -> time.sleep`, long chains shortened in the middle."""
    if len(chain) > limit:
        chain = (*chain[:3], "...", *chain[-2:])
    return " -> ".join(chain)
