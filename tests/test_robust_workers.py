"""The command's worker processes end with the run, even when the run is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

# Checks two files on two workers, each worker stuck in its file (a stand-in for a
# slow check) after noting its process id: the run is then killed from outside.
STUCK_RUN = textwrap.dedent("""
    import os, sys, time
    from fastapi_lint import runner
    from fastapi_lint.options import Settings

    folder = sys.argv[1]

    def stuck(job, *rest):
        with open(os.path.join(folder, f"worker-{os.getpid()}"), "w"):
            pass
        time.sleep(120)

    runner.run_job = stuck
    jobs = [runner.Job(path=os.path.join(folder, name), real=name, display=name,
                       settings=Settings(), project_root=None,
                       selected=frozenset({"FBP100"}))
            for name in ("a.py", "b.py")]
    list(runner.run_all(jobs, 2))
""")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie has ended: it only waits for its parent to collect it
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


@pytest.mark.skipif(not hasattr(os, "fork") or not Path("/proc").is_dir(),
                    reason="forks worker processes and reads /proc")
def test_workers_end_when_the_run_is_killed(tmp_path):
    for name in ("a.py", "b.py"):
        (tmp_path / name).write_text("x = 1\n")
    run = subprocess.Popen([sys.executable, "-c", STUCK_RUN, str(tmp_path)])
    try:
        deadline = time.monotonic() + 30
        while len(list(tmp_path.glob("worker-*"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        workers = [int(p.name.split("-")[1]) for p in tmp_path.glob("worker-*")]
        assert len(workers) == 2, "the workers did not start"
        run.send_signal(signal.SIGKILL)
        run.wait()
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in workers)
    finally:
        run.kill()
        for path in tmp_path.glob("worker-*"):
            try:
                os.kill(int(path.name.split("-")[1]), signal.SIGKILL)
            except ProcessLookupError:
                pass
