"""`names.partition`: one pass giving exactly what `walk_shallow` gives, per body."""

from __future__ import annotations

import ast
import pathlib

import pytest

from fastapi_lint.names import Names, partition, walk_shallow

ROOT = pathlib.Path(__file__).resolve().parent.parent
TRICKY = '''
import functools

@functools.lru_cache(maxsize=(lambda n=3: n)())
async def outer(a: int = 1, *args, b: "B" = lambda x=2: x, **kw) -> list[int]:
    def inner(c=[d for d in range(3)]) -> None:
        class Local(Base, metaclass=Meta):
            attr = 1
            def method(self): return (lambda: self)()
        return Local
    try:
        pass
    except ValueError as error:
        match a:
            case [x, *rest] if x:
                await inner()
    return [y async for y in agen() if (z := y)]

class Top(object):
    x: int = field(default_factory=lambda: [])
'''


def _ids(nodes):
    return [id(node) for node in nodes]


def _sources():
    yield "tricky", TRICKY
    for path in sorted((ROOT / "fixtures" / "rules").glob("*.py")):
        data = path.read_bytes()
        try:
            ast.parse(data)
        except (SyntaxError, ValueError):
            continue  # the fixtures of unparsable input
        yield path.name, data


@pytest.mark.parametrize("name,text", list(_sources()), ids=lambda v: str(v)[:30])
def test_partition_is_walk_shallow_per_body_and_covers_the_tree(name, text):
    tree = ast.parse(text)
    module, bodies, rest = partition(tree)
    assert _ids(module) == _ids(walk_shallow(tree.body))
    definitions = [n for n in ast.walk(tree)
                   if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda,
                                     ast.ClassDef))]
    assert set(bodies) == {id(n) for n in definitions}
    for node in definitions:
        body = node.body if isinstance(node.body, list) else [node.body]
        assert _ids(bodies[id(node)]) == _ids(walk_shallow(body))
    everything = sorted(_ids(n for n in ast.walk(tree) if not isinstance(n, _MARKERS)))
    assert sorted(_ids(Names(tree).all_nodes())) == everything
    listed = len(module) + sum(map(len, bodies.values())) + len(rest)
    assert len(everything) == 1 + listed


# Expression contexts and operators: read as attributes, never visited by the walks.
_MARKERS = (ast.expr_context, ast.operator, ast.boolop, ast.cmpop, ast.unaryop)


def test_walks_skip_contexts_and_operators():
    tree = ast.parse("x = -a + b if not c and d < e else f[g]\n")
    walked = [*walk_shallow(tree.body), *Names(tree).all_nodes()]
    assert not [n for n in walked if isinstance(n, _MARKERS)]
    assert {type(n).__name__ for n in walked} >= {
        "Assign", "IfExp", "BinOp", "UnaryOp", "BoolOp", "Compare", "Subscript", "Name"}


def test_body_nodes_of_a_foreign_function_are_walked_on_their_own():
    names = Names(ast.parse("x = 1\n"))
    other = ast.parse("def f():\n    return g(1)\n").body[0]
    assert _ids(names.body_nodes(other)) == _ids(walk_shallow(other.body))
