"""FBP300, FBP301 and FBP304: routes that do not document their response or purpose."""

from __future__ import annotations

import ast
from typing import Iterator

from ..context import FileContext
from ..findings import Finding, at
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
