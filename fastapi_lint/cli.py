"""The `fastapi-lint` command: check, fix, explain and list the rules.

`fastapi-lint check [PATH ...]` runs the same engine as the flake8 plugin, with the same
options (one table, `options.OPTIONS`, spelled `--KEY` here and read from
`[tool.fastapi-lint]` in the nearest `pyproject.toml` above each file), and adds what
flake8 cannot do: fixes, `select`/`ignore` from `pyproject.toml`, and json, SARIF and
GitHub output.

Exit status: 0 when nothing was found, 1 when something was (or a file could not be
checked), 2 for a usage or configuration error, reported on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import logging
import os
import sys
from typing import Any, Iterator, Optional, Sequence, TextIO

from . import (__version__, config, engine, files, options, order, report, rules, runner,
               selection)
from . import results as results_cache
from .checks import PROJECT_CODES
from .options import ConfigError, Settings

logger = logging.getLogger(__name__)

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A mistake on the command line; the message is shown as it is."""


class OutputError(Exception):
    """The report could not be written: a full disk, a file size limit."""


class _Report:
    """Where the report goes: a write that fails is an `OutputError` (a closed pipe
    stays a `BrokenPipeError`), which `main` tells apart from an internal error."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        with _writing():
            return self.stream.write(text)

    def flush(self) -> None:
        with _writing():
            self.stream.flush()


@contextlib.contextmanager
def _writing() -> Iterator[None]:
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as error:
        raise OutputError(error) from error


# -- arguments --------------------------------------------------------------------

def _option_flag(option: options.Option) -> str:
    return "--" + option.key


def build_parser() -> argparse.ArgumentParser:
    """The command's argument parser, its option flags drawn from `options.OPTIONS`."""
    parser = argparse.ArgumentParser(
        prog="fastapi-lint",
        description="Lint FastAPI apps for the FastAPI best practices (codes FBP).")
    parser.add_argument("--version", action="version",
                        version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = commands.add_parser(
        "check", help="check files, and fix them with --fix",
        description="Check Python files (folders are searched for *.py).")
    check.add_argument("paths", nargs="*", metavar="PATH", default=None,
                       help="files or folders to check (default: the current folder)")
    check.add_argument("--fix", action="store_true", help="apply the safe fixes")
    check.add_argument("--unsafe-fixes", action="store_true",
                       help="with --fix or --diff, also apply the fixes that change "
                            "behaviour")
    check.add_argument("--diff", action="store_true",
                       help="print the fixes as unified diffs and write nothing")
    check.add_argument("--format", choices=report.FORMATS, default="text",
                       help="how to report findings (default: text)")
    check.add_argument("--statistics", action="store_true",
                       help="count the findings per code")
    check.add_argument("-j", "--jobs", type=_jobs, default=None, metavar="N",
                       help="processes to check files with (default: all cores)")
    check.add_argument("--exit-zero", action="store_true",
                       help="exit with 0 even when something was found")
    check.add_argument("-v", "--verbose", action="store_true",
                       help="log what happens, with internal errors in full")
    settings = check.add_argument_group(
        "settings", "the keys of [tool.fastapi-lint]; a flag here overrides the file")
    for option in options.OPTIONS:
        dest = "option_" + option.attr
        if option.kind == options.BOOL:
            settings.add_argument(_option_flag(option), dest=dest, default=None,
                                  action=argparse.BooleanOptionalAction,
                                  help=option.help)
        elif option.kind == options.LIST:
            settings.add_argument(_option_flag(option), dest=dest, default=None,
                                  metavar="A,B", help=option.help)
        else:
            settings.add_argument(_option_flag(option), dest=dest, default=None,
                                  metavar="VALUE", help=option.help)

    listing = commands.add_parser("rules", help="list every rule")
    listing.add_argument("--format", choices=("text", "json"), default="text")

    explain = commands.add_parser("explain", help="show a rule's documentation")
    explain.add_argument("code", metavar="CODE", help="a rule code, like FBP100")
    return parser


def _jobs(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


def command_line_values(args: argparse.Namespace) -> dict[str, Any]:
    """The raw values of the settings flags given, by option key."""
    values = {}
    for option in options.OPTIONS:
        value = getattr(args, "option_" + option.attr, None)
        if value is not None:
            values[option.key] = value
    return values


# -- configuration ----------------------------------------------------------------

class Configuration:
    """Settings per folder: its `pyproject.toml`, then the command line on top."""

    def __init__(self, cli_values: dict[str, Any]) -> None:
        parsed = options.build(cli_values, source="command line")
        attrs = [options.BY_KEY[key].attr for key in cli_values]
        self.overrides = {attr: getattr(parsed, attr) for attr in attrs}
        problems = []
        for key in ("select", "extend-select", "ignore"):
            problems += selection.check_selectors(key, self.overrides.get(
                options.BY_KEY[key].attr, ()))
        if problems:
            raise ConfigError(problems, "command line")
        self.cwd = os.getcwd()
        self._folders: dict[str, tuple[Settings, Optional[str]]] = {}
        self._merged: dict[str, tuple[Settings, Optional[str]]] = {}
        self._selected: dict[Settings, frozenset[str]] = {}

    def base(self, folder: str) -> tuple[Settings, Optional[str]]:
        """The `pyproject.toml` settings for files in `folder`, and its project root."""
        cached = self._folders.get(folder)
        if cached is None:
            pyproject = config.find_pyproject(folder)
            settings = config.load(pyproject)
            problems = []
            for key, attr in (("select", "select"), ("extend-select", "extend_select"),
                              ("ignore", "ignore")):
                problems += selection.check_selectors(key, getattr(settings, attr))
            if problems:
                raise ConfigError(problems, pyproject)
            cached = (settings, os.path.dirname(pyproject) if pyproject else None)
            self._folders[folder] = cached
        return cached

    def settings(self, folder: str) -> tuple[Settings, Optional[str]]:
        """The settings for files in `folder` (command line on top), and its root."""
        merged = self._merged.get(folder)
        if merged is None:
            base, root = self.base(folder)
            merged = self._merged[folder] = (options.merge(base, self.overrides), root)
        return merged

    def exclude_for(self, folder: str) -> tuple[str, tuple[str, ...]]:
        """The folder `exclude` globs are relative to, and the globs, for `folder`."""
        settings, root = self.settings(folder)
        return root or self.cwd, settings.exclude

    def selected(self, folder: str) -> frozenset[str]:
        """The codes reported for files in `folder`: the file's layer, then ours."""
        base, _ = self.base(folder)
        codes = self._selected.get(base)
        if codes is None:
            given = self.overrides
            layers = [
                (base.select or None, base.extend_select, base.ignore),
                (given.get("select") or None, given.get("extend_select", ()),
                 given.get("ignore", ())),
            ]
            codes = selection.selected_codes(layers)
            self._selected[base] = codes
        return codes


def project_root(cwd: str) -> str:
    """The folder SARIF paths are relative to: the nearest pyproject.toml's, or cwd."""
    pyproject = config.find_pyproject(cwd)
    return os.path.dirname(pyproject) if pyproject else cwd


def display_path(path: str, cwd: str) -> str:
    """How reports name a file: relative to the cwd when under it, else absolute."""
    base = cwd.rstrip(os.sep) + os.sep
    if path.startswith(base) and os.path.isabs(path) and os.path.normpath(path) == path:
        return path[len(base):]  # what `relpath` gives, sooner
    relative = os.path.relpath(path, cwd)
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return path
    return relative


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


# -- commands ---------------------------------------------------------------------

def run_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """`fastapi-lint check`: returns the exit status."""
    configuration = Configuration(command_line_values(args))
    cwd = configuration.cwd
    paths = args.paths or ["."]
    try:
        found = files.discover(paths, configuration.exclude_for)
    except FileNotFoundError as missing:
        raise UsageError(f"no such file or folder: {missing.args[0]}") from None
    # A fix may only write to files inside what was asked for (links are resolved).
    allowed = [os.path.realpath(p if os.path.isdir(p) else os.path.dirname(
        os.path.abspath(p))) for p in paths]
    mode = runner.DIFF if args.diff else runner.FIX if args.fix else runner.CHECK
    jobs = []
    for target in found.targets:
        folder = os.path.dirname(target.path)
        settings, root = configuration.settings(folder)
        jobs.append(runner.Job(
            path=target.path, real=target.real, display=display_path(target.path, cwd),
            settings=settings, project_root=root,
            selected=configuration.selected(folder), mode=mode,
            unsafe=args.unsafe_fixes,
            writable=mode == runner.CHECK or any(_within(target.real, folder)
                                                 for folder in allowed)))
    jobs.sort(key=lambda job: job.display)
    workers = args.jobs or runner.default_workers()
    with engine.fewer_collections():
        if mode == runner.CHECK:
            results = _run_reusing(jobs, workers)
        else:
            results = _run_in_dependency_order(jobs, workers)
    for result in results:
        runner.sort_findings(result)
    problems = [(display_path(path, cwd), message) for path, message in found.problems]
    outcome = report.Report(results, project_root(cwd), problems, mode,
                            args.unsafe_fixes)
    return _emit(outcome, args, out, err)


def _run_reusing(jobs: list[runner.Job], workers: int) -> list[runner.FileResult]:
    """The results of `jobs`, taking the last run's where nothing they depend on
    changed (see `results`), and keeping this run's for the next."""
    projects: dict[str, Optional[results_cache.Project]] = {}
    keys: list[Optional[str]] = []
    done: list[Optional[runner.FileResult]] = [None] * len(jobs)
    for position, job in enumerate(jobs):
        root = job.project_root
        if root is None or not job.settings.cache:
            keys.append(None)
            continue
        if root not in projects:
            try:
                projects[root] = results_cache.Project.read(root, job.settings)
            except (OSError, ValueError) as error:
                logger.debug("fastapi-lint: no stored results for %s: %s", root, error)
                projects[root] = None
        project = projects[root]
        key = results_cache.job_key(job.settings, job.selected, root)
        keys.append(key if project is not None else None)
        if project is not None:
            # The digest of the file before it is checked: should it change meanwhile
            # (another process fixing it), what is stored does not match it after.
            project.digest(job.path)
        entry = project.reusable(job.path, key) if project is not None else None
        if entry is not None:
            result = runner.FileResult(job.path, job.display)
            if results_cache.load_result(entry, result, runner.Problem):
                result.consulted = bool(entry.get("consulted", True))
                result.reads = entry.get("reads")  # kept as stored, for the next run
                result.summary_key = entry.get("summary")
                done[position] = result
    todo = [position for position, result in enumerate(done) if result is None]
    afresh = {jobs[i].project_root for i in todo}  # projects with results to keep
    if todo:
        fresh = _run_in_dependency_order([jobs[i] for i in todo], workers)
        for position, result in zip(todo, fresh):
            done[position] = result
    kept: dict[str, dict[str, dict]] = {}
    for job, key, result in zip(jobs, keys, done):
        project = projects.get(job.project_root or "")
        if key is None or project is None or result is None:
            continue
        digest = project.digest(job.path)
        if digest is None:
            continue
        kept.setdefault(project.root, {})[job.path] = {
            "key": key, "digest": digest, "consulted": result.consulted,
            "reads": result.reads,  # `Project.write` stores them
            "summary": result.summary_key, "result": results_cache.dump_result(result)}
    for root, entries in kept.items():
        project = projects[root]
        if project is not None and (root in afresh or not project.unchanged()):
            project.write(entries)
    return done  # type: ignore[return-value]


def _run_in_dependency_order(jobs: list[runner.Job],
                              workers: int) -> list[runner.FileResult]:
    """The results of `jobs`, in their order, checking imported modules first."""
    if not any(job.selected & PROJECT_CODES for job in jobs):
        return list(runner.run_all(jobs, workers))
    ordering, imported = order.dependency_order(
        [job.path for job in jobs], [job.project_root for job in jobs])
    ordered = [dataclasses.replace(jobs[i], summarise=True) if i in imported
               else jobs[i] for i in ordering]
    results: list[Optional[runner.FileResult]] = [None] * len(jobs)
    for position, result in zip(ordering, runner.run_all(ordered, workers)):
        results[position] = result
    return results  # type: ignore[return-value]


def _emit(outcome: report.Report, args: argparse.Namespace, out: TextIO,
          err: TextIO) -> int:
    for line in outcome.errors:
        err.write(line + "\n")
    for result in outcome.results:
        for note in result.notes:
            err.write(note + "\n")
    if outcome.mode == runner.DIFF:
        for result in outcome.results:
            out.write(result.diff)
        err.write(report.summary(outcome) + "\n")
        changed = any(result.diff for result in outcome.results)
        failed = changed or bool(outcome.errors)
    else:
        report.write(outcome, args.format, out, args.statistics)
        if args.format != "text":
            if args.statistics:
                report.write_statistics(outcome, err)
            if outcome.mode == runner.FIX:
                err.write(report.summary(outcome) + "\n")
        failed = any(True for _ in outcome.findings) or bool(outcome.errors)
    if args.exit_zero:
        return EXIT_CLEAN
    return EXIT_FINDINGS if failed else EXIT_CLEAN


def run_rules(args: argparse.Namespace, out: TextIO) -> int:
    """`fastapi-lint rules`: every code, its name, its fix and whether it is on."""
    if args.format == "json":
        json.dump([{"code": r.code, "name": r.name, "summary": r.summary,
                    "fix": r.fix, "default": r.default} for r in rules.RULES.values()],
                  out, indent=2)
        out.write("\n")
        return EXIT_CLEAN
    width = max(len(rule.name) for rule in rules.RULES.values())
    out.write(f"{'code':<7} {'name':<{width}}  {'fix':<6}  {'on':<3}  summary\n")
    for rule in rules.RULES.values():
        fix = rule.fix or "-"
        default = "yes" if rule.default else "no"
        out.write(f"{rule.code:<7} {rule.name:<{width}}  {fix:<6}  {default:<3}  "
                  f"{rule.summary}\n")
    return EXIT_CLEAN


def run_explain(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """`fastapi-lint explain CODE`: the rule's documentation page."""
    code = args.code.strip().upper()
    if code not in rules.RULES:
        raise UsageError(f"unknown rule `{args.code}`; `fastapi-lint rules` lists them")
    rule = rules.get(code)
    try:
        text = rule.doc
    except OSError:
        err.write(f"fastapi-lint: the documentation page of {code} is missing from "
                  "this installation\n")
        text = f"# {code} {rule.name}\n\n{rule.summary}\n\nFix: {rule.fix or 'none'}\n"
    out.write(text if text.endswith("\n") else text + "\n")
    return EXIT_CLEAN


# -- entry point ------------------------------------------------------------------

class _OneLine(logging.Formatter):
    """Log lines without tracebacks (unless verbose): never a traceback for a user."""

    def __init__(self, verbose: bool) -> None:
        super().__init__("fastapi-lint: %(message)s")
        self.verbose = verbose

    def format(self, record: logging.LogRecord) -> str:
        if self.verbose:
            return super().format(record)
        message = f"fastapi-lint: {record.getMessage()}"
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            message += f" ({type(error).__name__}: {error})".replace("\n", " ")
        return message


def _configure_logging(verbose: bool, err: TextIO):
    """Send the package's log to `err`; returns a function that undoes it."""
    handler = logging.StreamHandler(err)
    handler.setFormatter(_OneLine(verbose))
    package = logging.getLogger("fastapi_lint")
    saved = (package.level, package.propagate)
    package.addHandler(handler)
    package.setLevel(logging.DEBUG if verbose else logging.WARNING)
    package.propagate = False

    def restore() -> None:
        package.removeHandler(handler)
        package.setLevel(saved[0])
        package.propagate = saved[1]

    return restore


def main(argv: Optional[Sequence[str]] = None, out: Optional[TextIO] = None,
         err: Optional[TextIO] = None) -> int:
    """Run the command; returns the exit status."""
    out = _Report(out or sys.stdout)
    err = err or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse has printed the usage and the problem
        return int(exit_.code or 0) if isinstance(exit_.code, int) else EXIT_USAGE
    if args.command is None:
        parser.print_usage(err)
        err.write("fastapi-lint: say what to do: check, rules or explain\n")
        return EXIT_USAGE
    restore_logging = _configure_logging(getattr(args, "verbose", False), err)
    try:
        if args.command == "rules":
            code = run_rules(args, out)
        elif args.command == "explain":
            code = run_explain(args, out, err)
        else:
            code = run_check(args, out, err)
        out.flush()  # a report that cannot be written fails here, not at exit
        return code
    except OutputError as error:
        err.write(f"fastapi-lint: cannot write the report: {error}\n")
        if out.stream is sys.stdout:
            _silence_stdout()  # what could not be written is not tried again at exit
        return EXIT_USAGE
    except ConfigError as error:
        err.write(f"fastapi-lint: configuration error\n{error}\n")
        return EXIT_USAGE
    except UsageError as error:
        err.write(f"fastapi-lint: {error}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        err.write("fastapi-lint: interrupted\n")
        return 130
    except BrokenPipeError:
        if out.stream is sys.stdout:
            _silence_stdout()
        return EXIT_FINDINGS
    except Exception as error:  # noqa: BLE001 - never a traceback for the user
        logger.debug("internal error", exc_info=True)
        err.write(f"fastapi-lint: internal error: {type(error).__name__}: {error} "
                  "(run with --verbose for details, and please report it)\n")
        return EXIT_USAGE
    finally:
        restore_logging()


def _silence_stdout() -> None:
    """After a closed pipe (`| head`), keep Python from complaining at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())
