"""FBP100 fixes: `async def` -> `def`, and `time.sleep(x)` -> `await asyncio.sleep(x)`.

`async def` becomes `def` for a route or dependency that awaits nothing: FastAPI then
runs it in its threadpool, where blocking is harmless. Declined when something else
could depend on it being a coroutine function: a method, another decorator than the
route's, a websocket route, a use of the function other than `Depends(...)` or route
registration (it may be awaited), a name in `__all__`, or a body that uses asyncio,
anyio or trio (which need the event loop).

`time.sleep(x)` written as a statement in an `async def` becomes
`await asyncio.sleep(x)`, adding `import asyncio` unless the module has it. Declined
when `asyncio` names something else in the module.
"""

from __future__ import annotations

import ast
from typing import Optional, Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from ..findings import Finding
from ..names import Names, walk_shallow
from ..surface import DEPENDS, ROUTE_CALLS, ROUTE_DECORATORS
from .base import (Attempt, Declined, Refusal, add_import, binding_names, char_col,
                   exported_names, lines_of, module_level_imports, parents, parse_ast,
                   parse_cst, refuse_all)

EVENT_LOOP_LIBRARIES = ("asyncio", "anyio", "trio", "sniffio")


# -- async def -> def ----------------------------------------------------------------

def fix_def(text: str, findings: Sequence[Finding]) -> Attempt:
    """Declare the routes and dependencies of `findings` with `def`."""
    tree = parse_ast(text)
    by_key: dict[tuple[str, int], list[Finding]] = {}
    for finding in findings:
        key = (str(finding.data.get("function")), int(finding.data.get("def_line", 0)))
        by_key.setdefault(key, []).append(finding)
    functions = {(node.name, node.lineno): node for node in ast.walk(tree)
                 if isinstance(node, ast.AsyncFunctionDef)}
    parent_of = parents(tree)
    names = Names(tree)
    exported = exported_names(tree)
    refusals: list[Refusal] = []
    wanted: set[tuple[str, int]] = set()
    for key, group in by_key.items():
        node = functions.get(key)
        reason = ("cannot find the function" if node is None
                  else _def_refusal(node, tree, parent_of, names, exported))
        if reason:
            refusals.extend(Refusal(f, reason) for f in group)
        else:
            wanted.add(key)
    if not wanted:
        return Attempt(text, refusals)
    try:
        module = parse_cst(text)
    except Declined as declined:
        return refuse_all(text, findings, str(declined))
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    transformer = _ToDef(wanted)
    new = wrapper.visit(transformer)
    for key in wanted - transformer.done:
        refusals.extend(Refusal(f, "cannot locate the function") for f in by_key[key])
    return Attempt(new.code, refusals)


def _def_refusal(func: ast.AsyncFunctionDef, tree: ast.Module,
                 parent_of: dict[int, ast.AST], names: Names,
                 exported: Optional[set[str]]) -> Optional[str]:
    if isinstance(parent_of.get(id(func)), ast.ClassDef):
        return "it is a method: callers may await it"
    for decorator in func.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else None
        if not (isinstance(target, ast.Attribute) and target.attr in ROUTE_DECORATORS):
            return (f"it is decorated with `@{ast.unparse(decorator)}`, which may "
                    "need a coroutine function")
        if target.attr == "websocket":
            return "websocket routes must stay `async def`"
    if exported is None or func.name in exported:
        return f"`{func.name}` is exported through `__all__`: importers may await it"
    shared = _shared_state_changed(func)
    if shared:
        return (f"it changes shared state (`{shared}`), which requests running in "
                "threads could race on")
    for node in walk_shallow(func.body):
        if isinstance(node, ast.Name):
            path = names.resolve(node, names.scope(func)) or ""
            if path.split(".")[0] in EVENT_LOOP_LIBRARIES:
                return (f"it uses `{node.id}`, which needs the event loop FastAPI "
                        "would no longer run it on")
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == func.name and not _registration(
                node, parent_of, names):
            return (f"`{func.name}` is also used on line {node.lineno}, where it may "
                    "be awaited")
    return None


def _shared_state_changed(func: ast.AsyncFunctionDef) -> Optional[str]:
    """A name from outside the function whose value the function changes in place.

    On the event loop such changes never interleave; in FastAPI's threadpool, two
    requests could. Calls that change state (`cache.update(...)`) are not seen.
    """
    local = {a.arg for a in (*func.args.posonlyargs, *func.args.args,
                             *func.args.kwonlyargs, func.args.vararg, func.args.kwarg)
             if a is not None}
    targets: list[ast.expr] = []
    for node in walk_shallow(func.body):
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            return node.names[0]
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            local.add(node.id)
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets.extend(node.targets if isinstance(node, (ast.Assign, ast.Delete))
                           else [node.target])
    while targets:
        target = targets.pop()
        if isinstance(target, (ast.Tuple, ast.List)):
            targets.extend(target.elts)
            continue
        if isinstance(target, ast.Starred):
            targets.append(target.value)
            continue
        if not isinstance(target, (ast.Subscript, ast.Attribute)):
            continue
        base = target
        while isinstance(base, (ast.Subscript, ast.Attribute)):
            base = base.value
        if isinstance(base, ast.Name) and base.id not in local:
            return base.id
    return None


def _registration(name: ast.Name, parent_of: dict[int, ast.AST], names: Names) -> bool:
    """Whether `name` goes to `Depends(...)`/`Security(...)` or is a route endpoint."""
    parent = parent_of.get(id(name))
    if isinstance(parent, ast.keyword):
        keyword, parent = parent, parent_of.get(id(parent))
        if not isinstance(parent, ast.Call):
            return False
        if keyword.arg == "dependency":
            return (names.resolve(parent.func) or "") in DEPENDS
        return keyword.arg == "endpoint" and _is_route_call(parent)
    if not isinstance(parent, ast.Call) or name not in parent.args:
        return False
    if parent.args[0] is name and (names.resolve(parent.func) or "") in DEPENDS:
        return True
    return len(parent.args) > 1 and parent.args[1] is name and _is_route_call(parent)


def _is_route_call(call: ast.Call) -> bool:
    return isinstance(call.func, ast.Attribute) and call.func.attr in ROUTE_CALLS


class _ToDef(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, wanted: set[tuple[str, int]]) -> None:
        super().__init__()
        self.wanted = wanted
        self.done: set[tuple[str, int]] = set()

    def leave_FunctionDef(self, original: cst.FunctionDef,
                          updated: cst.FunctionDef) -> cst.FunctionDef:
        if original.asynchronous is None:
            return updated
        asynchronous = self.get_metadata(PositionProvider, original.asynchronous, None)
        line = (asynchronous.start.line if asynchronous is not None
                else self.get_metadata(PositionProvider, original.name).start.line)
        key = (original.name.value, line)
        if key not in self.wanted:
            return updated
        self.done.add(key)
        return updated.with_changes(asynchronous=None)


# -- time.sleep(x) -> await asyncio.sleep(x) -----------------------------------------

def fix_sleep(text: str, findings: Sequence[Finding]) -> Attempt:
    """Turn the `time.sleep(...)` statements of `findings` into `asyncio.sleep`."""
    tree = parse_ast(text)
    problem = _asyncio_conflict(tree)
    if problem:
        return refuse_all(text, findings, problem)
    lines = lines_of(text)
    wanted = {(f.line, char_col(lines, f.line, f.col)): f for f in findings}
    try:
        module = parse_cst(text)
    except Declined as declined:
        return refuse_all(text, findings, str(declined))
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    transformer = _ToAsyncSleep(set(wanted))
    new = wrapper.visit(transformer)
    refusals = [Refusal(f, "cannot locate the call as a statement")
                for key, f in wanted.items() if key not in transformer.done]
    if transformer.done and not _imports_asyncio(tree):
        new = add_import(new, "asyncio")
    return Attempt(new.code, refusals)


def _asyncio_conflict(tree: ast.Module) -> Optional[str]:
    """Why `asyncio` cannot be used as the module's name for asyncio, or None."""
    for node in ast.walk(tree):
        for name, binder in binding_names(node):
            if name != "asyncio":
                continue
            if isinstance(binder, ast.Import) and all(
                    alias.name.split(".")[0] == "asyncio"
                    for alias in binder.names
                    if (alias.asname or alias.name.split(".")[0]) == "asyncio"):
                continue
            if isinstance(binder, ast.Name) and isinstance(binder.ctx, ast.Load):
                continue
            return "`asyncio` names something else in this module"
    return None


def _imports_asyncio(tree: ast.Module) -> bool:
    for node in module_level_imports(tree):
        if isinstance(node, ast.Import) and any(
                alias.name.split(".")[0] == "asyncio"
                and alias.asname in (None, "asyncio")
                for alias in node.names):
            return True
    return False


class _ToAsyncSleep(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, wanted: set[tuple[int, int]]) -> None:
        super().__init__()
        self.wanted = wanted
        self.done: set[tuple[int, int]] = set()

    def leave_Expr(self, original: cst.Expr, updated: cst.Expr) -> cst.Expr:
        call = original.value
        if not isinstance(call, cst.Call):
            return updated
        start = self.get_metadata(PositionProvider, call).start
        key = (start.line, start.column)
        if key not in self.wanted:
            return updated
        self.done.add(key)
        new_call = cst.Call(
            func=cst.Attribute(value=cst.Name("asyncio"), attr=cst.Name("sleep")),
            args=updated.value.args,  # type: ignore[union-attr]
            whitespace_after_func=updated.value.whitespace_after_func,  # type: ignore
            whitespace_before_args=updated.value.whitespace_before_args,  # type: ignore
        )
        awaited = cst.Await(expression=new_call, lpar=call.lpar, rpar=call.rpar)
        return updated.with_changes(value=awaited)
