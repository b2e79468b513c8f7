"""Routes: FBP300/FBP301/FBP304 undocumented routes, FBP302/FBP303 path parameters."""

from __future__ import annotations

import ast
import re
from typing import Iterator

from .. import rules
from ..context import FileContext
from ..findings import Finding, at
from ..project.index import ProjectIndex
from ..project.summary import Function, router_call
from ..surface import ROUTE_CALLS

_SUGGESTED_STATUS = {"POST": "HTTP_201_CREATED", "DELETE": "HTTP_204_NO_CONTENT"}
# Statuses whose responses have no body, so no response model to declare.
_BODILESS = frozenset((204, 205, 304))


def check(ctx: FileContext) -> Iterator[Finding]:
    status_methods = frozenset(ctx.settings.status_code_methods)
    for route in ctx.surface.routes:
        if route.websocket or route.star_kwargs or _hidden(route):
            continue  # websockets have neither; `**kwargs` may supply both
        methods, path = route.label()
        keywords = route.keywords
        if not _declares_response(route) and not _bodiless(route):
            yield at(route.node, "FBP300", method=methods, path=path)
        if route.methods is None or "status_code" in keywords:
            continue
        needing = [m for m in route.methods if m in status_methods]
        if needing:
            suggestion = _SUGGESTED_STATUS.get(needing[0], "HTTP_200_OK")
            yield at(route.node, "FBP301", method=methods, path=path,
                     suggestion=suggestion)


def check_descriptions(ctx: FileContext) -> Iterator[Finding]:
    """FBP304 (off by default): routes without summary, description or docstring."""
    undocumented = None
    for route in ctx.surface.routes:
        if _undescribed(route):
            if undocumented is None:
                undocumented = _apps_without_openapi(ctx)
            owner = route.node.func
            if isinstance(owner, ast.Attribute) and isinstance(owner.value, ast.Name):
                if owner.value.id in undocumented:
                    continue
            methods, path = route.label()
            yield at(route.node, "FBP304", method=methods, path=path,
                     function=route.endpoint.name)


def _apps_without_openapi(ctx: FileContext) -> frozenset[str]:
    """Names of this module's apps made with `openapi_url=None`: no docs to describe."""
    names = set()
    for node in ctx.tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            call = node.value
            if (ctx.names.resolve(call.func) or "") not in ctx.surface.fastapi_classes:
                continue
            if any(k.arg == "openapi_url" and isinstance(k.value, ast.Constant)
                   and k.value.value is None for k in call.keywords):
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return frozenset(names)


def _undescribed(route) -> bool:
    """A route in the OpenAPI schema without `summary=`, `description=` or docstring."""
    if route.websocket or route.star_kwargs or route.endpoint is None:
        return False
    keywords = route.keywords
    if "summary" in keywords or "description" in keywords:
        return False
    if _hidden(route):
        return False  # not in the docs, nothing to describe
    return not ast.get_docstring(route.endpoint)


def _hidden(route) -> bool:
    """`include_in_schema=False`: the route is left out of the API's documentation."""
    value = route.keywords.get("include_in_schema")
    return isinstance(value, ast.Constant) and value.value is False


def _bodiless(route) -> bool:
    """`status_code=204` or `status.HTTP_204_NO_CONTENT` (also 205 and 304)."""
    value = route.keywords.get("status_code")
    if isinstance(value, ast.Constant):
        return value.value in _BODILESS
    if isinstance(value, ast.Attribute):
        return any(value.attr.startswith(f"HTTP_{code}_") for code in _BODILESS)
    return False


def _declares_response(route) -> bool:
    if "response_model" in route.keywords or "response_class" in route.keywords:
        return True
    if route.endpoint is None:
        # An endpoint defined elsewhere: its annotation is unknown, so do not guess.
        return route.kind in ROUTE_CALLS
    return route.endpoint.returns is not None


# -- FBP302: path parameters the endpoint never declares ----------------------------

# Starlette's own pattern, `{name}` or `{name:convertor}`; anything else is literal.
PATH_PARAMETER = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)(:[a-zA-Z_][a-zA-Z0-9_]*)?}")
_FRAMEWORKS = ("fastapi", "starlette")


def path_parameters(path: str) -> list[str]:
    """The parameter names of a route path, as Starlette reads them."""
    return [match.group(1) for match in PATH_PARAMETER.finditer(path)]


def check_path_parameters(ctx: FileContext) -> Iterator[Finding]:
    """FBP302: a path parameter neither the endpoint nor its dependencies declare."""
    routes = [r for r in ctx.surface.routes
              if r.path is not None and r.endpoint is not None and "{" in r.path]
    if not routes:
        return
    summary = ctx.summary
    index, _ = ctx.project
    for route in routes:
        wanted = path_parameters(route.path)
        endpoint = route.endpoint
        owner = ctx.surface.parents.get(id(endpoint))
        if not wanted or isinstance(owner, ast.ClassDef):
            continue  # a method: class-based views add parameters of their own
        info = summary.functions.get(ctx.qualname(endpoint) or "")
        if info is None or route.star_kwargs:
            continue
        query = _query_parameters(ctx, endpoint, wanted)
        if not query:
            continue  # nothing took the path parameter's place: unused on purpose
        extra = _route_dependencies(ctx, route)
        supplied = _supplied(index, info, extra)
        if supplied is None:
            continue  # something along the way may read any path parameter
        missing = [name for name in dict.fromkeys(wanted) if name not in supplied]
        for name in missing:
            if len(missing) == 1 and len(query) == 1:
                fix = f"rename `{query[0]}` to `{name}`"
            else:
                fix = f"declare `{name}`"
            yield at(route.node, "FBP302", {"name": name, "function": endpoint.name},
                     name=name, path=route.path, endpoint=endpoint.name,
                     query=", ".join(f"`{q}`" for q in query), fix=fix)


SCALARS = frozenset(
    ("builtins.int", "builtins.str", "builtins.float", "builtins.bool",
     "builtins.bytes",
     "uuid.UUID", "datetime.date", "datetime.datetime", "datetime.time",
     "decimal.Decimal", "pydantic.UUID1", "pydantic.UUID4", "pydantic.types.UUID4")
)


def _query_parameters(ctx: FileContext, endpoint, wanted: list[str]) -> list[str]:
    """The endpoint's parameters FastAPI will read from the query string: plain
    scalars with no `Query()`/`Depends()`/... and no `Annotated` metadata."""
    args = endpoint.args
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    defaults = [None] * (len(args.posonlyargs) + len(args.args) - len(args.defaults))
    defaults += [*args.defaults, *args.kw_defaults]
    names, scope = ctx.names, ctx.scope(endpoint)
    found = []
    for arg, default in zip(every, defaults):
        if arg.arg in wanted or (default is not None
                                 and not isinstance(default, ast.Constant)):
            continue
        annotation = arg.annotation
        if annotation is not None:
            if isinstance(annotation, ast.Name):  # a module-level alias of the type
                bindings = names.top.bindings.get(annotation.id) or [(0, None)]
                if isinstance(bindings[-1][1], ast.Subscript):
                    annotation = bindings[-1][1]
            if isinstance(annotation, ast.Subscript) and (
                    names.resolve(annotation.value, scope) or ""
            ).endswith(".Annotated"):
                continue
            bare = names.unwrap_annotation(annotation, scope)
            if bare is None or names.resolve(bare, scope) not in SCALARS:
                continue
        found.append(arg.arg)
    return found


def _route_dependencies(ctx: FileContext, route) -> list[str]:
    """Targets of `dependencies=[Depends(...)]` on the route and on its router."""
    sources = [route.keywords.get("dependencies")]
    router = router_call(ctx, route.node)
    if router is not None:
        sources += [k.value for k in router.keywords if k.arg == "dependencies"]
    found = []
    for source in sources:
        if source is None:
            continue
        for node in ast.walk(source):
            if isinstance(node, ast.Call) and ctx.surface.is_depends(node):
                target = node.args[0] if node.args else None
                for keyword in node.keywords:
                    if keyword.arg == "dependency":
                        target = keyword.value
                path = ctx.names.resolve(target) if target is not None else None
                found.append(path or "")
    return found


def _supplied(index: ProjectIndex, endpoint: Function, extra: list[str]):
    """Every name the endpoint and its dependencies offer to path parameters.

    None when one of them may read any path parameter (`**kwargs`,
    `request.path_params`) or cannot be followed.
    """
    if endpoint.opaque:
        return None
    names = set(endpoint.params)
    pending = [*endpoint.depends, *extra]
    seen: set[str] = set()
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        if not path or len(seen) > 200:
            return None
        if path.startswith("?"):
            alias = index.alias(path[1:])
            if alias is not None:
                names.update(alias[0])
                pending.extend(alias[1])
            continue
        found = _dependency(index, path)
        if found is None:
            return None
        if isinstance(found, Function):
            if found.opaque:
                return None
            names.update(found.params)
            pending.extend(found.depends)
        else:
            names.update(found)
    return names


def _dependency(index: ProjectIndex, path: str):
    """A dependency's function, or its field names, or () outside the project; None
    when it cannot be followed."""
    head = path.split(".", 1)[0]
    if head not in index.heads:
        return () if index.root is not None or head in _FRAMEWORKS else None
    if path.endswith("()"):
        target = index.lookup(path + ".__call__")  # an instance: its `__call__`
    else:
        target = index.lookup(path)
        if target is not None and target.kind == "class":
            init = index.lookup(path + "()")
            if init is None:
                return _fields(index, target.key)
            target = init
    if target is None or target.kind != "function":
        return None
    return index.function(target.key)


def _fields(index: ProjectIndex, key) -> tuple[str, ...]:
    """The annotated fields of a class and of its project bases (a dataclass or model
    used as a dependency takes them as parameters)."""
    fields = list(index.class_(key).fields) if index.class_(key) else []
    for base in index.class_bases(key):
        target = index.lookup(base)
        if target is not None and target.kind == "class":
            cls = index.class_(target.key)
            fields.extend(cls.fields if cls is not None else ())
    return tuple(fields)


# -- FBP303: one resource, several parameter names ----------------------------------


def check_path_names(ctx: FileContext) -> Iterator[Finding]:
    """FBP303: a path parameter spelled differently elsewhere for the same resource."""
    if not any(r.path is not None and "{" in r.path for r in ctx.surface.routes):
        return
    summary = ctx.summary
    index, _ = ctx.project
    routes = summary.routes
    positions = [(route.line, route.col, "FBP303") for route in routes]
    # Every answer reads the project's route table first: they all wait for the same.
    yield from ctx.deferrable(index, _path_name_findings, (routes,), positions,
                              alike=True)


def _path_name_findings(index: ProjectIndex, routes) -> Iterator[Finding]:
    names = _parameter_names(index)
    for route in routes:
        seen = set()
        for resource, kind, name in route_parameters(index, route):
            spellings = names.get((resource, kind))
            if not spellings or len(spellings) < 2 or (resource, name) in seen:
                continue
            seen.add((resource, name))
            preferred = _preferred(resource, spellings)
            count, where = spellings[preferred]
            if spellings[name][0] >= count:
                continue  # not a minority: a tie names no winner
            others = ("another route calls" if count == 1
                      else f"{count} other routes call")
            message = rules.get("FBP303").format(
                name=name, path=route.path, resource=resource, others=others,
                preferred=preferred, where=f"`{where}`")
            yield Finding(route.line, route.col, "FBP303", message,
                          data={"name": name, "preferred": preferred})


def route_parameters(index: ProjectIndex, route) -> set[tuple[str, str, str]]:
    """(resource, kind, name) of a route's parameters, under every prefix its router
    is included with."""
    found = set()
    for prefix in index.prefixes(route.router):
        found.update(resource_parameters(prefix + route.path))
    return found


def resource_parameters(path: str) -> Iterator[tuple[str, str, str]]:
    """(resource, kind, name) for the first parameter of a path when it fills a whole
    segment right after a literal one: `/posts/{post_id}` -> ("posts", "id",
    "post_id"). Later parameters are scoped by the first (`/servers/{id}/chats/{chat}`
    names a server's chats) and are not compared."""
    segments = path.split("/")
    for before, segment in zip(segments, segments[1:]):
        if "{" in before:
            return
        match = PATH_PARAMETER.fullmatch(segment)
        if match is None:
            if "{" in segment:
                return
            continue
        if before and _word(before):
            resource = before.lower()
            yield resource, _kind(resource, match.group(1)), match.group(1)
        return


def _word(segment: str) -> bool:
    return segment.replace("-", "_").isidentifier()


def _stems(resource: str) -> list[str]:
    plain = resource.replace("-", "").replace("_", "")
    stems = [plain]
    if plain.endswith("ies"):
        stems.append(plain[:-3] + "y")
    if plain.endswith("es"):
        stems.append(plain[:-2])
    if plain.endswith("s"):
        stems.append(plain[:-1])
    return sorted(set(stems), key=len, reverse=True)


def _kind(resource: str, name: str) -> str:
    """What a parameter says of its resource once the resource's name is taken off:
    `post_id`, `postId` and `id` under `posts` are all `id`."""
    plain = name.lower().replace("_", "")
    for stem in _stems(resource):
        if plain.startswith(stem) and len(plain) > len(stem):
            return plain[len(stem):]
    return plain


def _parameter_names(index: ProjectIndex) -> dict:
    """(resource, kind) -> spelling -> (routes using it, where the first one is)."""
    def compute() -> dict:
        names: dict[tuple[str, str], dict[str, tuple[int, str]]] = {}
        for file, route in index.routes():
            for resource, kind, name in route_parameters(index, route):
                spellings = names.setdefault((resource, kind), {})
                count, where = spellings.get(name, (0, f"{file}:{route.line}"))
                spellings[name] = (count + 1, where)
        return names

    return index.remember("FBP303", compute)


def _preferred(resource: str, spellings: dict[str, tuple[int, str]]) -> str:
    """The majority spelling; among equals, the one naming its resource, then the
    first in order."""
    stems = _stems(resource)

    def rank(name: str):
        named = any(name.lower().replace("_", "").startswith(s) for s in stems)
        return (-spellings[name][0], not named, name)

    return min(spellings, key=rank)
