"""Publishing glue for the book: Colab notebooks, the Colab button, the PDF link.

Two uses, one source of truth (``_config.yml``):

* a Sphinx extension, registered in ``_config.yml`` under ``sphinx.local_extensions``.
  On every HTML page it (1) points sphinx-book-theme's Colab button at the generated
  ``.ipynb`` on the notebooks branch (Colab cannot open MyST ``.md``), and (2) adds a
  page-relative "Download the book (PDF)" link to the download menu and the footer.
  In the PDF it (3) prints the number of an exercise that the text references, where
  sphinx-exercise would leave "??";
* a command line tool, run by ``make notebooks`` (into ``_build/html/_notebooks``)::

      python book/_ext/publishing.py notebooks OUTDIR   # write the Colab notebooks
      python book/_ext/publishing.py pdf-name           # mlmath-book.pdf
      python book/_ext/publishing.py notebooks-branch   # notebooks

The repository URL, branch and path come from ``_config.yml`` (``repository:``); the
Colab URL and the notebooks branch from ``launch_buttons``.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path
from typing import Any

from book_pages import executable_pages
from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform

#: Folder of the site (``_build/html``) that holds the whole-book PDF.
PDF_DIR = "_pdf"
PDF_LINK_TEXT = "Download the book (PDF)"
COLAB = "https://colab.research.google.com"

ROOT = Path(__file__).resolve().parents[2]

INSTALL_CELL = """\
# Installs the book's package where it is missing (Google Colab); a no-op locally and
# on Binder, where requirements.txt already installed it.
try:
    import mlmath  # noqa: F401
    import myst_nb  # noqa: F401
except ImportError:
    %pip install --quiet "git+{url}@{branch}" myst-nb"""


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


def make_notebook(source: Path, repo: dict[str, str]):
    """Return `source` (a MyST notebook) as an nbformat notebook for Colab.

    The code and markdown cells are jupytext's conversion of the page; a first code
    cell installs ``mlmath`` (from ``repository.url`` at ``repository.branch``) and
    ``myst-nb`` (for ``glue``) when they cannot be imported.
    """
    import jupytext
    import nbformat

    nb = jupytext.read(source)
    nb.metadata.pop("jupytext", None)
    install = nbformat.v4.new_code_cell(
        INSTALL_CELL.format(url=repo["url"], branch=repo["branch"])
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
    written = []
    for page in executable_pages(root):
        target = outdir / repo["path"] / f"{page}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(make_notebook(root / f"{page}.md", repo), target)
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


def add_page_links(app, pagename: str, templatename: str, context: dict, doctree):
    """Rewrite the Colab launch button and add the PDF links (``html-page-context``)."""
    if app.builder.format != "html":
        return
    buttons = context.get("header_buttons")
    pdf_url = context["pathto"](_pdf_target(app), 1)
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
        download = _find_group(buttons, "download-buttons")
        if download is not None:
            download["buttons"] = [*download["buttons"], copy.copy(pdf_button)]
        else:
            buttons.append(pdf_button)
    footer = context.get("theme_extra_footer") or ""
    context["theme_extra_footer"] = (
        f'{footer}<p class="mlmath-pdf-link"><a href="{pdf_url}">'
        f"{PDF_LINK_TEXT}</a></p>"
    )


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
    sub.add_parser("notebooks-branch", help="print the branch Colab opens")
    args = parser.parse_args(argv)
    config = load_config()
    if args.command == "notebooks":
        written = write_notebooks(args.outdir)
        print(f"{len(written)} notebooks for Colab written to {args.outdir}")
    elif args.command == "pdf-name":
        print(pdf_name(config))
    else:
        print(repository(config)["notebooks_branch"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
