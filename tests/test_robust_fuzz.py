"""Property tests: on any valid program, the engine and the flake8 plugin never raise.

Programs come from hypothesmith (random programs from Python's grammar, and from
libcst's node types), from a generator of FastAPI-shaped code (routers, routes,
dependencies, tasks, blocking calls, imports, string annotations, in random nesting),
and from random edits of the rule fixtures. Each is checked with random settings and
at random places in a project, so the layout code runs too.

A check that raises is caught and logged by the engine, so "never raises" means: no
exception and nothing logged. Examples per test: FASTAPI_LINT_FUZZ_EXAMPLES (default
small, to keep the suite fast; raise it for a long local run).
"""

from __future__ import annotations

import ast
import copy
import os
import tokenize
import warnings
from pathlib import Path
from typing import Optional

import hypothesmith
import pytest
from hypothesis import HealthCheck, assume, given, reject, settings
from hypothesis import strategies as st

from fastapi_lint import rules
from fastapi_lint.engine import check_tree
from fastapi_lint.options import Settings
from fastapi_lint.plugin import Plugin
from harness import FIXTURES
from robust import caught_logs

EXAMPLES = int(os.environ.get("FASTAPI_LINT_FUZZ_EXAMPLES", "40"))
SLOW_EXAMPLES = max(3, EXAMPLES // 8)  # libcst-based generation is slow
FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, derandomize=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                           HealthCheck.data_too_large],
)

# -- where and how each program is checked -------------------------------------------


@pytest.fixture(scope="module")
def places(tmp_path_factory) -> list[Path | None]:
    """Paths in a project with an app root and domain packages, and no path at all."""
    root = tmp_path_factory.mktemp("fuzzproject")
    (root / "pyproject.toml").write_text("[project]\nname = 'fuzz'\n")
    for name in ("src/__init__.py", "src/main.py", "src/items/__init__.py",
                 "src/items/router.py", "src/items/schemas.py", "src/users/router.py",
                 "src/users/deep/inner.py", "scripts/tool.py", "setup.py"):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
    return [None, root / "src/items/router.py", root / "src/users/router.py",
            root / "src/users/deep/inner.py", root / "src/main.py", root / "setup.py",
            root / "scripts/tool.py", root / "src/items/__init__.py"]


SETTINGS = st.builds(
    Settings,
    router_names=st.sampled_from([("app", "api", "router", "*_router"), ("*",), ()]),
    extra_blocking_calls=st.sampled_from([(), ("mylib.fetch", "x.y.*", "a().b")]),
    extra_safe_wrappers=st.sampled_from([(), ("mylib.offload",)]),
    app_root=st.sampled_from(["", "src", ".", "src/items", "../elsewhere", "/abs"]),
    domain_packages=st.sampled_from([(), ("items", "users"), ("missing",)]),
    required_modules=st.sampled_from([("schemas", "service"), (), ("router",)]),
    type_checking_imports=st.booleans(),
    status_code_methods=st.sampled_from([("POST", "PUT", "PATCH", "DELETE"), ("GET",),
                                         ()]),
)


def check_everywhere(source: str, places, settings_value: Settings, place: int) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarnings of odd programs: not ours
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            assume(False)  # flake8 reports E999; the plugin is never called
            return
    path = places[place % len(places)]
    with caught_logs() as logs:
        findings = check_tree(tree, None if path is None else str(path), settings_value,
                              None if path is None else str(path.parents[0]))
        reported = list(Plugin(tree, "-" if path is None else str(path)).run())
    assert logs.messages() == []
    last_line = max(source.count("\n") + 1, 1)
    assert findings == sorted(findings, key=lambda f: f.sort_key())
    for finding in findings:
        assert finding.code in rules.RULES
        assert 1 <= finding.line <= last_line and finding.col >= 0
        assert finding.message and "\n" not in finding.message
    for line, col, text, _ in reported:
        assert 1 <= line <= last_line and col >= 0 and text[:3] == "FBP"


PLACE = st.integers(min_value=0, max_value=50)


# -- hypothesmith -------------------------------------------------------------------


@FUZZ
@given(source=hypothesmith.from_grammar(), config=SETTINGS, place=PLACE)
def test_random_programs_from_the_grammar(places, source, config, place):
    check_everywhere(source, places, config, place)


@settings(FUZZ, max_examples=SLOW_EXAMPLES)
@given(source=hypothesmith.from_node(), config=SETTINGS, place=PLACE)
def test_random_programs_from_libcst_nodes(places, source, config, place):
    check_everywhere(source, places, config, place)


# -- FastAPI-shaped programs --------------------------------------------------------

NAME = st.sampled_from([
    "app", "router", "api", "items_router", "x", "db", "client", "session", "task",
    "tasks", "t", "_", "time", "requests", "asyncio", "Depends", "FastAPI", "APIRouter",
    "BackgroundTasks", "helper", "s", "loop", "self", "TYPE_CHECKING", "open",
    "Session", "Annotated", "Optional", "httpx", "subprocess", "background_tasks",
    "get_db",
])
CALLABLE = st.sampled_from([
    "time.sleep", "requests.get", "requests.Session().post", "httpx.Client().get",
    "asyncio.create_task", "asyncio.ensure_future", "asyncio.gather", "asyncio.wait",
    "asyncio.get_event_loop().create_task", "asyncio.get_running_loop().create_task",
    "open", "subprocess.run", "os.system", "Depends", "Security", "run_in_threadpool",
    "asyncio.to_thread", "sync_to_async(time.sleep)", "db.query(User).all",
    "session.execute", "tasks.append", "background_tasks.add_task", "x.y.z", "f()()",
    "mylib.fetch", "pathlib.Path('a').read_text", "(base / 'x').read_bytes",
])
MODULE = st.sampled_from([
    "time", "requests", "asyncio", "fastapi", "httpx", "subprocess", "os", "pathlib",
    "sqlalchemy.orm", "starlette.concurrency", "fastapi.concurrency", "anyio.to_thread",
    "asgiref.sync", "src.items.service", "src.users.schemas", "items", "users.router",
    "typing", "typing_extensions", "mylib",
])
STRING = st.one_of(
    st.sampled_from(["'/'", "'/items/{id}'", "'Session'", "'Annotated[Session, 1]'",
                     "'int | None'", "'('", "'Optional[\"Session\"]'", "''", "'\\x00'",
                     "'a' * 3", "f'{x}'", "b'bytes'", "'''x'''"]),
    st.text(max_size=12).map(repr),
)
ROUTER = st.sampled_from(["app", "router", "api", "items_router", "x", "app.router",
                         "flask_app", "self"])
METHOD = st.sampled_from(["get", "post", "put", "patch", "delete", "api_route",
                          "websocket", "head", "options", "trace", "route"])


def expressions():
    constant = st.sampled_from(["None", "1", "...", "[]"])
    leaf = st.one_of(NAME, CALLABLE, STRING, constant)

    def grow(inner):
        args = st.lists(inner, max_size=3)
        kwargs = st.lists(st.tuples(st.sampled_from(
            ["path", "endpoint", "status_code", "response_model", "methods",
             "dependencies", "dependency", "x"]), inner), max_size=2)
        return st.one_of(
            st.tuples(st.one_of(CALLABLE, NAME), args, kwargs).map(
                lambda t: f"{t[0]}({_arguments(t[1], t[2])})"),
            st.tuples(inner, NAME).map(lambda t: f"({t[0]}).{t[1]}"),
            st.tuples(inner, inner).map(lambda t: f"({t[0]})[{t[1]}]"),
            inner.map(lambda e: f"await ({e})"),
            inner.map(lambda e: f"(lambda: {e})"),
            st.tuples(inner, inner).map(lambda t: f"({t[0]} / {t[1]})"),
            st.lists(inner, max_size=3).map(lambda es: f"[{', '.join(es)}]"),
            inner.map(lambda e: f"Depends({e})"),
            st.tuples(NAME, inner).map(lambda t: f"({t[0]} := {t[1]})"),
            st.tuples(inner, NAME, inner).map(
                lambda t: f"[{t[0]} for {t[1]} in {t[2]}]"),
        )

    return st.recursive(leaf, grow, max_leaves=8)


EXPR = expressions()
ANNOTATION = st.one_of(NAME, STRING, st.sampled_from([
    "Session", "Annotated[Session, Depends(get_db)]", "Optional[Session]",
    "Session | None", "BackgroundTasks", "requests.Session", "'httpx.Client'"]))


def _arguments(args: list[str], keywords: list[tuple[str, str]]) -> str:
    return ", ".join([*args, *(f"{name}={value}" for name, value in keywords)])


def _indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


SIMPLE = st.one_of(
    st.tuples(NAME, EXPR).map(lambda t: f"{t[0]} = {t[1]}"),
    st.tuples(NAME, ANNOTATION, EXPR).map(lambda t: f"{t[0]}: {t[1]} = {t[2]}"),
    st.tuples(NAME, NAME, EXPR).map(lambda t: f"{t[0]}, *{t[1]} = {t[2]}"),
    EXPR,
    st.tuples(CALLABLE, st.lists(EXPR, max_size=2)).map(
        lambda t: f"{t[0]}({', '.join(t[1])})"),
    st.tuples(NAME, CALLABLE, EXPR).map(lambda t: f"{t[0]} = {t[1]}({t[2]})"),
    EXPR.map(lambda e: f"return {e}"),
    st.tuples(MODULE, st.one_of(st.none(), NAME)).map(
        lambda t: f"import {t[0]}" + (f" as {t[1]}" if t[1] else "")),
    st.tuples(st.integers(0, 3), st.one_of(st.none(), MODULE), NAME,
              st.one_of(st.none(), NAME)).map(
        lambda t: f"from {'.' * t[0]}{t[1] or ''} import {t[2]}"
                  + (f" as {t[3]}" if t[3] else "")
        if t[0] or t[1] else f"from .{t[2]} import *"),
    NAME.map(lambda n: f"global {n}"),
    st.just("pass"),
).map(lambda line: [line])


def _function(body):
    route = st.tuples(ROUTER, METHOD, STRING, st.lists(st.sampled_from([
        "status_code=201", "response_model=None", "response_class=X",
        "methods=['POST', 'GET']", "methods=m", "dependencies=[Depends(get_db)]",
        "**kw", "path='/p'"]), max_size=3)).map(
        lambda t: f"@{t[0]}.{t[1]}({', '.join([t[2], *t[3]])})")
    decorator = st.one_of(route, route, route, NAME.map(lambda n: f"@{n}"))
    parameter = st.one_of(
        NAME,
        st.tuples(NAME, st.sampled_from(["get_db", "helper", "x", "lambda: 1"])).map(
            lambda t: f"{t[0]}=Depends({t[1]})"),
        st.tuples(NAME, ANNOTATION).map(lambda t: f"{t[0]}: {t[1]}"),
        st.tuples(NAME, EXPR).map(lambda t: f"{t[0]}={t[1]}"),
        st.tuples(NAME, ANNOTATION, EXPR).map(lambda t: f"{t[0]}: {t[1]} = {t[2]}"),
    )
    return st.tuples(st.lists(decorator, max_size=2), st.booleans(), NAME,
                     st.lists(parameter, max_size=3, unique_by=lambda p: p.split(":")[0]
                              .split("=")[0]),
                     st.one_of(st.none(), ANNOTATION), body).map(
        lambda t: [*t[0], f"{'async ' if t[1] else ''}def {t[2]}"
                          f"({', '.join(_defaults_last(t[3]))})"
                          f"{' -> ' + t[4] if t[4] else ''}:", *_indent(t[5])])


def _defaults_last(parameters: list[str]) -> list[str]:
    plain = [p for p in parameters if "=" not in p]
    return plain + [p for p in parameters if "=" in p]


def _compound(body):
    return st.one_of(
        _function(body),
        st.tuples(NAME, st.sampled_from(["", "FastAPI", "APIRouter", "Base"]),
                  body).map(lambda t: [f"class {t[0]}({t[1]}):", *_indent(t[2])]),
        st.tuples(st.sampled_from(["TYPE_CHECKING", "typing.TYPE_CHECKING", "x"]), body,
                  body).map(lambda t: [f"if {t[0]}:", *_indent(t[1]), "else:",
                                       *_indent(t[2])]),
        st.tuples(st.sampled_from(["with", "async with"]), EXPR, NAME, body).map(
            lambda t: [f"{t[0]} {t[1]} as {t[2]}:", *_indent(t[3])]),
        st.tuples(st.sampled_from(["for", "async for"]), NAME, EXPR, body).map(
            lambda t: [f"{t[0]} {t[1]} in {t[2]}:", *_indent(t[3])]),
        st.tuples(body, NAME, body).map(
            lambda t: ["try:", *_indent(t[0]), f"except Exception as {t[1]}:",
                       *_indent(t[2])]),
        st.tuples(EXPR, body).map(
            lambda t: [f"match {t[0]}:", "    case [a, *rest]:",
                       *_indent(_indent(t[1]))]),
    )


def _block(inner):
    return st.lists(st.one_of(SIMPLE, _compound(inner)), min_size=1, max_size=4).map(
        lambda parts: [line for part in parts for line in part])


BODY = st.recursive(
    st.lists(SIMPLE, min_size=1, max_size=3).map(
        lambda parts: [line for part in parts for line in part]),
    _block, max_leaves=10,
)
# Mostly functions at the top, most of them routes, with bodies of random statements.
PROGRAM = st.lists(
    st.one_of(_function(BODY), _function(BODY), SIMPLE, _compound(BODY)),
    min_size=1, max_size=6,
).map(lambda parts: "\n".join(line for part in parts for line in part) + "\n")
PRELUDE = (
    "import time, asyncio, requests\n"
    "from fastapi import FastAPI, APIRouter, Depends, BackgroundTasks\n"
    "app = FastAPI()\nrouter = APIRouter()\n"
)


@FUZZ
@given(source=PROGRAM, prelude=st.booleans(), config=SETTINGS, place=PLACE)
def test_random_fastapi_programs(places, source, prelude, config, place):
    check_everywhere((PRELUDE if prelude else "") + source, places, config, place)


# -- random edits of the rule fixtures' trees -----------------------------------------

def _read_fixture(path) -> str:
    with tokenize.open(path) as handle:  # honours coding cookies
        return handle.read()


FIXTURE_TEXTS = [_read_fixture(p) for p in sorted((FIXTURES / "rules").glob("*.py"))]
STATEMENT_LISTS = ("body", "orelse", "finalbody")


def _bodies(tree: ast.AST) -> list[list[ast.stmt]]:
    return [getattr(node, field) for node in ast.walk(tree) for field in STATEMENT_LISTS
            if isinstance(getattr(node, field, None), list) and getattr(node, field)
            and isinstance(getattr(node, field)[0], ast.stmt)]


def _loads(tree: ast.AST) -> list[tuple[ast.AST, str, Optional[int]]]:
    """(parent, field, index) of every expression read (not assigned to), but the
    parts of f-strings, which hold only strings and `{...}` fields."""
    places = []
    for parent in ast.walk(tree):
        if isinstance(parent, ast.JoinedStr):
            continue
        for field, value in ast.iter_fields(parent):
            if field == "format_spec":
                continue
            items = enumerate(value) if isinstance(value, list) else [(None, value)]
            for index, child in items:
                if isinstance(child, ast.expr) and not isinstance(
                        getattr(child, "ctx", None), (ast.Store, ast.Del)):
                    places.append((parent, field, index))
    return places


def _get(place):
    parent, field, index = place
    value = getattr(parent, field)
    return value if index is None else value[index]


def _put(place, node) -> None:
    parent, field, index = place
    if index is None:
        setattr(parent, field, node)
    else:
        getattr(parent, field)[index] = node


@st.composite
def edited_fixture(draw, texts: list[str] = FIXTURE_TEXTS):
    """A rule fixture (or one of `texts`) with statements dropped, copied and moved,
    expressions swapped, functions made sync or async, decorators and keywords dropped:
    real FastAPI code, rearranged."""
    tree = ast.parse(draw(st.sampled_from(texts)))
    for _ in range(draw(st.integers(1, 10))):
        action = draw(st.sampled_from(
            ["drop", "copy", "move", "swap", "async", "decorator", "keyword"]))
        bodies = _bodies(tree)
        body = draw(st.sampled_from(bodies))
        index = draw(st.integers(0, len(body) - 1))
        if action == "drop" and len(body) > 1:
            del body[index]
        elif action in ("copy", "move"):
            statement = body[index] if action == "copy" else body.pop(index)
            if action == "copy":
                statement = copy.deepcopy(statement)
            elif not body:
                body.append(ast.Pass())
            target = draw(st.sampled_from(_bodies(tree)))
            inside = any(getattr(node, field, None) is target
                         for node in ast.walk(statement) for field in STATEMENT_LISTS)
            if not inside:  # never into itself: the tree would become a cycle
                target.insert(draw(st.integers(0, len(target))), statement)
        elif action == "swap":
            places = _loads(tree)
            if not places:
                continue
            source = draw(st.sampled_from(places))
            target = draw(st.sampled_from(places))
            _put(target, copy.deepcopy(_get(source)))
        else:
            functions = [n for n in ast.walk(tree)
                         if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
            if not functions:
                continue
            function = draw(st.sampled_from(functions))
            if action == "async":
                other = ast.FunctionDef if isinstance(function, ast.AsyncFunctionDef) \
                    else ast.AsyncFunctionDef
                function.__class__ = other
            elif action == "decorator" and function.decorator_list:
                function.decorator_list.pop(
                    draw(st.integers(0, len(function.decorator_list) - 1)))
            else:
                calls = [n for n in ast.walk(function)
                         if isinstance(n, ast.Call) and n.keywords]
                if calls:
                    call = draw(st.sampled_from(calls))
                    call.keywords.pop(draw(st.integers(0, len(call.keywords) - 1)))
    try:
        return ast.unparse(ast.fix_missing_locations(tree)) + "\n"
    except ValueError:  # a swap put a call where an f-string holds only text
        reject()


@FUZZ
@given(source=edited_fixture(), config=SETTINGS, place=PLACE)
def test_edited_fixtures(places, source, config, place):
    check_everywhere(source, places, config, place)


def test_check_everywhere_notices_a_failing_check(places, monkeypatch):
    """Guards the property: a check that raises is logged, and that fails it."""
    from fastapi_lint import engine

    def broken(ctx):
        raise RuntimeError("boom")
        yield  # pragma: no cover

    monkeypatch.setattr(engine, "CHECKS", (broken,))
    with pytest.raises(AssertionError):
        check_everywhere("x = 1\n", places, Settings(), 0)
