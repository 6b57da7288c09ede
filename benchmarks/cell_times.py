"""Time every code cell of every executable page of the book, one page at a time.

Usage: ``python benchmarks/cell_times.py [--top N]``. Prints each page's total and its
slowest cells (nbclient records when each cell started and finished), so the build
targets "no cell over 3 s, no page over 10 s" can be checked on any machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime
from pathlib import Path

import jupytext
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
from book_pages import executable_pages  # noqa: E402


def _seconds(meta: dict) -> float:
    start = datetime.fromisoformat(meta["iopub.execute_input"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(meta["shell.execute_reply"].replace("Z", "+00:00"))
    return (end - start).total_seconds()


def main() -> None:
    """Execute every page and print the per-page and slowest per-cell times."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=10, help="slowest cells to list")
    args = parser.parse_args()
    os.environ.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    cells, pages = [], []
    for page in executable_pages():
        path = ROOT / f"{page}.md"
        nb = jupytext.read(path)
        start = time.perf_counter()
        NotebookClient(
            nb,
            timeout=120,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
        pages.append((time.perf_counter() - start, path.relative_to(ROOT)))
        for i, cell in enumerate(nb.cells):
            meta = cell.get("metadata", {}).get("execution", {})
            if "iopub.execute_input" in meta and "shell.execute_reply" in meta:
                cells.append((_seconds(meta), path.relative_to(ROOT), i))
    print("page (kernel start included)                       seconds")
    for seconds, page in sorted(pages, reverse=True):
        print(f"{str(page):<50} {seconds:6.2f}")
    print(f"\nslowest {args.top} cells")
    for seconds, page, i in sorted(cells, reverse=True)[: args.top]:
        print(f"{str(page):<50} cell {i:<3} {seconds:6.2f}")
    print(f"\n{len(pages)} pages, {sum(s for s, _ in pages):.1f} s in all")


if __name__ == "__main__":
    main()
