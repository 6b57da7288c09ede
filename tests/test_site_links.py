"""No broken internal links or anchors anywhere in the built site."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse


class _LinksAndIds(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name"):
            if attrs.get(key):
                self.ids.add(attrs[key])
        for key in ("href", "src"):
            value = attrs.get(key)
            if value and not (tag == "link" and attrs.get("rel") == "preconnect"):
                self.links.append(value)


def _parse(path: Path) -> _LinksAndIds:
    parser = _LinksAndIds()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return parser


def test_internal_links_and_anchors_resolve(site):
    root = site.root.resolve()
    pages = sorted(p for p in root.rglob("*.html") if "_static" not in p.parts)
    parsed = {p: _parse(p) for p in pages}
    pdf_built = any((root / "_pdf").glob("*.pdf"))
    broken = []
    for page, info in parsed.items():
        for link in info.links:
            scheme = urlparse(link).scheme
            if scheme in (
                "http",
                "https",
                "mailto",
                "data",
                "javascript",
            ) or link.startswith("//"):
                continue
            target, anchor = urldefrag(link)
            target = target.split("?")[0]
            path = (page.parent / unquote(target)).resolve() if target else page
            if path.is_dir():
                path = path / "index.html"
            if path.suffix == ".pdf" and not pdf_built:
                continue  # `make pdf` puts the PDF there (tests/test_pdf.py)
            if not path.exists():
                broken.append(f"{page.relative_to(root)} -> {link}")
            elif anchor and path.suffix == ".html":
                ids = parsed[path].ids if path in parsed else _parse(path).ids
                if unquote(anchor) not in ids:
                    broken.append(
                        f"{page.relative_to(root)} -> {link} (no such anchor)"
                    )
    assert not broken, "broken internal links:\n" + "\n".join(broken[:50])
