"""Run flake8 with only some plugin distributions loaded, for a fair comparison.

flake8 runs every installed plugin whatever `--select` says, so timing "E,W,F" against
"E,W,F plus a plugin" in one environment needs the other plugins kept out:

    python benchmarks/flake8_only.py [DISTRIBUTION ...] -- [FLAKE8 ARGUMENTS ...]

loads flake8's own plugins (pyflakes, pycodestyle, its reporters) and the named
distributions (say `fastapi-lint`, `flake8-bugbear`), nothing else. It leans on
flake8's plugin finder (`flake8.plugins.finder._find_importlib_plugins`) and says so
when that is missing.
"""

from __future__ import annotations

import re
import sys

_BUILT_IN = ("flake8", "pyflakes", "pycodestyle")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def main(argv: list[str]) -> int:
    if "--" not in argv:
        sys.stderr.write(__doc__)
        return 2
    split = argv.index("--")
    wanted = {_normal(name) for name in (*_BUILT_IN, *argv[:split])}
    from flake8.main import cli
    from flake8.plugins import finder

    find = getattr(finder, "_find_importlib_plugins", None)
    if find is None:
        sys.stderr.write("flake8_only: this flake8 has no plugin finder to filter\n")
        return 2

    def only_wanted():
        for plugin in find():
            if _normal(plugin.package) in wanted:
                yield plugin

    finder._find_importlib_plugins = only_wanted
    return cli.main(argv[split + 1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
