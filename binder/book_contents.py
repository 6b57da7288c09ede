r"""The Jupyter server's contents manager on Binder: pages that read like the book.

binder/postBuild makes this the server's ``contents_manager_class``. It is jupytext's
contents manager (MyST ``.md`` pages open as notebooks) with two changes to the
notebook a reader gets, both undone when the reader saves, so the page on disk keeps
its Sphinx source:

* a first markdown cell holding only a YAML front matter with the book's math macros
  (``_config.yml``, ``sphinx.config.mathjax3_config.tex.macros``): jupyterlab-myst
  reads macros from the front matter of the first cell (``math:``), so ``\vect``,
  ``\norm``, ``\T`` render as in the book instead of as red errors;
* Sphinx-only roles that jupyterlab-myst does not know show as readable inline code:
  ``{glue:text}`name:fmt``` becomes ```name``` (its value is computed by the page's
  code; the web book and the PDF print the number), ``{py:func}`mlmath.f``` becomes
  ```mlmath.f```. Everything MyST itself knows ({prf:...} boxes, admonitions,
  {numref}, {eq}, {term}, {doc}, exercises) is left to jupyterlab-myst.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import jupytext
import nbformat
import yaml
from jupyter_core.utils import ensure_async
from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
from jupytext.async_contentsmanager import build_async_jupytext_contents_manager_class

ROOT = Path(__file__).resolve().parents[1]
MARK = "mlmath_binder"  # cell metadata key: what this manager added or changed

#: Roles jupyterlab-myst does not render, shown as inline code of their target.
SPHINX_ONLY_ROLE = re.compile(
    r"\{(?P<role>glue(?::[a-z]+)?|py:[a-z]+|nb-exec-table)\}`(?P<body>[^`]*)`"
)


def macros(root: Path = ROOT) -> dict[str, str]:
    r"""The book's MathJax macros as MyST front matter ``math:`` (``\vect`` ...)."""
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    tex = config["sphinx"]["config"]["mathjax3_config"]["tex"]["macros"]
    return {
        f"\\{name}": value[0] if isinstance(value, list) else value
        for name, value in tex.items()
    }


def front_matter_cell(root: Path = ROOT) -> dict:
    """A markdown cell with only the front matter that defines the macros."""
    source = "---\nmath: " + json.dumps(macros(root)) + "\n---"
    return {
        "cell_type": "markdown",
        "metadata": {MARK: "front-matter"},
        "source": source,
        "attachments": {},
        "id": "mlmath-binder-macros",
    }


def _shown(match: re.Match) -> str:
    role, body = match["role"], match["body"]
    if role.startswith("glue"):
        body = body.split(":", 1)[0]  # the glued name, without its format
    elif role.startswith("py:"):
        titled = re.fullmatch(r"(.+?)\s*<[^<>]+>", body)  # `title <target>`
        body = titled.group(1) if titled else body.removeprefix("~")
    return f"`{body}`"


def for_reader(nb: dict, root: Path = ROOT) -> dict:
    """Return `nb` (an nbformat dict) as the reader gets it; `nb` is not changed."""
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        source = "".join(cell["source"])
        shown = SPHINX_ONLY_ROLE.sub(_shown, source)
        if shown != source:
            cell["metadata"][MARK] = {"source": source, "shown": shown}
            cell["source"] = shown
    nb["cells"].insert(0, front_matter_cell(root))
    return nb


def for_disk(nb: dict) -> dict:
    """Undo :func:`for_reader`: the notebook that jupytext writes back to the page."""
    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb["cells"]:
        mark = cell.get("metadata", {}).pop(MARK, None)
        if mark == "front-matter":
            continue
        if isinstance(mark, dict):
            source = "".join(cell["source"])
            if source == mark["shown"]:
                cell["source"] = mark["source"]  # unchanged: the original roles
        cells.append(cell)
    nb["cells"] = cells
    return nb


_Jupytext = build_async_jupytext_contents_manager_class(AsyncLargeFileManager)


class BookContentsManager(_Jupytext):
    """jupytext's contents manager, with :func:`for_reader` / :func:`for_disk`."""

    @staticmethod
    def _is_page(model: dict | None, path: str) -> bool:
        return bool(model) and model.get("type") == "notebook" and path.endswith(".md")

    async def get(self, path, content=True, type=None, format=None, **kwargs):
        """The page as a notebook for the reader (see the module docstring)."""
        model = await super().get(
            path, content=content, type=type, format=format, **kwargs
        )
        if self._is_page(model, path) and content and model.get("content"):
            model["content"] = for_reader(model["content"])
        return model

    async def save(self, model, path=""):
        """Save the page without what :meth:`get` added.

        A page whose text would not change (the reader ran cells but edited nothing:
        outputs are not part of a MyST page) is not written at all, so JupyterLab's
        autosave never re-formats it the way jupytext writes MyST (a
        ``jupytext_version`` in the front matter, a blank line after ``:tags:``).
        """
        if self._is_page(model, path) and model.get("content"):
            model = {**model, "content": for_disk(model["content"])}
            if await self._same_text(model["content"], path):
                return await self.get(path, content=False)
        return await super().save(model, path)

    async def _same_text(self, nb: dict, path: str) -> bool:
        """Whether `nb` is the page at `path` as jupytext writes MyST."""
        if not await ensure_async(self.file_exists(path)):
            return False
        on_disk = await super().get(path, content=True, type="notebook")

        def text(notebook: dict) -> str:
            return jupytext.writes(nbformat.from_dict(notebook), fmt="md:myst")

        return text(on_disk["content"]) == text(nb)
