"""Checking (and fixing) one file, and running many files on a process pool.

Each file is handled on its own: read, parse, run the engine, drop what the selection
and `# noqa` exclude, and, when asked, fix it. The result carries everything the report
needs, so a worker process never prints; results come back in the order of the files
given, so `--jobs N` reports exactly what `--jobs 1` does.
"""

from __future__ import annotations

import ast
import collections
import concurrent.futures
import dataclasses
import difflib
import gc
import logging
import os
import threading
import time
from typing import Any, Iterable, Iterator, Optional

from . import engine, noqa, source
from .deferral import Deferral, Deferred
from .engine import GC_THRESHOLDS, check_tree
from .findings import Finding
from .options import Settings
from .project.reads import Interner

logger = logging.getLogger(__name__)

CHECK, FIX, DIFF = "check", "fix", "diff"


@dataclasses.dataclass(frozen=True)
class Job:
    """One file to handle, with everything a worker process needs."""

    path: str  # absolute, as reached
    real: str  # absolute, links resolved: where a fix writes
    display: str  # how reports name it
    settings: Settings
    project_root: Optional[str]
    selected: frozenset[str]
    mode: str = CHECK
    unsafe: bool = False
    writable: bool = True  # False: a link to a file outside the paths asked for
    summarise: bool = False  # other files import it: give the index its summary


@dataclasses.dataclass(frozen=True)
class Problem:
    """Why a file could not be checked (or fixed), with a position when known."""

    message: str
    line: Optional[int] = None
    col: Optional[int] = None  # 1-based


@dataclasses.dataclass
class FileResult:
    """What happened to one file: findings left, fixes made, diff, notes, error."""

    path: str  # absolute
    display: str
    findings: list[Finding] = dataclasses.field(default_factory=list)
    # 1-based character columns of each finding, as (col, end_col or None)
    columns: list[tuple[int, Optional[int]]] = dataclasses.field(default_factory=list)
    error: Optional[Problem] = None
    fixed: dict[str, int] = dataclasses.field(default_factory=dict)
    diff: str = ""
    notes: list[str] = dataclasses.field(default_factory=list)
    lines: int = 0
    consulted: bool = True  # whether the findings drew on other files of the project
    # What they drew on (`FileContext.reads`, or as stored by the run whose result is
    # reused), None when unknown: any change then counts.
    reads: Any = None
    summary_key: Optional[str] = None  # the cache key of the file's own summary
    # Answers of the project rules put off (see `deferral`), settled by the runner.
    put_off: list = dataclasses.field(default_factory=list)


def _filtered(tree: ast.Module, src: source.Source, job: Job,
              observed: Optional[dict] = None,
              later: Optional[Deferral] = None) -> list[Finding]:
    found = check_tree(tree, job.path, job.settings, job.project_root,
                       source=src.text,
                       codes=job.selected,
                       summarise=job.summarise, observed=observed, later=later)
    found = [f for f in found if f.code in job.selected]
    for item in later.put_off if later is not None else ():
        _place(item, src, tree, job)
    if not found:
        return found  # most files: their lines are never split
    return list(noqa.filter_findings(found, src.lines, tree=tree))


def _place(item: Deferred, src: source.Source, tree: ast.Module, job: Job) -> None:
    """Read what an answer put off needs of the file while its text is at hand: the
    positions it may report that are selected and not silenced, and their columns."""
    candidates = [Finding(line, col, code, "") for line, col, code in item.positions
                  if code in job.selected]
    kept = list(noqa.filter_findings(candidates, src.lines, tree=tree))
    item.kept = frozenset((f.line, f.col, f.code) for f in kept)
    item.columns = {(f.line, f.col): (src.char_col(f.line, f.col) + 1, None)
                    for f in kept}


def _check_text(text: str, job: Job, src: source.Source) -> list[Finding]:
    """Findings for `text`, an edited version of the file (same path and settings)."""
    edited = source.Source(src.raw, src.encoding, text)
    try:  # as the file itself was parsed: the same room, however deep the fixing is
        tree = source.parse(edited, job.path)
    except source.SourceError:
        return []
    return _filtered(tree, edited, job)


def _columns(findings: list[Finding], src: source.Source):
    out = []
    for f in findings:
        col = src.char_col(f.line, f.col) + 1
        end = None
        if f.end_line is not None and f.end_col is not None:
            end = src.char_col(f.end_line, f.end_col) + 1
        out.append((col, end))
    return out


def run_job(job: Job, later: Optional[Deferral] = None) -> FileResult:
    """Check (and fix) one file; never raises for anything about the file itself.

    With `later` (checking only), the project rules may put answers off into it."""
    result = FileResult(job.path, job.display)
    try:
        src = source.read(job.path)
        result.lines = src.line_count
        tree = source.parse(src, job.path)
    except source.SourceError as error:
        col = error.col + 1 if error.col is not None else None
        result.error = Problem(error.message, error.line, col)
        result.consulted = False
        return result
    observed: dict = {}
    findings = _filtered(tree, src, job, observed,
                         later if job.mode == CHECK else None)
    result.consulted = observed.get("consulted", True)
    result.reads = observed.get("reads")
    result.summary_key = observed.get("summary_key")
    if later is not None:
        result.put_off = later.take()
    if job.mode != CHECK and _any_fixable(findings, job.unsafe):
        findings, src = _fix(job, src, findings, result)
    result.findings = findings
    result.columns = _columns(findings, src)
    result.lines = src.line_count
    return result


def _any_fixable(findings: Iterable[Finding], unsafe: bool) -> bool:
    return any(f.fixable and (unsafe or f.rule.fix == "safe") for f in findings)


def _fix(job: Job, src: source.Source, findings: list[Finding],
         result: FileResult) -> tuple[list[Finding], source.Source]:
    """Fix the file (or diff it); the findings left and the source they refer to."""
    from . import fixes  # libcst is only loaded when fixing

    outcome = fixes.fix_text(src.text, lambda text: _check_text(text, job, src),
                             unsafe=job.unsafe)
    if outcome.text == src.text:
        written: Optional[source.Source] = src
        problem = None
    else:
        written, problem = _apply(job, src, outcome, result)
    # Each fix declined is noted where its finding is in the file as left on disk.
    refusals = outcome.refusals
    places = ([(r.finding.line, r.finding.col) for r in refusals] if written is not None
              else fixes.places_before(refusals, findings))
    for refusal, (line, col) in zip(refusals, places):
        column = (written or src).char_col(line, col) + 1
        result.notes.append(f"{job.display}:{line}:{column}: "
                            f"{refusal.finding.code} not fixed: {refusal.reason}")
    if problem is not None:
        result.notes.append(f"{job.display}: not fixed: {problem}")
    if written is None or written is src:
        return findings, src
    return _check_text(outcome.text, job, src), written


def _apply(job: Job, src: source.Source, outcome: Any,
           result: FileResult) -> tuple[Optional[source.Source], Optional[str]]:
    """Write the fixed text (or diff it): (what the file now holds, None when it was
    not written; why it could not be written, if so)."""
    from .fixes import writing

    try:
        new_raw = src.encode(outcome.text)
    except UnicodeEncodeError:
        return None, (f"the fixed text cannot be written in the file's encoding "
                      f"({src.encoding})")
    if job.mode == DIFF:
        result.diff = unified_diff(src.text, outcome.text, job.display)
        result.fixed = outcome.fixed
        return None, None
    if not job.writable:
        return None, "it is a symbolic link to a file outside the paths given"
    try:
        writing.replace_file(job.real, src.raw, new_raw)
    except writing.WriteRefused as refused:
        return None, str(refused)
    result.fixed = outcome.fixed
    return source.Source(new_raw, src.encoding, outcome.text), None


def unified_diff(before: str, after: str, name: str) -> str:
    """A unified diff of two versions of a file, marking a missing final newline."""
    lines = difflib.unified_diff(source.split_lines(before), source.split_lines(after),
                                 fromfile=f"a/{name}", tofile=f"b/{name}")
    out = []
    for line in lines:
        if line.endswith(("\n", "\r")):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)


# A worker process's deferral (see `_init_worker`), None in the main process.
_WORKER_LATER: Optional[Deferral] = None


def _init_worker(level: int, paths: list[str]) -> None:
    global _WORKER_LATER
    logging.getLogger("fastapi_lint").setLevel(level)
    gc.set_threshold(*GC_THRESHOLDS)  # a worker lives for the run only
    _WORKER_LATER = Deferral(paths, shared=True)
    threading.Thread(target=_end_with, args=(os.getppid(),), daemon=True).start()


def _end_with(parent: int, every: float = 0.5) -> None:
    """End this worker once the process that started it is gone: a pool's workers
    wait for work forever, and a killed run (`kill -9`, a CI timeout) would leave
    them behind."""
    while os.getppid() == parent:
        time.sleep(every)
    os._exit(1)


def _run_in_worker(job: Job) -> FileResult:
    """`run_job` in a worker process, answers that need a module still to be checked
    put off for the process that started it."""
    later = _WORKER_LATER
    if later is None or job.mode != CHECK:
        return run_job(job)
    return run_job(_turn(job, later), later)


def _turn(job: Job, later: Deferral) -> Job:
    """`job`, its turn started in `later`: summarised when an answer waits for it."""
    if later.turn(job.path) and not job.summarise:
        return dataclasses.replace(job, summarise=True)
    return job


def run_all(jobs: list[Job], workers: int) -> Iterator[FileResult]:
    """Results for `jobs`, in their order; on `workers` processes when more than one."""
    if workers <= 1 or len(jobs) < 2:
        yield from _run_here(jobs)
        return
    level = logging.getLogger("fastapi_lint").getEffectiveLevel()
    paths = [job.path for job in jobs if job.mode == CHECK]
    try:
        pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=min(workers, len(jobs)), initializer=_init_worker,
            initargs=(level, paths))
    except (OSError, ValueError, NotImplementedError) as error:
        logger.debug("no process pool (%s); checking in this process", error)
        yield from _run_here(jobs)
        return
    chunk = max(1, min(16, len(jobs) // (workers * 4)))
    interner = Interner()
    try:
        with pool:
            results = []
            for result in pool.map(_run_in_worker, jobs, chunksize=chunk):
                # Each chunk's results arrive with their own copies of shared reads.
                result.reads = interner.canonical(result.reads)
                results.append(result)
    except (concurrent.futures.process.BrokenProcessPool, OSError) as error:
        logger.debug("process pool failed (%s); checking in this process", error)
        results = [run_job(job) for job in jobs]
    # The workers are gone, and their summaries written: settle what they put off,
    # one project at a time.
    from .project import index

    waiting: dict[Optional[str], list[tuple[Job, FileResult]]] = {}
    for job, result in zip(jobs, results):
        if result.put_off:
            waiting.setdefault(job.project_root, []).append((job, result))
    for root, entries in waiting.items():
        _settle(entries)
        if root is not None:
            index.forget(root)
    yield from results


def _run_here(jobs: list[Job]) -> Iterator[FileResult]:
    """Results of `jobs` checked in this process, each project's index let go after
    its last file (a run over many projects holds one index at a time).

    Answers the project rules put off (see `deferral`) are worked out after the
    project's last file; results wait for them, and come in the order of `jobs`.
    """
    from .project import index

    last = {job.project_root: position for position, job in enumerate(jobs)}
    later = Deferral(job.path for job in jobs if job.mode == CHECK)
    queue: collections.deque[FileResult] = collections.deque()  # yielded once settled
    waiting: dict[Optional[str], list[tuple[Job, FileResult]]] = {}  # per project
    for position, job in enumerate(jobs):
        job = _turn(job, later)
        result = run_job(job, later)
        queue.append(result)
        if result.put_off:
            waiting.setdefault(job.project_root, []).append((job, result))
        if last[job.project_root] == position:
            _settle(waiting.pop(job.project_root, []))
            if job.project_root is not None:
                index.forget(job.project_root)  # before the yield: the caller may stop
        while queue and not queue[0].put_off:
            yield queue.popleft()
    yield from queue  # none: each project settles after its last file


def _settle(entries: list[tuple[Job, FileResult]]) -> None:
    """Work out the answers put off, adding their findings to the results."""
    from .project import index

    for job, result in entries:
        items, result.put_off = result.put_off, []
        for item in items:
            project = index.for_root(item.root, job.settings)
            project.reading(result.reads)
            try:
                found = item.compute(project)
            except Exception as error:  # noqa: BLE001 - as the engine does for a check
                engine.report_internal_error("a project rule", job.path, error)
                continue
            finally:
                project.reading(None)
            for finding in found:
                place = (finding.line, finding.col, finding.code)
                if place in item.kept:
                    result.findings.append(finding)
                    result.columns.append(item.columns[place[:2]])
                elif place not in item.positions:
                    engine.report_internal_error(
                        "a project rule", job.path,
                        ValueError(f"{finding.code} at an undeclared position"))
        sort_findings(result)


def sort_findings(result: FileResult) -> None:
    """Put a result's findings in order, each with its columns."""
    pairs = sorted(zip(result.findings, result.columns),
                   key=lambda pair: pair[0].sort_key())
    result.findings = [finding for finding, _ in pairs]
    result.columns = [columns for _, columns in pairs]


def default_workers() -> int:
    """All the cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return os.cpu_count() or 1
