"""Depth and size: deep trees, long chains, huge files. No RecursionError, linear work.

Deep trees are tested twice: from source, parsed as flake8 parses it (where this Python
cannot build the tree, flake8 reports E999 and our plugin is never called), and built
directly with `ast`, since older Pythons (3.9, 3.10) parse the same source into trees
far deeper than 3.11 does. A blocking call is put at the bottom of each deep tree, so a
finding there proves the walk reached it.

Linearity is shown by counting calls (see `robust.work`), never by timing.
"""

from __future__ import annotations

import ast
import warnings
import pytest

from robust import (caught_logs, crashes, engine_codes, flake8, locate, plugin_findings,
                    reported, work)

ROUTE_HEAD = (
    "import time\n"
    "from fastapi import FastAPI\n"
    "app = FastAPI()\n"
    "@app.get('/', response_model=None)\n"
    "async def handler(x):\n"
)
SLEEP_LINE = 6  # the line of the route body in ROUTE_HEAD + body


def sleep_call() -> ast.Call:
    return ast.Call(ast.Attribute(ast.Name("time", ast.Load()), "sleep", ast.Load()),
                    [ast.Constant(1)], [])


def route_module(expression: ast.expr) -> ast.Module:
    """ROUTE_HEAD with `expression` as the body of the route, located on line 6."""
    tree = ast.parse(ROUTE_HEAD + "    pass\n")
    function = tree.body[-1]
    statement = ast.Expr(expression)
    for node in ast.walk(statement):
        if "lineno" in node._attributes:
            node.lineno, node.col_offset = SLEEP_LINE, 4
    function.body = [statement]
    return locate(tree)


# Builders of trees `depth` levels deep around a blocking call at the bottom.
def _unary(depth, leaf):
    for _ in range(depth):
        leaf = ast.UnaryOp(ast.USub(), leaf)
    return leaf


def _not(depth, leaf):
    for _ in range(depth):
        leaf = ast.UnaryOp(ast.Not(), leaf)
    return leaf


def _binop_left(depth, leaf):  # a + b + c ...: the shape a long sum parses into
    for _ in range(depth):
        leaf = ast.BinOp(leaf, ast.Add(), ast.Name("b", ast.Load()))
    return leaf


def _binop_right(depth, leaf):  # a ** b ** c ...
    for _ in range(depth):
        leaf = ast.BinOp(ast.Name("b", ast.Load()), ast.Pow(), leaf)
    return leaf


def _div(depth, leaf):  # path / "a" / "b" ..., followed by the resolver
    for _ in range(depth):
        leaf = ast.BinOp(leaf, ast.Div(), ast.Constant("a"))
    return ast.Call(leaf, [], [])


def _div_calls(depth, leaf):  # ((... / "a")() / "a" / "a" ...)(): calls between paths
    for level in range(depth):
        leaf = ast.BinOp(leaf, ast.Div(), ast.Constant("a"))
        if level % 50 == 49:
            leaf = ast.Call(ast.Attribute(leaf, "read", ast.Load()), [], [])
    return leaf


def _ifexp(depth, leaf):
    for _ in range(depth):
        leaf = ast.IfExp(ast.Name("c", ast.Load()), ast.Constant(0), leaf)
    return leaf


def _attribute_call(depth, leaf):  # sleep(1).a().a() ...
    for _ in range(depth):
        leaf = ast.Call(ast.Attribute(leaf, "a", ast.Load()), [], [])
    return leaf


def _subscript(depth, leaf):
    for _ in range(depth):
        leaf = ast.Subscript(leaf, ast.Constant(0), ast.Load())
    return leaf


def _argument(depth, leaf):  # f(f(f(...)))
    for _ in range(depth):
        leaf = ast.Call(ast.Name("f", ast.Load()), [leaf], [])
    return leaf


def _tuple(depth, leaf):
    for _ in range(depth):
        leaf = ast.Tuple([leaf], ast.Load())
    return leaf


def _list(depth, leaf):
    for _ in range(depth):
        leaf = ast.List([leaf], ast.Load())
    return leaf


def _dict(depth, leaf):
    for _ in range(depth):
        leaf = ast.Dict([ast.Constant(0)], [leaf])
    return leaf


def _await(depth, leaf):
    leaf = ast.Call(ast.Name("g", ast.Load()), [leaf], [])  # awaited: g(...), not sleep
    for _ in range(depth):
        leaf = ast.Await(leaf)
    return leaf


def _compare(depth, leaf):
    for _ in range(depth):
        leaf = ast.Compare(leaf, [ast.Lt()], [ast.Constant(0)])
    return leaf


def _starred_keyword(depth, leaf):
    for _ in range(depth):
        leaf = ast.Call(ast.Name("g", ast.Load()), [ast.Starred(leaf, ast.Load())],
                        [ast.keyword("k", ast.Constant(0))])
    return leaf


def _fstring(depth, leaf):
    for _ in range(depth):
        leaf = ast.JoinedStr([ast.FormattedValue(leaf, -1, None)])
    return leaf


BUILDERS = {
    "unary": _unary, "not": _not, "binop-left": _binop_left,
    "binop-right": _binop_right, "div": _div, "div-calls": _div_calls, "ifexp": _ifexp,
    "method-chain": _attribute_call,
    "subscript": _subscript, "argument": _argument, "tuple": _tuple, "list": _list,
    "dict": _dict, "await": _await, "compare": _compare, "starred": _starred_keyword,
    "fstring": _fstring,
}


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_deep_built_tree_reaches_the_bottom(kind):
    tree = route_module(BUILDERS[kind](5_000, sleep_call()))
    assert engine_codes(tree) == [(SLEEP_LINE, 5, "FBP100")]
    assert plugin_findings(tree, "app.py") == [(SLEEP_LINE, 5, "FBP100")]


def test_long_sum_built_tree():
    """`a + b + ...` with 50,000 terms: a tree 50,000 levels deep (Python 3.9 and 3.10
    parse it; 3.11 and later give up with a RecursionError inside flake8)."""
    tree = route_module(_binop_left(50_000, sleep_call()))
    assert plugin_findings(tree, "app.py") == [(SLEEP_LINE, 5, "FBP100")]


def test_deep_lambdas_are_not_the_route_body():
    leaf: ast.expr = sleep_call()
    for _ in range(5_000):
        leaf = ast.Lambda(ast.arguments([], [], None, [], [], None, []), leaf)
    tree = route_module(leaf)
    # The call runs when the lambda is called, not in the route: nothing to report.
    assert engine_codes(tree) == []


def test_deep_nested_functions():
    """5,000 nested `async def`s (Python's tokenizer stops at 100 indentation levels;
    a tree built directly has no such limit), each calling time.sleep."""
    tree = ast.parse("import time\n")
    body = tree.body
    for level in range(5_000):
        inner = ast.parse(f"async def f{level}():\n    time.sleep(1)\n").body[0]
        for node in ast.walk(inner):
            if "lineno" in node._attributes:
                node.lineno += level * 2
        body.append(inner)
        body = inner.body
    locate(tree)
    found = engine_codes(tree)
    assert len(found) == 5_000 and {code for _, _, code in found} == {"FBP100"}


def test_deep_unpacking_target():
    target: ast.expr = ast.Name("a", ast.Store())
    for _ in range(50_000):
        target = ast.Tuple([target], ast.Store())
    tree = ast.parse(ROUTE_HEAD + "    pass\n")
    tree.body[-1].body = [ast.Assign([target], ast.Name("x", ast.Load())),
                          ast.Expr(sleep_call())]
    locate(tree, SLEEP_LINE)
    assert engine_codes(tree) == [(SLEEP_LINE, 1, "FBP100")]


# -- the same shapes from source, parsed as flake8 parses them ---------------------

DEEP_SOURCES = {
    "400-call method chain": ("    time.sleep(1)" + ".a()" * 400, True),
    "5,000 unary minus": ("    " + "-" * 5_000 + "time.sleep(1)", False),
    "5,000 not": ("    " + "not " * 5_000 + "time.sleep(1)", False),
    "5,000 powers": ("    " + "b ** " * 5_000 + "time.sleep(1)", False),
    "5,000 conditionals": ("    " + "0 if c else " * 5_000 + "time.sleep(1)", False),
    "5,000 lambdas": ("    " + "lambda: " * 5_000 + "time.sleep(1)", None),
    "100,000 additions": ("    time.sleep(1)" + " + b" * 100_000, False),
    "100,000 comparisons": ("    time.sleep(1)" + " < b" * 100_000, True),
    "100,000 `and`": ("    time.sleep(1)" + " and b" * 100_000, True),
    "5,000 brackets": ("    " + "(" * 5_000 + "time.sleep(1)" + ")" * 5_000, False),
    "5,000 square brackets": ("    " + "[" * 5_000 + "time.sleep(1)" + "]" * 5_000,
                              False),
}


@pytest.mark.parametrize("name", sorted(DEEP_SOURCES))
def test_deep_source_in_process(name):
    """Where this Python builds the tree, the plugin finds the call at the bottom."""
    body, must_parse = DEEP_SOURCES[name]
    try:
        tree = ast.parse(ROUTE_HEAD + body + "\n")
    except (SyntaxError, RecursionError, MemoryError) as error:
        # flake8 reports E999 (or, for RecursionError, fails itself: see the flake8
        # test below); our plugin is never called.
        assert not must_parse, f"{name}: {error!r}"
        return
    column = body.index("time.sleep") + 1
    expected = [] if must_parse is None else [(SLEEP_LINE, column, "FBP100")]
    assert plugin_findings(tree, "app.py") == expected


def test_brackets_flake8_reports_e999_and_plugin_adds_nothing(tmp_path):
    sources = {
        "parens.py": "x = " + "(" * 5_000 + "1" + ")" * 5_000 + "\n",
        "lists.py": "x = " + "[" * 5_000 + "]" * 5_000 + "\n",
        "dicts.py": "x = " + "{1: " * 5_000 + "1" + "}" * 5_000 + "\n",
        "route.py": ROUTE_HEAD + "    " + "(" * 5_000 + "time.sleep(1)" + ")" * 5_000
        + "\n",
    }
    for name, text in sources.items():
        (tmp_path / name).write_text(text)
    proc = flake8(sorted(sources), tmp_path)
    assert not crashes(proc.stderr), proc.stderr[-3000:]
    codes = sorted((path, code) for path, _, _, code in reported(proc.stdout))
    assert codes == [(name, "E999") for name in sorted(sources)]


def test_method_chain_through_flake8(tmp_path):
    """The 400-call chain end to end. pyflakes, which flake8 always runs, recurses once
    per tree level and fails on such a chain at Python's default limit of 1,000
    frames, before our plugin's findings are printed; the limit is raised for it."""
    (tmp_path / "chain.py").write_text(ROUTE_HEAD + "    time.sleep(1)" + ".a()" * 400
                                       + "\n")
    proc = flake8(["chain.py"], tmp_path, recursion_limit=20_000)
    assert not crashes(proc.stderr), proc.stderr[-3000:]
    assert [(line, col, code) for _, line, col, code in reported(proc.stdout)] == [
        (SLEEP_LINE, 5, "FBP100")]


BLOCK = '''

@router.post("/items/{n}", status_code=201, response_model=None)
async def create_{n}(item: dict, db: Session = Depends(get_db)) -> dict:
    """Create item {n}."""
    value = item.get("value", {n})
    if value > 10:
        time.sleep(0.1)
    result = await client.get("/x/{n}")
    return {{"id": {n}, "result": result}}
'''
BIG_HEAD = (
    "import time\nimport httpx\nfrom fastapi import APIRouter, Depends\n"
    "from sqlalchemy.orm import Session\nrouter = APIRouter()\n"
    "client = httpx.AsyncClient()\n\ndef get_db():\n    yield None\n"
)


def test_file_of_50000_lines(tmp_path):
    text = BIG_HEAD + "".join(BLOCK.format(n=n) for n in range(5_000))
    assert text.count("\n") >= 50_000
    (tmp_path / "big.py").write_text(text)
    proc = flake8(["big.py"], tmp_path)
    assert not crashes(proc.stderr), proc.stderr[-3000:]
    found = reported(proc.stdout)
    head_lines = BIG_HEAD.count("\n")
    expected = [("big.py", head_lines + 8 + 10 * n, 9, "FBP100") for n in range(5_000)]
    assert found == expected


def test_string_literal_of_10_megabytes(tmp_path):
    big = "a" * 10_000_000
    text = (ROUTE_HEAD.replace("app = FastAPI()\n", f"app = FastAPI()\nX = '{big}'\n")
            + "    time.sleep(1)\n")
    (tmp_path / "big_string.py").write_text(text)
    proc = flake8(["big_string.py"], tmp_path)
    assert not crashes(proc.stderr), proc.stderr[-3000:]
    assert reported(proc.stdout) == [("big_string.py", SLEEP_LINE + 1, 5, "FBP100")]


def test_string_annotation_warnings_stay_quiet():
    """Parsing the annotation `'\\d' + 1()` warns (an invalid escape, an int called);
    those warnings are about text the user never sees as code, so none escapes (with
    Python's defaults they would print `<unknown>:1: SyntaxWarning` on 3.12+)."""
    tree = ast.parse(ROUTE_HEAD.replace("(x)", "(x: \"'\\\\d' + 1()\")")
                     + "    time.sleep(1)\n")
    with warnings.catch_warnings(record=True) as seen, caught_logs() as logs:
        warnings.simplefilter("always")
        assert engine_codes(tree) == [(SLEEP_LINE, 5, "FBP100")]
    assert [str(w.message) for w in seen] == []
    assert logs.messages() == []


@pytest.mark.parametrize("annotation", [
    "a" * 10_000_000,  # a 10 MB name
    "int | " * 200_000 + "None",  # too deep for the parser: given up on, quietly
    "(" * 10_000,
    "Annotated[" * 1_000 + "Session" + "]" * 1_000,
    "'" * 3 + "x" * 100 + "'" * 3,
    "\x00",
])
def test_hostile_string_annotations(annotation):
    """String annotations are the one place the engine parses text itself."""
    tree = ast.parse(ROUTE_HEAD.replace("(x)", "(x: 'placeholder')")
                     + "    time.sleep(1)\n")
    arg = tree.body[-1].args.args[0]
    arg.annotation = ast.copy_location(ast.Constant(annotation), arg.annotation)
    assert engine_codes(tree) == [(SLEEP_LINE, 5, "FBP100")]


def test_long_string_annotations_are_not_parsed(monkeypatch):
    """The engine parses string annotations itself, and Python 3.9 and 3.10 crash the
    process (a segmentation fault, nothing to catch) on deeply nested text such as
    `"int | " * 200_000`: text longer than any real annotation is not parsed at all."""
    from fastapi_lint import names

    parsed = []
    real_parse = ast.parse

    def parse(text, *args, **kwargs):
        parsed.append(len(text))
        return real_parse(text, *args, **kwargs)

    monkeypatch.setattr(names.ast, "parse", parse)
    for annotation in ("requests.Session", "int | " * 200_000 + "None",
                       "Optional[" * 150 + "requests.Session" + "]" * 150):
        tree = real_parse(ROUTE_HEAD.replace("(x)", f"(x: {annotation!r})")
                          + "    x.get('/')\n")
        engine_codes(tree)
    assert parsed == [16]


# -- linear work ---------------------------------------------------------------------

def _rebinding_in_function(n):  # every line rebinds the name the next line reads
    return ROUTE_HEAD + "".join(f"    x = x.step{i}()\n" for i in range(n)) \
        + "    time.sleep(1)\n"


def _rebinding_in_module(n):
    return ("import time\nx = 1\n" + "x = x.a()\n" * n + "async def f():\n"
            + "    x.b()\n" * n)


def _class_chain(n):  # each class extends the one above it
    return ("from fastapi import FastAPI\nclass C0(FastAPI):\n    pass\n"
            + "".join(f"class C{i}(C{i - 1}):\n    pass\n" for i in range(1, n))
            + f"r = C{n - 1}()\n@r.get('/')\nasync def f():\n    pass\n")


def _routes(n):
    head = "import time\nfrom fastapi import APIRouter\nrouter = APIRouter()\n"
    return head + "".join(
        f"@router.post('/{i}')\nasync def f{i}(x):\n    time.sleep(1)\n"
        f"    return await x\n" for i in range(n))


def _dependency_chain(n):
    return ("from fastapi import APIRouter, Depends\nrouter = APIRouter()\n"
            + "".join(f"def d{i}(x=Depends(d{i + 1})):\n    pass\n" for i in range(n))
            + "@router.get('/')\nasync def f(x=Depends(d0)):\n    pass\n")


def _tasks(n):
    return ("import asyncio\nfrom fastapi import APIRouter\nrouter = APIRouter()\n"
            "@router.get('/')\nasync def f():\n"
            + "".join(f"    t{i} = asyncio.create_task(g())\n    await t{i - 1}\n"
                      for i in range(n)))


def _imports(n):
    return "".join(f"from .m{i} import a{i} as b{i}\nimport p{i}.q as r{i}\n"
                   for i in range(n))


SOURCE_FAMILIES = {
    "rebinding-in-function": _rebinding_in_function,
    "rebinding-in-module": _rebinding_in_module,
    "class-chain": _class_chain,
    "routes": _routes,
    "dependency-chain": _dependency_chain,
    "tasks": _tasks,
    "imports": _imports,
}


def _work_for_source(family, n):
    tree = ast.parse(SOURCE_FAMILIES[family](n))
    return work(lambda: engine_codes(tree, "pkg/mod.py"))


def _work_for_tree(kind, n):
    tree = route_module(BUILDERS[kind](n, sleep_call()))
    return work(lambda: engine_codes(tree))


def _ratio(measure, name, n):
    measure(name, 20)  # first use: caches, lazily built tables
    small, large = measure(name, n), measure(name, 2 * n)
    return large / small


@pytest.mark.parametrize("family", sorted(SOURCE_FAMILIES))
def test_work_is_linear_in_source_size(family):
    """Doubling the input at most doubles the work (plus slack for fixed costs and
    binary searches); quadratic work would quadruple it."""
    assert _ratio(_work_for_source, family, 500) < 2.4


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_work_is_linear_in_tree_depth(kind):
    # From 2,000 levels: below that, fixed costs still weigh on the ratio (div-calls:
    # 2.45 from 1,000 to 2,000, 2.18 from 2,000 to 4,000; quadratic work gives 4).
    assert _ratio(_work_for_tree, kind, 2_000) < 2.4


def test_work_is_linear_for_nested_functions():
    def nested(n):
        tree = ast.parse("import time\n")
        body = tree.body
        for level in range(n):
            inner = ast.parse(f"async def f{level}():\n    time.sleep(1)\n").body[0]
            body.append(inner)
            body = inner.body
        locate(tree)
        return work(lambda: engine_codes(tree))

    nested(20)
    assert nested(1_000) / nested(500) < 2.4


def test_work_counter_sees_quadratic_work():
    """Guards the measure itself: a quadratic function is caught by it."""
    def quadratic(name, n):
        return work(lambda: [[abs(j) for j in range(i)] for i in range(n)])
    assert _ratio(quadratic, "", 300) > 3


def _longest(parses) -> int:
    """The largest size from 1 to 50,000 for which `parses(size)` holds (it holds up
    to some size and not beyond)."""
    low, high = 1, 50_000
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if parses(middle) else (low, middle - 1)
    return low


def _deepest_sum() -> int:
    """The longest `n + n + ...` this Python parses from the caller's depth."""
    def parses(terms: int) -> bool:
        try:
            ast.parse("x = " + " + ".join(["n"] * terms))
        except RecursionError:
            return False
        return True

    return _longest(parses)


def test_a_module_the_index_parses_from_deep_in_a_check_gets_the_same_room(tmp_path):
    """The index parses a module when a question first needs it: `-j1` on the module's
    own turn, a `-j2` worker from inside another module's check, further down the
    stack. A module nested close to the parser's limit was summarised in one and
    skipped in the other, and FBP101 lost under `-j2`."""
    from fastapi_lint.options import Settings
    from fastapi_lint.project.index import build

    terms = _deepest_sum()
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\n')
    (tmp_path / "helpers.py").write_text(
        "import time\n\n\ndef slow(n):\n    time.sleep(n)\n"
        f"    return {' + '.join(['n'] * terms)}\n")
    index = build(str(tmp_path), Settings(cache=False))

    def deeper(frames: int):
        return deeper(frames - 1) if frames else index.summary("helpers.py")

    summary = deeper(300)
    assert index.skipped == {}
    assert summary is not None and summary.functions["slow"].blocking is not None


def _deepest_attribute_chain() -> int:
    """The longest `a.b.b...` the command's own parse reads (as deep as it goes)."""
    from fastapi_lint import source

    def parses(links: int) -> bool:
        text = "x = a" + ".b" * links + "\n"
        try:
            source.parse(source.Source(text.encode(), "utf-8", text), "deep.py")
        except source.SourceError:
            return False
        return True

    return _longest(parses)


def test_a_fix_in_a_file_nested_as_deep_as_parses_is_made_or_declined_with_a_note(
        tmp_path):
    """The fixers re-parse the file further down the stack, and libcst recurses once
    per level: a file the check read was left unfixed without a word, its finding still
    marked fixable (found by a break session)."""
    from clirun import run
    from fastapi_lint.source import headroom

    links = _deepest_attribute_chain() - 10  # room for the `def` and `return` around
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\n')
    path = tmp_path / "deep.py"
    path.write_text("import time\n\n\nasync def f(a):\n    time.sleep(1)\n"
                    f"    return a{'.b' * links}\n")
    result = run("check", "--no-cache", "--fix", "--select", "FBP100", ".",
                 cwd=tmp_path)
    assert "internal error" not in result.err
    fixed = "asyncio.sleep" in path.read_text()
    declined = "deep.py:5:5: FBP100 not fixed: " in result.err
    assert fixed != declined, result.err  # one or the other, always said
    if declined:
        assert "nested too deeply to fix" in result.err
    with headroom():  # the room the command parsed it with
        ast.parse(path.read_text())  # raises if the file no longer parses
