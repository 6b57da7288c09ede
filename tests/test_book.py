"""Book-wide checks on the strictly built site (built once per session)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
from book_pages import executable_pages  # noqa: E402
from book_pages import toc_files as toc_pages  # noqa: E402


def test_every_toc_page_is_built(site):
    missing = [p for p in toc_pages() if not site.path(p).exists()]
    assert not missing, f"pages in _toc.yml that were not built: {missing}"


def test_no_executed_cell_produced_an_error(site):
    bad = {}
    for page in executable_pages():
        html = site.html(page)
        for marker in (
            "Traceback (most recent call last)",
            'class="output traceback',
            "output stderr",
        ):
            if marker in html:
                bad.setdefault(page, []).append(marker)
    assert not bad, f"error or stderr output in executed pages: {bad}"


def test_every_figure_image_has_alt_text(site):
    for page in toc_pages():
        for img in re.findall(r"<img\b[^>]*>", site.html(page)):
            if "logo" in img:
                continue
            alt = re.search(r'alt="([^"]*)"', img)
            assert alt and len(alt.group(1).strip()) > 20, (page, img[:120])


def test_figures_have_captions(site):
    for page in executable_pages():
        html = site.html(page)
        n_images = len(re.findall(r'<img\b(?![^>]*logo)[^>]*src="[^"]*_images/', html))
        n_captions = html.count("<figcaption")
        assert n_captions >= n_images, (page, n_images, n_captions)


def test_every_public_name_is_linked_from_a_chapter_and_documented(site):
    import mlmath

    chapters = "".join(site.html(p) for p in toc_pages() if "/ch" in p)
    for name in mlmath.__all__:
        module = getattr(mlmath, name).__module__  # mlmath.linalg: book/api/linalg
        target = f"{module}.{name}"
        page = "book/api" + ("" if module == "mlmath" else "/" + module.split(".")[1])
        assert f'id="{target}"' in site.html(page), f"{target} not documented on {page}"
        link = f"{page.split('/')[-1]}.html#{target}"
        assert link in chapters, f"no chapter links to {target} ({link})"


def test_figures_are_opaque_for_dark_mode(site):
    """A transparent figure would show dark text on the dark theme's background."""
    from PIL import Image

    images = sorted((site.root / "_images").glob("*.png"))
    assert images, "no figures were built"
    for path in images:
        with Image.open(path) as img:
            if img.mode in ("RGBA", "LA") or "transparency" in img.info:
                alpha = img.convert("RGBA").getchannel("A")
                assert alpha.getextrema()[0] == 255, f"{path.name} is transparent"
