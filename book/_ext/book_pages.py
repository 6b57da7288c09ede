"""The pages of the book, read from ``_toc.yml``.

One reader of the table of contents for everything that needs the list of pages: the
Sphinx extension and command line of ``publishing.py``, the parallel pre-execution of
``preexecute.py``, ``benchmarks/cell_times.py`` and the tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def toc_files(root: Path = ROOT) -> list[str]:
    """Return every ``file:`` of ``_toc.yml`` (the root first), in reading order."""
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in toc.items() if k != "root"})
    return files


def executable_pages(root: Path = ROOT) -> list[str]:
    """Return the ``_toc.yml`` pages that are notebooks (a ``kernelspec`` header)."""
    import jupytext

    pages = []
    for page in toc_files(root):
        source = root / f"{page}.md"
        if source.exists() and "kernelspec" in jupytext.read(source).metadata:
            pages.append(page)
    return pages
