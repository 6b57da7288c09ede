"""Execute the book's pages in parallel into the execution cache, before Sphinx reads.

Jupyter Book 1 executes pages one after another while Sphinx reads them. This script,
run by ``make html`` first, adds every executable page of ``_toc.yml`` to the
jupyter-cache project that myst-nb uses (``_build/.jupyter_cache``), with myst-nb's own
reader, and executes the outdated ones over a pool of processes (one per core). Sphinx
then finds every page in the cache. A page that fails here is simply not cached: the
build executes it again and reports the error in full.

Usage: ``python book/_ext/preexecute.py CACHE_PATH [TIMEOUT]``
"""

from __future__ import annotations

import logging
import sys

from book_pages import ROOT, executable_pages
from jupyter_cache import get_cache
from jupyter_cache.executors import load_executor

MYST_READER = {"type": "plugin", "name": "myst_nb_md"}


def main(cache_path: str, timeout: int = 60) -> int:
    """Pre-execute the outdated pages; return 0 (failures are left to the build)."""
    logging.basicConfig(level=logging.WARNING, format="preexecute: %(message)s")
    cache = get_cache(cache_path)
    for page in executable_pages():
        cache.add_nb_to_project(str(ROOT / f"{page}.md"), read_data=MYST_READER)
    executor = load_executor("local-parallel", cache, logger=logging.getLogger())
    result = executor.run_and_cache(timeout=timeout)
    print(f"preexecute: {len(result.succeeded)} page(s) executed in parallel, "
          f"{len(result.excepted) + len(result.errored)} left to the build")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 60))
