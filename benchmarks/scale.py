"""How the engine's time grows with the size of its input: a script, not a test.

    python benchmarks/scale.py [--quick]

For each shape of input (long files, rebinding chains, class chains, deep trees) it
times `engine.check_tree` at sizes n, 2n and 4n and prints the time ratios: about 2 for
each doubling is linear, about 4 quadratic. The tests prove the same with call counts
(tests/test_robust_depth.py); this shows the seconds.
"""

from __future__ import annotations

import ast
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fastapi_lint.engine import check_tree  # noqa: E402
from fastapi_lint.options import Settings  # noqa: E402
import test_robust_depth as shapes  # noqa: E402


def seconds(tree: ast.Module, repeat: int = 3) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        check_tree(tree, None, Settings())
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def big_file(n: int) -> str:
    return shapes.BIG_HEAD + "".join(shapes.BLOCK.format(n=i) for i in range(n // 10))


def main() -> None:
    quick = "--quick" in sys.argv
    base = 1_000 if quick else 5_000
    families = {"lines of routes": big_file, **shapes.SOURCE_FAMILIES}
    print(f"{'input':32} {'n':>8} {'seconds':>9} {'x2':>6} {'x4':>6}")
    for name, make in families.items():
        sizes = [base, 2 * base, 4 * base]
        times = [seconds(ast.parse(make(size))) for size in sizes]
        print(f"{name:32} {base:>8} {times[0]:9.3f} {times[1] / times[0]:6.2f} "
              f"{times[2] / times[0]:6.2f}")
    for kind, build in sorted(shapes.BUILDERS.items()):
        sizes = [base, 2 * base, 4 * base]
        times = [seconds(shapes.route_module(build(size, shapes.sleep_call())), 1)
                 for size in sizes]
        print(f"{'depth: ' + kind:32} {base:>8} {times[0]:9.3f} "
              f"{times[1] / times[0]:6.2f} {times[2] / times[0]:6.2f}")
    text = big_file(50_000)
    tree = ast.parse(text)
    print(f"\n50,000-line file ({text.count(chr(10))} lines): "
          f"{seconds(tree, 1):.2f} s in the engine")
    tree = ast.parse("X = '" + "a" * 10_000_000 + "'\n" + shapes.ROUTE_HEAD
                     + "    time.sleep(1)\n")
    print(f"10 MB string literal: {seconds(tree, 1):.3f} s in the engine")


if __name__ == "__main__":
    main()
