"""`FileContext`'s cheap searches: they find every node a full walk would find."""

from __future__ import annotations

import ast
import io
import tokenize

import pytest

from fastapi_lint.context import FileContext
from fastapi_lint.findings import Finding
from fastapi_lint.noqa import filter_findings
from fastapi_lint.options import Settings
from fastapi_lint.source import Source, split_lines

from test_partition import _sources

WORDS = (("environ", "getenv"), ("include_router",), ("dependencies",), ("Depends",),
         ("BaseModel",), ("x",))
KINDS = (ast.Call, ast.Subscript, ast.keyword, ast.ClassDef, ast.Name, ast.Attribute)


def _context(text: str) -> FileContext:
    return FileContext(ast.parse(text), None, Settings(), source=text)


def _spelled(node: ast.AST, words: tuple[str, ...]) -> bool:
    """Whether the node itself names one of `words` (what the checks look for)."""
    text = getattr(node, "id", None) or getattr(node, "attr", None) or getattr(
        node, "arg", None) or getattr(node, "name", None) or ""
    return any(word in text for word in words)


def _must_find(tree: ast.AST, words: tuple[str, ...]) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, KINDS) and any(_spelled(n, words) for n in ast.walk(node)):
            found.add(id(node))
    return found


@pytest.mark.parametrize(("name", "text"), list(_sources()))
def test_nodes_mentioning_finds_every_node_spelling_the_words(name, text):
    if isinstance(text, bytes):  # decoded by its coding cookie, as the front ends do
        encoding, _ = tokenize.detect_encoding(io.BytesIO(text).readline)
        text = text.decode(encoding)
    context = _context(text)
    for words in WORDS:
        got = {id(n) for n in context.nodes_mentioning(KINDS, words)}
        assert _must_find(context.tree, words) <= got, (name, words)


def test_nodes_mentioning_reads_decorators_above_the_def():
    text = ("@app.get('/', dependencies=[d])\n"
            "async def route():\n"
            "    return 1\n")
    found = _context(text).nodes_mentioning((ast.keyword,), ("dependencies",))
    assert [k.arg for k in found] == ["dependencies"]


def test_nodes_mentioning_counts_lines_the_way_the_parser_does():
    # A lone carriage return ends a line for the parser: line 3 holds the call.
    text = "x = 1\ry = 2\rz = os.getenv('A')\n"
    found = _context(text).nodes_mentioning((ast.Call,), ("getenv",))
    assert [(n.lineno, n.func.attr) for n in found] == [(3, "getenv")]


def test_nodes_mentioning_enters_match_cases():
    text = ("match command:\n"
            "    case 'go':\n"
            "        app.include_router(r)\n")
    found = _context(text).nodes_mentioning((ast.Call,), ("include_router",))
    assert [n.func.attr for n in found] == ["include_router"]


def test_nodes_mentioning_skips_statements_without_the_words():
    text = "a = f(1)\nb = g(2)\nc = os.getenv('C')\n"
    found = _context(text).nodes_mentioning((ast.Call,), ("getenv",))
    assert [n.lineno for n in found] == [3]


def test_without_the_text_every_node_is_a_candidate():
    tree = ast.parse("a = f(1)\nb = g(2)\n")
    context = FileContext(tree, None, Settings())
    assert context.mentions("anything")
    assert len(context.nodes_mentioning((ast.Call,), ("nothing",))) == 2


def test_statements_by_type_reach_into_every_block():
    text = ("class A: pass\n"
            "def f():\n"
            "    class B: pass\n"
            "    try:\n"
            "        import x\n"
            "    except E:\n"
            "        class C: pass\n"
            "if TYPE_CHECKING:\n"
            "    class D: pass\n")
    context = _context(text)
    assert sorted(c.name for c in context.statements(ast.ClassDef)) == list("ABCD")
    assert [i.names[0].name for i in context.statements(ast.Import)] == ["x"]


def _finding(line: int) -> Finding:
    return Finding(line, 4, "FBP100", "m")


NOQA = '''\
import time


async def a():
    time.sleep(len("""
    spans lines
    """))  # noqa: FBP100
    time.sleep(1)


@decorator(  # noqa: FBP100
    time.sleep(1),
)
def b():
    pass
'''


# Statements nested in others, joined by `;`, or sharing a line with a header: each
# finding is looked up in the innermost statement that starts its own line. Only
# multi-line strings and backslashes make a range of several lines (inside brackets
# each line is its own), and the comment ends the range's last line.
NOQA_NESTED = '''\
import time


class Service:
    def first(self):
        time.sleep(1)  # noqa: FBP100

    def second(self):
        time.sleep("""
        """)  # noqa: FBP100
        a = time.sleep(1); b = """
        """  # noqa: FBP100
        c = """p
        q"""; d = time.sleep("""r
        s
        t""")  # noqa: FBP100
        if time.sleep(2) == """u
        v""": e = time.sleep("""w
        x""")  # noqa: FBP100
        try:
            time.sleep(7)
        except ValueError:
            time.sleep(8)  # noqa
        finally:
            time.sleep(9)
        match wait:
            case [first, second]:
                time.sleep(10)  # noqa: FBP100
        for item in time.sleep(11): time.sleep(12); time.sleep(13)  # noqa
        return \\
            time.sleep(14)  # noqa

    @decorator(time.sleep("""
    """))  # noqa: FBP100
    @decorator(time.sleep(15))
    def third(self):
        pass
'''


# A backslash carries a logical line over to the next physical line, so a statement
# that starts its physical line can still belong to the range of the line above: the
# `# noqa` of a statement `;` joins to it counts for the one before (flake8 silences
# lines 3, 12 and 14), and text above it counts for it (lines 6 and 10: a string
# holding `# noqa` is enough for flake8's search).
NOQA_BACKSLASH = '''\
import time
def f(x):
    a = time.sleep(1); \\
    b = 2  # noqa
    if x == "# noqa": \\
        time.sleep(1)
    c = """
# noqa
"""; \\
    time.sleep(1)
class A: \\
  d = time.sleep(1); \\
  e = 1  # noqa
g = time.sleep(1); \\
h = 2  # noqa
'''


@pytest.mark.parametrize("text", [NOQA, NOQA_NESTED, NOQA_BACKSLASH],
                         ids=["top", "nested", "backslash"])
def test_noqa_per_statement_matches_the_whole_file_tokenized(text):
    lines = text.splitlines(keepends=True)
    tree = ast.parse(text)
    for line in range(1, len(lines) + 1):
        whole = list(filter_findings([_finding(line)], lines))
        pieces = list(filter_findings([_finding(line)], lines, tree=tree))
        assert whole == pieces, line


def test_noqa_per_statement_silences_the_lines_of_a_multi_line_token():
    # Inside brackets each line is its own range (as in flake8): line 12 stays.
    lines = NOQA.splitlines(keepends=True)
    kept = filter_findings([_finding(n) for n in (5, 6, 8, 11, 12)], lines,
                           tree=ast.parse(NOQA))
    assert [f.line for f in kept] == [8, 12]


def test_noqa_reads_lone_carriage_returns_as_flake8_does():
    # flake8 reads a file's lines with universal newlines, so a lone `\r` ends a line
    # like `\n`: the noqa at the end of a multi-line string counts for its first line.
    text = 'def f():\r    time.sleep("""\r    """)  # noqa\r    return 1\r'
    lines = split_lines(text)
    assert len(lines) == 4
    assert list(filter_findings([_finding(2)], lines)) == []
    assert list(filter_findings([_finding(2)], lines, tree=ast.parse(text))) == []
    assert list(filter_findings([_finding(4)], lines, tree=ast.parse(text))) == [
        _finding(4)]


@pytest.mark.parametrize("text", [
    "", "\n", "x = 1", "x = 1\n", "a\r\nb\r\n", "a\rb\r", "a\rb", "a\r\n\rb\n\nc",
    "x = '\f'\n", "s = '\u2028'\ny = 2", "\r", "\r\n", "a\n\r\n\r",
])
def test_a_files_line_count_is_its_number_of_lines_without_splitting(text):
    # The command counts lines for its summary without making them (most files have
    # no finding, whose `noqa` would need them): the count is `len(lines)`, with only
    # `\r\n`, `\r` and `\n` ending a line, as the interpreter reads it.
    src = Source(text.encode("utf-8"), "utf-8", text)
    assert src.line_count == len(split_lines(text))
    assert "lines" not in vars(src)  # counted, not split
