"""FBP400 fix (unsafe): a discarded task becomes a `BackgroundTasks` task.

`asyncio.create_task(work(a, b))` standing alone in a route becomes
`background_tasks.add_task(work, a, b)`. The route's `BackgroundTasks` parameter is used
when it has one; otherwise `background_tasks: BackgroundTasks` is added (before the
first parameter with a default, or among the keyword-only ones) with
`from fastapi import BackgroundTasks` where the module lacks it.

Unsafe because the work then starts after the response is sent, not at once, and a
direct caller of the route must pass the new parameter. Declined when `create_task`
gets more than the coroutine (`name=`, `context=`), when the coroutine is not a plain
call of a named function, when that call passes a keyword `func`, when the name
`background_tasks` is taken in the function, when `BackgroundTasks` names something
else, or when the call's parentheses hold comments the rewrite would drop.
"""

from __future__ import annotations

import ast
from typing import Optional, Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from ..findings import Finding
from ..checks.tasks import BACKGROUND_TASKS
from .base import (Attempt, Declined, Refusal, add_import, binding_names, char_col,
                   lines_of, module_level_imports, names_used, parse_ast, parse_cst,
                   refuse_all)

PARAMETER = "background_tasks"
_SOURCES = {path.rpartition(".")[0] for path in BACKGROUND_TASKS}

Span = tuple[int, int, int, int]  # start line, start col, end line, end col (chars)


def fix_background(text: str, findings: Sequence[Finding]) -> Attempt:
    """Move the discarded tasks of `findings` to the route's `BackgroundTasks`."""
    tree = parse_ast(text)
    lines = lines_of(text)
    functions = {(node.name, node.lineno): node for node in ast.walk(tree)
                 if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    calls = {(n.lineno, n.col_offset, n.end_lineno, n.end_col_offset): n
             for n in ast.walk(tree) if isinstance(n, ast.Call)}
    import_problem = _name_conflict(tree)
    refusals: list[Refusal] = []
    spans: dict[Span, str] = {}  # the calls to rewrite -> the parameter name to use
    new_params: set[tuple[str, int]] = set()
    for finding in findings:
        key = (str(finding.data.get("function")), int(finding.data.get("def_line", 0)))
        try:
            func = functions.get(key)
            if func is None:
                raise Declined("cannot find the route")
            call = calls.get((finding.line, finding.col, finding.end_line or -1,
                              finding.end_col or -1))
            if call is None:
                raise Declined("cannot locate the call")
            _check_call(call)
            parameter = finding.data.get("tasks_param")
            if not parameter:
                if import_problem:
                    raise Declined(import_problem)
                if PARAMETER in names_used(func):
                    raise Declined(f"`{PARAMETER}` is already a name in `{func.name}`")
                parameter = PARAMETER
                new_params.add(key)
        except Declined as declined:
            refusals.append(Refusal(finding, str(declined)))
            continue
        span = (finding.line, char_col(lines, finding.line, finding.col),
                finding.end_line or 0, char_col(lines, finding.end_line or 0,
                                                finding.end_col or 0))
        spans[span] = str(parameter)
    if not spans:
        return Attempt(text, refusals)
    try:
        module = parse_cst(text)
    except Declined as declined:
        return refuse_all(text, findings, str(declined))
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    transformer = _ToBackground(spans, new_params)
    new = wrapper.visit(transformer)
    for finding in findings:
        span = (finding.line, char_col(lines, finding.line, finding.col),
                finding.end_line or 0, char_col(lines, finding.end_line or 0,
                                                finding.end_col or 0))
        if span in spans and span not in transformer.done:
            reason = transformer.declined.get(
                span, "cannot locate the call as a statement")
            refusals.append(Refusal(finding, reason))
    if transformer.added and not _imports_background_tasks(tree):
        new = add_import(new, "fastapi", "BackgroundTasks")
    return Attempt(new.code, refusals)


def _check_call(call: ast.Call) -> None:
    if len(call.args) != 1 or call.keywords or isinstance(call.args[0], ast.Starred):
        raise Declined(
            "`create_task` gets more than the coroutine (`name=`, `context=`)")
    inner = call.args[0]
    if not isinstance(inner, ast.Call):
        raise Declined("the task is not a direct call like `work(...)`")
    target = inner.func
    while isinstance(target, ast.Attribute):
        target = target.value
    if not isinstance(target, ast.Name):
        raise Declined("the coroutine is not a call of a named function")
    if any(k.arg == "func" for k in inner.keywords):
        raise Declined("the call passes `func=`, which `add_task` takes itself")


def _name_conflict(tree: ast.Module) -> Optional[str]:
    """Why `BackgroundTasks` cannot be used for FastAPI's class here, or None."""
    for node in ast.walk(tree):
        for name, binder in binding_names(node):
            if name != "BackgroundTasks":
                continue
            if isinstance(binder, ast.Name) and isinstance(binder.ctx, ast.Load):
                continue
            if isinstance(binder, ast.ImportFrom) and binder.module in _SOURCES and all(
                    a.name == "BackgroundTasks" for a in binder.names
                    if (a.asname or a.name) == "BackgroundTasks"):
                continue
            return "`BackgroundTasks` names something else in this module"
    return None


def _imports_background_tasks(tree: ast.Module) -> bool:
    for node in module_level_imports(tree):
        if isinstance(node, ast.ImportFrom) and node.module in _SOURCES and any(
                a.name == "BackgroundTasks" and a.asname in (None, "BackgroundTasks")
                for a in node.names):
            return True
    return False


class _ToBackground(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, spans: dict[Span, str],
                 new_params: set[tuple[str, int]]) -> None:
        super().__init__()
        self.spans = spans
        self.new_params = new_params
        self.done: set[Span] = set()
        self.declined: dict[Span, str] = {}
        self.added = False
        self._rewritten_in: list[bool] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._rewritten_in.append(False)

    def leave_Expr(self, original: cst.Expr, updated: cst.Expr) -> cst.Expr:
        call = original.value
        if not isinstance(call, cst.Call):
            return updated
        position = self.get_metadata(PositionProvider, call)
        span = (position.start.line, position.start.column, position.end.line,
                position.end.column)
        parameter = self.spans.get(span)
        if parameter is None:
            return updated
        inner = call.args[0].value
        if not isinstance(inner, cst.Call):
            self.declined[span] = "the task is not a direct call like `work(...)`"
            return updated
        outer_code = cst.Module(body=[]).code_for_node(call)
        if "#" in outer_code.replace(cst.Module(body=[]).code_for_node(inner), ""):
            self.declined[span] = "the call has comments the rewrite would drop"
            return updated
        self.done.add(span)
        if self._rewritten_in:
            self._rewritten_in[-1] = True
        return updated.with_changes(value=_add_task(parameter, inner))

    def leave_FunctionDef(self, original: cst.FunctionDef,
                          updated: cst.FunctionDef) -> cst.FunctionDef:
        rewritten = self._rewritten_in.pop() if self._rewritten_in else False
        if not rewritten:
            return updated
        keyword = original.asynchronous or original.name
        line = self.get_metadata(PositionProvider, keyword).start.line
        if (original.name.value, line) not in self.new_params:
            return updated
        self.added = True
        return updated.with_changes(params=_with_parameter(updated))


def _add_task(parameter: str, inner: cst.Call) -> cst.Call:
    """`parameter.add_task(func, *args)` from the coroutine call `func(*args)`.

    Without comments among the arguments, they go on one line (the call moves to
    another indentation, so its line breaks would no longer line up); with comments,
    the arguments keep their layout, comments included.
    """
    if "#" not in cst.Module(body=[]).code_for_node(inner):
        inner = inner.with_changes(
            whitespace_before_args=cst.SimpleWhitespace(""),
            args=[arg.with_changes(comma=cst.MaybeSentinel.DEFAULT,
                                   whitespace_after_arg=cst.SimpleWhitespace(""))
                  for arg in inner.args])
    spacing = inner.whitespace_before_args
    if inner.args:
        after = spacing if isinstance(spacing, cst.ParenthesizedWhitespace) \
            else cst.SimpleWhitespace(" ")
        first = cst.Arg(value=inner.func, comma=cst.Comma(whitespace_after=after))
    else:
        first = cst.Arg(value=inner.func)
    return cst.Call(
        func=cst.Attribute(value=cst.Name(parameter), attr=cst.Name("add_task")),
        args=[first, *inner.args],
        whitespace_before_args=spacing,
    )


def _with_parameter(func: cst.FunctionDef) -> cst.Parameters:
    params = func.params
    new = cst.Param(name=cst.Name(PARAMETER),
                    annotation=cst.Annotation(annotation=cst.Name("BackgroundTasks")))
    opener = func.whitespace_before_params
    if not isinstance(params.star_arg, cst.MaybeSentinel):
        return params.with_changes(kwonly_params=_insert(
            list(params.kwonly_params), len(params.kwonly_params), new, opener))
    defaulted = [i for i, p in enumerate(params.params) if p.default is not None]
    if any(p.default is not None for p in params.posonly_params):
        return params.with_changes(star_arg=cst.ParamStar(), kwonly_params=[new])
    index = defaulted[0] if defaulted else len(params.params)
    return params.with_changes(params=_insert(list(params.params), index, new, opener))


def _insert(sequence: list[cst.Param], index: int, new: cst.Param,
            opener: object) -> list[cst.Param]:
    """`sequence` with `new` at `index`, its commas in the style of its neighbours."""
    if not sequence:
        return [new]
    if index >= len(sequence):
        last = sequence[-1]
        if isinstance(last.comma, cst.Comma):  # a trailing comma: keep one at the end
            if len(sequence) > 1 and isinstance(sequence[-2].comma, cst.Comma):
                separator = sequence[-2].comma
            elif isinstance(opener, cst.ParenthesizedWhitespace):
                separator = cst.Comma(whitespace_after=opener)
            else:
                separator = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            return [*sequence[:-1], last.with_changes(comma=separator),
                    new.with_changes(comma=last.comma)]
        return [*sequence, new]
    if index > 0 and isinstance(sequence[index - 1].comma, cst.Comma):
        new = new.with_changes(comma=sequence[index - 1].comma)
    elif index == 0 and len(sequence) > 1 and isinstance(sequence[0].comma, cst.Comma):
        new = new.with_changes(comma=sequence[0].comma)
    return [*sequence[:index], new, *sequence[index:]]
