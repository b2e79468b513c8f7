"""FBP610: the sync `TestClient` in async tests and fixtures.

One finding per client, where it is built: in an `async def`, or at module level or in a
sync fixture of the same module when an `async def` there uses it (by name, or by asking
for the fixture as a parameter). With `async-test-client = "strict"` every client built
in a test module is reported. A client whose code opens websockets is left alone:
`httpx` has no websocket client to offer instead.
"""

from __future__ import annotations

import ast
from typing import Iterator, Optional

from ..context import FileContext
from ..findings import Finding, at
from ..names import walk_shallow

CLIENTS = frozenset(
    ("fastapi.testclient.TestClient", "starlette.testclient.TestClient"))
FIXTURES = frozenset(("pytest.fixture", "pytest_asyncio.fixture"))
_WEBSOCKET = "websocket_connect"


def check(ctx: FileContext) -> Iterator[Finding]:
    if not ctx.is_test:
        return
    clients = _client_classes(ctx)
    if clients is None:
        return
    strict = ctx.settings.async_test_client == "strict"
    websocket_names = _websocket_names(ctx.tree)
    fixture_clients: dict[str, list[ast.Call]] = {}
    module_clients: dict[str, list[ast.Call]] = {}
    pending: list[ast.Call] = []
    for owner, call, bound in _constructions(ctx, clients):
        fixture = _fixture_name(ctx, owner) if owner is not None else None
        if owner is None:
            websockets = any(name in websocket_names for name in bound)
        else:
            websockets = _opens_websockets(owner) or fixture in websocket_names
        if websockets:
            continue
        if strict or isinstance(owner, ast.AsyncFunctionDef):
            where = (f"built in async `{owner.name}`"
                     if isinstance(owner, ast.AsyncFunctionDef)
                     else "in a test module (strict mode)")
            yield at(call, "FBP610", where=where)
            continue
        if owner is None:
            for name in bound:
                module_clients.setdefault(name, []).append(call)
        elif fixture is not None:
            fixture_clients.setdefault(fixture, []).append(call)
        pending.append(call)
    if not pending:
        return
    users: dict[int, str] = {}
    for func in ctx.surface.functions:
        if not isinstance(func, ast.AsyncFunctionDef):
            continue
        params = {a.arg for a in (*func.args.posonlyargs, *func.args.args,
                                  *func.args.kwonlyargs)}
        for name in params & fixture_clients.keys():
            for call in fixture_clients[name]:
                users.setdefault(id(call), func.name)
        if module_clients:
            for call in _module_clients_used(ctx, func, module_clients, clients):
                users.setdefault(id(call), func.name)
    for call in pending:
        if id(call) in users:
            yield at(call, "FBP610", where=f"used by async `{users[id(call)]}`")


def _client_classes(ctx: FileContext) -> Optional[frozenset[str]]:
    """Paths that build a sync test client here; None when the module has none."""
    known = set(CLIENTS)
    changed = True
    while changed:
        changed = False
        for name, cls in ctx.surface.classes.items():
            path = f"{ctx.names.module}.{name}"
            if path not in known and any((ctx.names.resolve(b) or "") in known
                                         for b in cls.bases):
                known.add(path)
                changed = True
    mentioned = ctx.mentions("TestClient", "testclient") and (
        any("TestClient" in n.id for n in ctx.nodes(ast.Name))
        or any("TestClient" in n.attr for n in ctx.nodes(ast.Attribute))
        or any("TestClient" in alias.name or "testclient" in (node.module or "")
               for node in ctx.nodes(ast.ImportFrom) for alias in node.names)
    )
    return frozenset(known) if mentioned or len(known) > len(CLIENTS) else None


def _constructions(ctx: FileContext, clients: frozenset[str]):
    """(owner function or None, call, names bound to it) for each client built."""
    owners: list[tuple[Optional[ast.AST], list[ast.AST]]] = [(None, ctx.tree.body)]
    owners += [(func, func.body) for func in ctx.surface.functions]
    for owner, body in owners:
        scope = ctx.scope(owner) if owner is not None else None
        bound: dict[int, list[str]] = {}
        calls = []
        for node in walk_shallow(body):
            if isinstance(node, ast.Call):
                if (ctx.names.resolve(node.func, scope) or "") in clients:
                    calls.append(node)
            elif isinstance(node, ast.Assign):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
                bound.setdefault(id(node.value), []).extend(names)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if isinstance(item.optional_vars, ast.Name):
                        bound.setdefault(id(item.context_expr), []).append(
                            item.optional_vars.id)
        for call in calls:
            yield owner, call, bound.get(id(call), [])


def _fixture_name(ctx: FileContext, func: ast.AST) -> Optional[str]:
    """The name a fixture is requested by, or None when `func` is not a fixture."""
    for decorator in getattr(func, "decorator_list", ()):
        call = decorator if isinstance(decorator, ast.Call) else None
        target = call.func if call is not None else decorator
        if (ctx.names.resolve(target) or "") in FIXTURES:
            for keyword in call.keywords if call is not None else ():
                if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                    return str(keyword.value.value)
            return func.name
    return None


def _module_clients_used(ctx: FileContext, func, module_clients: dict[str, list],
                         clients: frozenset[str]):
    """Module-level clients an async function refers to by name."""
    scope = None
    for node in walk_shallow(func.body):
        if isinstance(node, ast.Name) and node.id in module_clients:
            if scope is None:
                scope = ctx.scope(func)
            path = ctx.names.resolve(node, scope) or ""
            if any(path == client + "()" for client in clients):
                yield from module_clients[node.id]


def _opens_websockets(func: ast.AST) -> bool:
    """Whether a function's own body opens a websocket with a test client."""
    return any(isinstance(n, ast.Attribute) and n.attr == _WEBSOCKET
               for n in walk_shallow(func.body))


def _websocket_names(tree: ast.Module) -> set[str]:
    """Names that `.websocket_connect(...)` is called on anywhere in the module."""
    return {n.value.id for n in ast.walk(tree)
            if isinstance(n, ast.Attribute) and n.attr == _WEBSOCKET
            and isinstance(n.value, ast.Name)}
