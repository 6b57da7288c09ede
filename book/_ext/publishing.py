"""Publishing glue for the book: Colab notebooks, the Colab button, the PDF link.

Two uses, one source of truth (``_config.yml``):

* a Sphinx extension, registered in ``_config.yml`` under ``sphinx.local_extensions``.
  On every HTML page it (1) points sphinx-book-theme's Colab button at the generated
  ``.ipynb`` on the notebooks branch (Colab cannot open MyST ``.md``) and the ".ipynb"
  download at the same notebook in ``_notebooks/``, (2) adds a page-relative
  "Download the book (PDF)" link to the download menu and the footer (the PDF, or the
  ``_pdf/index.html`` page every HTML build writes), (3) makes Live Code run the code
  of the page's hidden (``remove-cell``) cells, and offers no Live Code where there is
  nothing to run. In the PDF it (4) prints the number of an exercise that the text
  references, where sphinx-exercise would leave "??";
* a command line tool, run by ``make notebooks`` (into ``_build/html/_notebooks``)::

      python book/_ext/publishing.py notebooks OUTDIR   # write the Colab notebooks
      python book/_ext/publishing.py pdf-name           # mlmath-book.pdf
      python book/_ext/publishing.py pdf-page SITEDIR   # SITEDIR/_pdf/index.html
      python book/_ext/publishing.py notebooks-branch   # notebooks

The repository URL, branch and path come from ``_config.yml`` (``repository:``); the
Colab URL and the notebooks branch from ``launch_buttons``.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path
from typing import Any

from book_pages import executable_pages
from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging

logger = logging.getLogger(__name__)

#: Folder of the site (``_build/html``) that holds the whole-book PDF.
PDF_DIR = "_pdf"
PDF_LINK_TEXT = "Download the book (PDF)"
COLAB = "https://colab.research.google.com"

ROOT = Path(__file__).resolve().parents[2]

#: The first cell of every generated notebook (Colab, and the page's ".ipynb" download).
#: It installs mlmath at the commit the notebook was built from, and the myst-nb of
#: requirements.txt (pages call its ``glue``), where they cannot be imported. pip runs
#: as a subprocess so that a failed install raises here, in this cell, with what to do,
#: instead of a ``ModuleNotFoundError`` one cell later (``%pip`` never raises).
INSTALL_CELL = """\
# Installs the book's package where it is missing (Google Colab, a downloaded notebook):
# mlmath at the commit this notebook was built from, and myst-nb (for `glue`).
# Nothing to do on Binder or in the book's own environment.
import importlib.util
import subprocess
import sys

MLMATH = "git+{url}@{ref}"
missing = [m for m in ("mlmath", "myst_nb") if importlib.util.find_spec(m) is None]
if missing:
    print("Installing", MLMATH, "and {myst_nb} ...")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", MLMATH, "{myst_nb}"],
        capture_output=True, text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(
            "Could not install the book's package: pip failed with\\n\\n"
            + result.stderr[-3000:]
            + "\\nWhat to do: check that this runtime can reach {host} (on Colab:"
            " Runtime > Restart session, then run this cell again), or install it"
            " yourself and run this cell again:\\n"
            + "    pip install '" + MLMATH + "' '{myst_nb}'"
        )
    importlib.invalidate_caches()
    print("Installed.")"""


def install_ref(repo: dict[str, str], root: Path = ROOT) -> str:
    """The commit (or tag) the Colab notebooks install mlmath from.

    ``MLMATH_INSTALL_REF`` when set (the Publish workflow passes ``github.sha``), else
    the commit checked out at `root`, else the branch of ``_config.yml``.
    """
    import os
    import subprocess

    ref = os.environ.get("MLMATH_INSTALL_REF", "").strip()
    if ref:
        return ref
    proc = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True
    )
    return proc.stdout.strip() if proc.returncode == 0 else repo["branch"]


def pinned(package: str, root: Path = ROOT) -> str:
    """``package==version`` as requirements.txt pins it (or `package` if unpinned)."""
    import re

    text = (root / "requirements.txt").read_text(encoding="utf-8")
    match = re.search(rf"^{re.escape(package)}==(\S+)", text, re.MULTILINE)
    return f"{package}=={match.group(1)}" if match else package


# --------------------------------------------------------------------------------------
# Configuration (_config.yml and _toc.yml)


def load_config(root: Path = ROOT) -> dict[str, Any]:
    """Return the parsed ``_config.yml`` of the book at `root`."""
    import yaml

    return yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))


def repository(config: dict[str, Any]) -> dict[str, str]:
    """Return the repository's ``url``, ``branch``, ``path`` and the Colab settings."""
    repo = config.get("repository") or {}
    launch = config.get("launch_buttons") or {}
    url = str(repo.get("url", "")).rstrip("/")
    if not url.startswith("https://github.com/"):
        raise ValueError(
            f"`repository.url` in _config.yml must be a GitHub URL, got {url!r}"
        )
    return {
        "url": url,
        "branch": str(repo.get("branch") or "main"),
        "path": str(repo.get("path_to_book") or "").strip("/"),
        "colab_url": str(launch.get("colab_url") or COLAB).rstrip("/"),
        "notebooks_branch": str(launch.get("notebooks_branch") or "notebooks"),
    }


def pdf_name(config: dict[str, Any]) -> str:
    """Return the PDF's file name: the LaTeX target name with ``.pdf``."""
    documents = (config.get("latex") or {}).get("latex_documents") or {}
    return str(Path(documents.get("targetname") or "book.tex").with_suffix(".pdf"))


def colab_link(repo: dict[str, str], page: str) -> str:
    """Colab URL of `page`'s generated notebook on the notebooks branch."""
    org_repo = repo["url"].removeprefix("https://github.com/")
    path = f"{repo['path']}/{page}" if repo["path"] else page
    branch = repo["notebooks_branch"]
    return f"{repo['colab_url']}/github/{org_repo}/blob/{branch}/{path}.ipynb"


# --------------------------------------------------------------------------------------
# Notebooks for Colab


def install_cell_source(repo: dict[str, str], ref: str, root: Path = ROOT) -> str:
    """The source of the install cell for mlmath at `ref` of ``repository.url``."""
    host = repo["url"].split("/")[2]
    return INSTALL_CELL.format(
        url=repo["url"], ref=ref, myst_nb=pinned("myst-nb", root), host=host
    )


def make_notebook(source: Path, repo: dict[str, str], ref: str | None = None):
    """Return `source` (a MyST notebook) as an nbformat notebook for Colab.

    The code and markdown cells are jupytext's conversion of the page; a first code
    cell installs ``mlmath`` (from ``repository.url`` at `ref`, by default
    :func:`install_ref`) and ``myst-nb`` (for ``glue``) when they cannot be imported,
    and raises with what to do when that install fails.
    """
    import jupytext
    import nbformat

    nb = jupytext.read(source)
    nb.metadata.pop("jupytext", None)
    install = nbformat.v4.new_code_cell(
        install_cell_source(repo, ref or install_ref(repo))
    )
    install.metadata["tags"] = ["colab-install"]
    nb.cells.insert(0, install)
    for i, cell in enumerate(nb.cells):  # stable ids: same page, same notebook
        cell["id"] = f"cell-{i}"
    nbformat.validate(nb)
    return nb


def write_notebooks(outdir: Path, root: Path = ROOT) -> list[Path]:
    """Write one ``.ipynb`` per executable page under `outdir`; return their paths.

    Each lands at its path in the repository (``path_to_book/page.ipynb``), the path
    the Colab button opens on the notebooks branch.
    """
    import nbformat

    repo = repository(load_config(root))
    ref = install_ref(repo, root)
    written = []
    for page in executable_pages(root):
        target = outdir / repo["path"] / f"{page}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(make_notebook(root / f"{page}.md", repo, ref), target)
        written.append(target)
    return written


# --------------------------------------------------------------------------------------
# Sphinx extension


def _repo_from_sphinx(app) -> dict[str, str]:
    theme = app.config.html_theme_options or {}
    return repository(
        {
            "repository": {
                "url": theme.get("repository_url", ""),
                "branch": theme.get("repository_branch", ""),
                "path_to_book": theme.get("path_to_docs", ""),
            },
            "launch_buttons": theme.get("launch_buttons", {}),
        }
    )


def _pdf_target(app) -> str:
    documents = app.config.latex_documents or [("", "book.tex")]
    return f"{PDF_DIR}/{Path(documents[0][1]).with_suffix('.pdf').name}"


def _find_group(buttons: list[dict], label: str) -> dict | None:
    for button in buttons:
        if button.get("type") == "group" and button.get("label") == label:
            return button
    return None


def _pdf_link_target(app) -> str:
    """The PDF itself when the site already holds it, else the PDF page (``_pdf/``).

    The page ``_pdf/index.html`` is written by every HTML build
    (:func:`write_pdf_page`), so the link is never a 404: it offers the PDF once
    ``make pdf`` put it there, and says how to build it (or where the published one
    is) until then.
    """
    target = _pdf_target(app)
    if (Path(app.outdir) / target).is_file():
        return target
    return f"{PDF_DIR}/index.html"


def add_page_links(app, pagename: str, templatename: str, context: dict, doctree):
    """Rewrite the Colab launch button and add the PDF links (``html-page-context``)."""
    if app.builder.format != "html":
        return
    buttons = context.get("header_buttons")
    pdf_url = context["pathto"](_pdf_link_target(app), 1)
    pdf_button = {
        "type": "link",
        "text": "Book (PDF)",
        "tooltip": PDF_LINK_TEXT,
        "icon": "fas fa-book",
        "url": pdf_url,
        "label": "download-book-pdf-button",
    }
    if buttons is not None:
        launch = _find_group(buttons, "launch-buttons")
        if launch is not None:
            url = colab_link(_repo_from_sphinx(app), pagename)
            for button in launch["buttons"]:
                if button.get("text") == "Colab":
                    button["url"] = url
            if doctree is not None and not _shown_code(doctree):
                # nothing to run (the exercise pages; a page whose only cell hides
                # its input, like the status page's table): no Live Code
                launch["buttons"] = [
                    b for b in launch["buttons"] if b.get("label") != "launch-thebe"
                ]
        download = _find_group(buttons, "download-buttons")
        if download is not None:
            for button in download["buttons"]:
                if button.get("label") == "download-notebook-button":
                    # the notebook with the install cell, as on Colab
                    button["url"] = context["pathto"](
                        f"{NOTEBOOKS_DIR}/{pagename}.ipynb", 1
                    )
            download["buttons"] = [*download["buttons"], copy.copy(pdf_button)]
        else:
            buttons.append(pdf_button)
    footer = context.get("theme_extra_footer") or ""
    context["theme_extra_footer"] = (
        f'{footer}<p class="mlmath-pdf-link"><a href="{pdf_url}">'
        f"{PDF_LINK_TEXT}</a></p>"
    )
    if context.get("use_thebe") and doctree is not None:
        hidden = hidden_cells(app, pagename, doctree)
        if hidden:
            data = json.dumps(hidden).replace("</", "<\\/")
            context["body"] = context.get("body", "") + (
                f'<script type="application/json" id="{HIDDEN_CELLS_ID}">'
                f"{data}</script>"
            )


# --------------------------------------------------------------------------------------
# Live Code (Thebe): the code a page hides must run too
#
# sphinx-thebe turns every ``.cell`` of the HTML into a live cell, and clicks the run
# button of cells with the class ``tag_thebe-init`` once the kernel is ready. Cells
# tagged ``remove-cell`` (imports, helpers, glue) are not in the HTML, so Thebe never
# ran them and the first live cell failed. Without changing how the page looks, the
# page now carries their code (a JSON script); when the reader clicks Live Code,
# LIVE_CODE_JS adds them as hidden live cells where they were: those before the first
# visible cell run at kernel start (``tag_thebe-init``), each later one runs just
# before the first visible cell after it that the reader runs. The PDF and the static
# page are unchanged.

HIDDEN_CELLS_ID = "mlmath-hidden-cells"

LIVE_CODE_JS = """
(() => {
  const data = document.getElementById("HIDDEN_CELLS_ID");
  if (!data) return;
  const hidden = JSON.parse(data.textContent);
  let added = false;
  const addHiddenCells = () => {
    if (added) return;
    added = true;
    const visible = Array.from(document.querySelectorAll("div.cell"));
    for (const {before, code, init} of hidden) {
      const cell = document.createElement("div");
      cell.className = "cell mlmath-hidden-cell" + (init ? " tag_thebe-init" : "");
      cell.hidden = true;
      const input = document.createElement("div");
      input.className = "cell_input";
      const pre = document.createElement("pre");
      pre.textContent = code;
      input.appendChild(pre);
      cell.appendChild(input);
      visible[before].before(cell);
    }
  };
  document.addEventListener("click", (event) => {
    if (event.target.closest('[onclick*="initThebe"]')) addHiddenCells();
    if (event.target.closest(".thebelab-restart-button")) {
      for (const c of document.querySelectorAll(".mlmath-ran")) {
        c.classList.remove("mlmath-ran");
      }
    }
    const run = event.target.closest(".thebelab-run-button");
    const cell = run && run.closest(".cell");
    if (!cell || cell.classList.contains("mlmath-hidden-cell")) return;
    const waiting = ".mlmath-hidden-cell:not(.tag_thebe-init):not(.mlmath-ran)";
    for (const h of document.querySelectorAll(waiting)) {
      if (h.compareDocumentPosition(cell) & Node.DOCUMENT_POSITION_FOLLOWING) {
        h.classList.add("mlmath-ran");
        h.querySelector(".thebelab-run-button").click();
      }
    }
  }, true);
})();
""".replace("HIDDEN_CELLS_ID", HIDDEN_CELLS_ID)


def _html_code_cells(doctree) -> list:
    """The code cells myst-nb put into the page (``div.cell`` in the HTML)."""
    return [
        node
        for node in doctree.findall(nodes.container)
        if node.get("nb_element") == "cell_code"
    ]


def _shown_code(doctree) -> list:
    """The code cells whose code the reader sees: those Thebe can run.

    A cell tagged ``remove-input`` shows only its output: Thebe has nothing to run.
    """
    return [
        cell
        for cell in _html_code_cells(doctree)
        if any(
            child.get("nb_element") == "cell_code_source"
            for child in cell.findall(nodes.container)
        )
    ]


def hidden_cells(app, pagename: str, doctree) -> list[dict]:
    """The ``remove-cell`` code cells of `pagename` that precede a cell in the HTML.

    Each is ``{"before": k, "code": ..., "init": bool}``: it runs before the k-th code
    cell of the HTML; ``init`` (those before the first one) at kernel start. Removed
    cells after the last visible one only glue values for the prose: not sent.
    """
    import jupytext

    source = Path(app.env.doc2path(pagename))
    if source.suffix != ".md":
        return []
    code = [c for c in jupytext.read(source).cells if c.cell_type == "code"]
    visible = 0
    hidden = []
    for cell in code:
        if "remove-cell" in cell.metadata.get("tags", []):
            hidden.append(
                {"before": visible, "code": cell.source, "init": visible == 0}
            )
        else:
            visible += 1
    in_html = len(_html_code_cells(doctree))
    if in_html != visible:
        logger.warning(
            "%s: %d code cells are not tagged remove-cell but the HTML has %d; the "
            "Live Code of this page would run hidden cells in the wrong places",
            pagename, visible, in_html, type="mlmath", subtype="live-code",
        )
        return []
    return [cell for cell in hidden if cell["before"] < visible]


# --------------------------------------------------------------------------------------
# Files every HTML build writes next to the pages

NOTEBOOKS_DIR = "_notebooks"


def write_pdf_page(outdir: Path, pdf: str, published: str) -> Path:
    """Write ``_pdf/index.html``: the PDF when present, else how to get it."""
    folder = outdir / PDF_DIR
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / pdf).is_file():
        body = (
            f'<p><a href="{pdf}">{PDF_LINK_TEXT}</a> ({pdf}, '
            f"{(folder / pdf).stat().st_size / 1e6:.1f} MB).</p>"
        )
    else:
        body = (
            "<p>This build of the book has no PDF yet. Build it with "
            "<code>make pdf</code> (it needs TeX Live: see README.md), or download "
            f'the published one: <a href="{published}">{published}</a>.</p>'
        )
    page = folder / "index.html"
    page.write_text(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{PDF_LINK_TEXT}</title></head><body><h1>{PDF_LINK_TEXT}</h1>"
        f'{body}<p><a href="../index.html">Back to the book</a></p></body></html>\n',
        encoding="utf-8",
    )
    return page


def published_pdf_url(repo: dict[str, str], pdf: str) -> str:
    """URL of the PDF on the GitHub Pages site the Publish workflow deploys."""
    owner, name = repo["url"].removeprefix("https://github.com/").split("/")[:2]
    return f"https://{owner.lower()}.github.io/{name}/{PDF_DIR}/{pdf}"


def write_build_files(app, exception) -> None:
    """``build-finished``: the PDF page and the notebooks behind ".ipynb" downloads."""
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    repo = _repo_from_sphinx(app)
    pdf = Path(_pdf_target(app)).name
    write_pdf_page(outdir, pdf, published_pdf_url(repo, pdf))
    write_notebooks(outdir / NOTEBOOKS_DIR, Path(app.srcdir))


class LatexExerciseNumbers(SphinxPostTransform):
    r"""Give numbered references to exercises their number in the PDF.

    sphinx-exercise labels an exercise ``exercise:<label>`` in LaTeX and numbers it in
    its title, but a ``{ref}``/``{numref}`` to it becomes ``\ref{<doc>:<label>}``,
    which LaTeX prints as "??". This replaces such references by the exercise's number
    (the one its title shows) linked to ``exercise:<label>``.
    """

    default_priority = 11  # right after Sphinx resolved the cross-references
    formats = ("latex",)

    def run(self, **kwargs: Any) -> None:
        """Replace every number reference to an enumerated exercise."""
        registry = getattr(self.env, "sphinx_exercise_registry", None)
        if not registry:
            return
        from sphinx_exercise.nodes import (
            exercise_enumerable_node,
            exercise_latex_number_reference,
        )

        for node in list(self.document.findall(addnodes.number_reference)):
            label = node.get("refid") or node.get("refuri", "").rpartition("#")[2]
            entry = registry.get(label) or {}
            if not isinstance(entry.get("node"), exercise_enumerable_node):
                continue
            numbers = self.env.toc_fignumbers.get(entry.get("docname"), {})
            number = numbers.get("exercise", {}).get(label)
            if not number:
                continue
            fmt = self.config.numfig_format.get("exercise", "Exercise %s")
            ref = exercise_latex_number_reference(refid=label)
            ref += nodes.Text(fmt % ".".join(map(str, number)))
            node.replace_self(ref)


def setup(app):
    """Register the handler after sphinx-book-theme built its buttons (priority 501)."""
    app.connect("html-page-context", add_page_links, priority=900)
    app.connect("build-finished", write_build_files)
    app.add_js_file(None, body=LIVE_CODE_JS)
    app.add_post_transform(LatexExerciseNumbers)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}


# --------------------------------------------------------------------------------------
# Command line


def main(argv: list[str] | None = None) -> int:
    """Command line entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    nbs = sub.add_parser("notebooks", help="write the Colab notebooks into OUTDIR")
    nbs.add_argument("outdir", type=Path)
    sub.add_parser("pdf-name", help="print the PDF's file name")
    page = sub.add_parser("pdf-page", help="write OUTDIR/_pdf/index.html")
    page.add_argument("outdir", type=Path)
    sub.add_parser("notebooks-branch", help="print the branch Colab opens")
    args = parser.parse_args(argv)
    config = load_config()
    if args.command == "notebooks":
        written = write_notebooks(args.outdir)
        print(f"{len(written)} notebooks for Colab written to {args.outdir}")
    elif args.command == "pdf-name":
        print(pdf_name(config))
    elif args.command == "pdf-page":
        pdf = pdf_name(config)
        published = published_pdf_url(repository(config), pdf)
        print(write_pdf_page(args.outdir, pdf, published))
    else:
        print(repository(config)["notebooks_branch"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
