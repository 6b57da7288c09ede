"""Shared figure style for the book: opaque backgrounds, a colour-blind-safe palette.

This is the only :mod:`mlmath` module that imports matplotlib. Chapters call
:func:`use_book_style` once in their first (hidden) cell.
"""

from __future__ import annotations

__all__ = ["FONT_SIZE", "MAX_FIGURE_WIDTH", "PALETTE", "use_book_style"]

#: Okabe–Ito colour-blind-safe palette (blue, orange, green, vermillion, purple,
#: sky blue, yellow, black).
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#000000",
)


#: Widest figure (inches at ``DPI``) whose smallest text stays legible on a phone.
#: A 390 px phone shows the book's column 342 px wide, so a figure ``w`` inches wide is
#: drawn at ``342 / (w * DPI)`` of its size, and ``pt``-point text at
#: ``pt * DPI / 72 * 342 / (w * DPI)`` px. Saved with 0.1 in of padding, a 5.6 in
#: figure is about 571 px wide and its 11 pt text 9.1 px on the phone, the least a
#: reader should get (tests/test_browser_reader.py measures it on every figure).
#: Multi-panel figures use this width too, with fewer, taller rows if they need room.
MAX_FIGURE_WIDTH = 5.6
#: Text size of every label, tick, legend and title, in points.
FONT_SIZE = 11
DPI = 100


def use_book_style() -> None:
    """Apply the book's matplotlib style: opaque white figures, palette, phone-legible.

    Opaque backgrounds keep figures readable in the site's dark mode and in the PDF;
    a fixed ``svg.hashsalt`` and no metadata dates make two builds give identical
    pages. Every text is ``FONT_SIZE`` points and the default figure is narrower than
    ``MAX_FIGURE_WIDTH``, so that labels, ticks and legends are at least about 9 px on
    a 390 px phone; math text's sub- and superscripts are 70 % of that (about 6.4 px).

    Examples
    --------
    >>> use_book_style()
    >>> import matplotlib as mpl
    >>> mpl.rcParams["figure.facecolor"]
    'white'
    """
    import matplotlib as mpl
    from cycler import cycler

    mpl.rcParams.update(
        {
            "figure.figsize": (5.4, 3.4),
            "figure.dpi": DPI,
            "savefig.dpi": DPI,
            "figure.facecolor": "white",
            "axes.facecolor": "white",
            "savefig.facecolor": "white",
            "savefig.transparent": False,
            "axes.prop_cycle": cycler(color=PALETTE),
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "font.size": FONT_SIZE,
            "axes.titlesize": FONT_SIZE,
            "axes.labelsize": FONT_SIZE,
            "xtick.labelsize": FONT_SIZE,
            "ytick.labelsize": FONT_SIZE,
            "legend.fontsize": FONT_SIZE,
            "legend.title_fontsize": FONT_SIZE,
            "figure.titlesize": FONT_SIZE + 1,
            "image.cmap": "viridis",
            "svg.hashsalt": "mlmath",
            "figure.constrained_layout.use": True,
        }
    )
