"""The FastAPI surface of one module: apps, routers, routes and dependencies.

Built once per file from the tree and the resolved names; every check reads it and none
re-derives it.
"""

from __future__ import annotations

import ast
import dataclasses
import fnmatch
from typing import Optional, Union

from .names import FunctionNode, Names, is_type_checking

APP_CLASSES = frozenset(("fastapi.FastAPI", "fastapi.applications.FastAPI"))
ROUTER_CLASSES = frozenset(("fastapi.APIRouter", "fastapi.routing.APIRouter"))
DEPENDS = frozenset(
    ("fastapi.Depends", "fastapi.Security", "fastapi.params.Depends",
     "fastapi.params.Security", "fastapi.param_functions.Depends",
     "fastapi.param_functions.Security")
)
_BLOCK_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")
# Per statement type, its fields that hold statements (or handlers and cases), in the
# order of `_BLOCK_FIELDS`; empty for a simple statement. Filled as types are met.
_BLOCKS_OF: dict[type, tuple[str, ...]] = {}


def _blocks_of(kind: type) -> tuple[str, ...]:
    fields = tuple(f for f in _BLOCK_FIELDS if f in kind._fields)
    _BLOCKS_OF[kind] = fields
    return fields


HTTP_DECORATORS = {
    "get": "GET", "post": "POST", "put": "PUT", "patch": "PATCH", "delete": "DELETE",
    "options": "OPTIONS", "head": "HEAD", "trace": "TRACE",
}
ROUTE_DECORATORS = frozenset((*HTTP_DECORATORS, "api_route", "websocket"))
ROUTE_CALLS = frozenset(("add_api_route", "add_api_websocket_route"))
# Frameworks whose objects also have `.get(...)` decorators: never FastAPI routers.
FOREIGN = frozenset(
    ("flask", "quart", "sanic", "litestar", "starlite", "aiohttp", "bottle", "falcon",
     "django", "ninja", "typer", "click", "celery", "blacksheep", "robyn", "tornado",
     "responder", "apiflask", "connexion", "werkzeug", "unittest", "pytest", "respx",
     "requests", "httpx", "aioresponses", "responses", "mock")
)


@dataclasses.dataclass
class Route:
    """One registration of an endpoint: a route decorator or an `add_api_route` call."""

    node: ast.Call
    kind: str  # "get" ... "api_route", "websocket", "add_api_route", ...
    methods: Optional[tuple[str, ...]]  # None when not a literal
    path: Optional[str]  # None when not a literal
    keywords: dict[str, ast.expr]
    star_kwargs: bool
    endpoint: Optional[FunctionNode]

    @property
    def websocket(self) -> bool:
        return self.kind in ("websocket", "add_api_websocket_route")

    def label(self) -> tuple[str, str]:
        """(methods, path) for messages."""
        methods = "/".join(self.methods) if self.methods else self.kind.upper()
        return methods, self.path if self.path is not None else "..."


class Surface:
    """Apps, routers, routes and dependency functions of one module."""

    def __init__(self, tree: ast.Module, names: Names, router_names: tuple[str, ...]):
        self.names = names
        self.router_names = router_names
        self.functions: list[FunctionNode] = []
        self.parents: dict[int, Optional[ast.AST]] = {}
        self.classes: dict[str, ast.ClassDef] = {}
        self.routes: list[Route] = []
        # every `from ... import ...` with whether it stands under `if TYPE_CHECKING:`
        self.import_froms: list[tuple[ast.ImportFrom, bool]] = []
        self._assigned: dict[str, list[ast.expr]] = {}
        # every statement by its type, at any depth (handlers and cases left out)
        self.statements: dict[type, list[ast.stmt]] = {}
        # defs and classes that bind only on a fallback path of their scope: in an
        # `except` handler or under `if TYPE_CHECKING:` (see `Definitions`)
        self.fallbacks: set[int] = set()
        calls: list[ast.Call] = []
        self._scan(tree, calls)
        self.fastapi_classes = self._local_subclasses(APP_CLASSES | ROUTER_CLASSES)
        self.known_routers = self._known_routers()
        self._find_routes(calls)
        self.routes_by_endpoint: dict[int, list[Route]] = {}
        for route in self.routes:
            if route.endpoint is not None:
                self.routes_by_endpoint.setdefault(id(route.endpoint), []).append(route)
        self.dependencies = self._dependencies()

    # -- one pass over the tree -----------------------------------------------------

    def _scan(self, tree: ast.Module, calls: list[ast.Call]) -> None:
        """One walk over the statements (not expressions): all this needs is there."""
        # (statement, the def or class around it, under `if TYPE_CHECKING:`, a fallback)
        stack: list[tuple[ast.AST, Optional[ast.AST], bool, bool]] = [
            (stmt, None, False, False) for stmt in reversed(tree.body)]
        statements = self.statements
        functions, parents, classes = self.functions, self.parents, self.classes
        fallbacks = self.fallbacks
        assigned, import_froms = self._assigned, self.import_froms
        pop, push = stack.pop, stack.append
        function_def, async_def = ast.FunctionDef, ast.AsyncFunctionDef
        class_def = ast.ClassDef
        expr, assign, ann_assign, import_from, if_ = (
            ast.Expr, ast.Assign, ast.AnnAssign, ast.ImportFrom, ast.If)
        call_type, attribute, name_type = ast.Call, ast.Attribute, ast.Name
        while stack:
            node, parent, typing_only, fallback = pop()
            kind = type(node)
            bucket = statements.get(kind)
            if bucket is None:
                statements[kind] = bucket = []
            bucket.append(node)
            fields = _BLOCKS_OF.get(kind)
            if fields is None:
                fields = _blocks_of(kind)
            if not fields:  # a simple statement: nothing nested in it
                if kind is expr:
                    value = node.value
                    if (type(value) is call_type and type(value.func) is attribute
                            and value.func.attr in ROUTE_CALLS):
                        calls.append(value)
                elif kind is assign:
                    if type(node.value) is call_type:
                        for target in node.targets:
                            if type(target) is name_type:
                                assigned.setdefault(target.id, []).append(node.value)
                elif kind is ann_assign:
                    if type(node.target) is name_type and type(node.value) is call_type:
                        assigned.setdefault(node.target.id, []).append(node.value)
                elif kind is import_from:
                    import_froms.append((node, typing_only))
                continue
            inner_parent = parent
            if kind is function_def or kind is async_def or kind is class_def:
                if kind is class_def:
                    classes.setdefault(node.name, node)
                else:
                    functions.append(node)
                parents[id(node)] = parent
                if fallback:
                    fallbacks.add(id(node))
                inner_parent = node
                fallback = False  # its body is a scope of its own
            elif kind is if_ and is_type_checking(node.test):
                stack.extend((child, parent, True, True)
                             for child in reversed(node.body))
                stack.extend((child, parent, typing_only, fallback)
                             for child in reversed(node.orelse))
                continue
            for field in fields:
                block = getattr(node, field)
                if not block:
                    continue
                if field == "handlers" or field == "cases":
                    handled = fallback or field == "handlers"
                    for child in reversed(block):
                        stack.extend((c, inner_parent, typing_only, handled)
                                     for c in reversed(child.body))
                else:
                    for child in reversed(block):
                        push((child, inner_parent, typing_only, fallback))
        self.functions.sort(key=lambda f: (f.lineno, f.col_offset))

    def _local_subclasses(self, bases: frozenset) -> frozenset:
        """Paths of `bases` plus classes of this module that extend them, transitively."""
        # Each base is resolved once; then known paths spread to the classes extending
        # them, so a long chain of classes costs time in proportion to its length.
        extended_by: dict[str, list[str]] = {}
        for name, cls in self.classes.items():
            path = f"{self.names.module}.{name}"
            for base in cls.bases:
                base_path = self.names.resolve(base)
                if base_path is not None:
                    extended_by.setdefault(base_path, []).append(path)
        known = set(bases)
        queue = list(known)
        while queue:
            for path in extended_by.get(queue.pop(), ()):
                if path not in known:
                    known.add(path)
                    queue.append(path)
        return frozenset(known)

    def _known_routers(self) -> dict[str, bool]:
        """Names assigned a call: True when it makes a FastAPI app or router."""
        verdicts: dict[str, bool] = {}
        for name, values in self._assigned.items():
            for value in values:
                path = self.names.resolve(value.func) or ""
                if path in self.fastapi_classes:
                    verdicts[name] = True
                    break
                if path.split(".")[0] in FOREIGN:
                    verdicts.setdefault(name, False)
        return verdicts

    # -- routers and routes ---------------------------------------------------------

    def is_router(self, node: ast.expr) -> bool:
        """Whether the expression before `.get(...)` is a FastAPI app or router."""
        if isinstance(node, ast.Name):
            verdict = self.known_routers.get(node.id)
            if verdict is not None:
                return verdict
            path = self.names.resolve(node) or ""
            if path.split(".")[0] in FOREIGN:
                return False
            return self._looks_like_router(node.id)
        if isinstance(node, ast.Attribute):
            path = self.names.resolve(node) or ""
            if path.split(".")[0] in FOREIGN or path.startswith("builtins."):
                return False
            return self._looks_like_router(node.attr)
        return False

    def _looks_like_router(self, name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.router_names)

    def _find_routes(self, calls: list[ast.Call]) -> None:
        for func in self.functions:
            for decorator in func.decorator_list:
                route = self._route_from_decorator(decorator, func)
                if route is not None:
                    self.routes.append(route)
        by_name = {f.name: f for f in self.functions}
        top_level = {id(f) for f in self.functions if self.parents.get(id(f)) is None}
        for f in self.functions:  # a module-level definition wins over a nested one
            if id(f) in top_level:
                by_name[f.name] = f
        for call in calls:
            route = self._route_from_call(call, by_name)
            if route is not None:
                self.routes.append(route)
        self.routes.sort(key=lambda r: (r.node.lineno, r.node.col_offset))

    def _route_from_decorator(self, decorator: ast.expr, func: FunctionNode):
        if not isinstance(decorator, ast.Call):
            return None
        target = decorator.func
        if not isinstance(target, ast.Attribute) or target.attr not in ROUTE_DECORATORS:
            return None
        keywords, star = _keywords(decorator)
        path_node = decorator.args[0] if decorator.args else keywords.get("path")
        if path_node is None or not self.is_router(target.value):
            return None
        kind = target.attr
        if kind in HTTP_DECORATORS:
            methods: Optional[tuple[str, ...]] = (HTTP_DECORATORS[kind],)
        elif kind == "websocket":
            methods = ()
        else:
            methods = _methods(keywords.get("methods"))
        return Route(decorator, kind, methods, _literal_str(path_node), keywords, star, func)

    def _route_from_call(self, call: ast.Call, by_name: dict[str, FunctionNode]):
        target = call.func
        assert isinstance(target, ast.Attribute)
        keywords, star = _keywords(call)
        path_node = call.args[0] if call.args else keywords.get("path")
        if path_node is None or not self.is_router(target.value):
            return None
        endpoint_node = call.args[1] if len(call.args) > 1 else keywords.get("endpoint")
        endpoint = None
        if isinstance(endpoint_node, ast.Name):
            endpoint = by_name.get(endpoint_node.id)
        if target.attr == "add_api_websocket_route":
            methods: Optional[tuple[str, ...]] = ()
        else:
            methods = _methods(keywords.get("methods"))
        return Route(call, target.attr, methods, _literal_str(path_node), keywords, star,
                     endpoint)

    # -- dependencies ---------------------------------------------------------------

    def depends_targets(self, func: FunctionNode) -> list[ast.expr]:
        """The callables a function's parameters take from `Depends(...)`/`Security`."""
        found = []
        for node in _signature_nodes(func):
            if isinstance(node, ast.Call) and self.is_depends(node):
                target = node.args[0] if node.args else _keyword(node, "dependency")
                if target is not None:
                    found.append(target)
        return found

    def is_depends(self, call: ast.Call) -> bool:
        return (self.names.resolve(call.func) or "") in DEPENDS

    def _dependencies(self) -> dict[int, FunctionNode]:
        """Functions of this module used as dependencies, by route or by dependency."""
        by_name: dict[str, FunctionNode] = {}
        for func in self.functions:
            if self.parents.get(id(func)) is None:
                by_name.setdefault(func.name, func)
        found: dict[int, FunctionNode] = {}
        queue: list[ast.expr] = []
        for route in self.routes:
            if route.endpoint is not None:
                queue.extend(self.depends_targets(route.endpoint))
            extra = route.keywords.get("dependencies")
            if extra is not None:
                queue.extend(
                    (n.args[0] if n.args else None) for n in ast.walk(extra)
                    if isinstance(n, ast.Call) and self.is_depends(n)
                )
        while queue:
            target = queue.pop()
            if isinstance(target, ast.Name) and target.id in by_name:
                func = by_name[target.id]
                if id(func) not in found:
                    found[id(func)] = func
                    queue.extend(self.depends_targets(func))
        return found

    def is_route_or_dependency(self, func: FunctionNode) -> bool:
        return id(func) in self.routes_by_endpoint or id(func) in self.dependencies


def _signature_nodes(func: FunctionNode):
    args = func.args
    for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
        if arg.annotation is not None:
            yield from ast.walk(arg.annotation)
    for default in (*args.defaults, *args.kw_defaults):
        if default is not None:
            yield from ast.walk(default)


def _keywords(call: ast.Call) -> tuple[dict[str, ast.expr], bool]:
    keywords, star = {}, False
    for keyword in call.keywords:
        if keyword.arg is None:
            star = True
        else:
            keywords[keyword.arg] = keyword.value
    return keywords, star


def _keyword(call: ast.Call, name: str) -> Optional[ast.expr]:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return None


def _literal_str(node: Optional[ast.expr]) -> Optional[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _methods(node: Optional[ast.expr]) -> Optional[tuple[str, ...]]:
    """HTTP methods of `methods=[...]`; GET when absent; None when not a literal."""
    if node is None:
        return ("GET",)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        methods = []
        for element in node.elts:
            value = _literal_str(element)
            if value is None:
                return None
            methods.append(value.upper())
        return tuple(methods)
    return None


Endpoint = Union[ast.FunctionDef, ast.AsyncFunctionDef]
