#!/usr/bin/env bash
# Fetch the corpus of real FastAPI apps, then lint every file of it through flake8.
#
#   tests/corpus.sh [DIR [NAME ...]]          fetch into DIR, run the corpus tests on it
#   tests/corpus.sh --fetch DIR [NAME ...]    only fetch, then print DIR's full path
#
# DIR defaults to $FASTAPI_LINT_CORPUS, else `corpus` beside the clone; keep it outside
# the repository. NAMEs limit the fetch to those apps. The fetcher is
# ../shared/corpus/fetch.sh beside the clone (or $FASTAPI_LINT_FETCH): it downloads
# pinned packages from PyPI and unpacks them; nothing is installed or run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
fetch_only=0
if [ "${1:-}" = "--fetch" ]; then
  fetch_only=1
  shift
fi
dir=${1:-${FASTAPI_LINT_CORPUS:-$root/../corpus}}
[ $# -gt 0 ] && shift
fetcher=${FASTAPI_LINT_FETCH:-$root/../shared/corpus/fetch.sh}
if [ ! -f "$fetcher" ]; then
  echo "corpus.sh: no corpus fetcher at $fetcher" >&2
  exit 2
fi
bash "$fetcher" "$dir" "$@" >&2
dir=$(cd "$dir" && pwd)
if [ "$fetch_only" = 1 ]; then
  echo "$dir"
  exit 0
fi
export FASTAPI_LINT_CORPUS=$dir
cd "$root"
exec python -m pytest -s tests/test_robust_corpus.py tests/test_robust_jobs.py
