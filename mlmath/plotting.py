"""Shared figure style for the book: opaque backgrounds, a colour-blind-safe palette.

This is the only :mod:`mlmath` module that imports matplotlib. Chapters call
:func:`use_book_style` once in their first (hidden) cell.
"""

from __future__ import annotations

__all__ = ["PALETTE", "use_book_style"]

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


def use_book_style() -> None:
    """Apply the book's matplotlib style: opaque white figures, palette, compact size.

    Opaque backgrounds keep figures readable in the site's dark mode and in the PDF;
    a fixed ``svg.hashsalt`` and no metadata dates make two builds give identical
    pages.

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
            "figure.figsize": (6.4, 3.6),
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "figure.facecolor": "white",
            "axes.facecolor": "white",
            "savefig.facecolor": "white",
            "savefig.transparent": False,
            "axes.prop_cycle": cycler(color=PALETTE),
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "font.size": 10,
            "image.cmap": "viridis",
            "svg.hashsalt": "mlmath",
            "figure.constrained_layout.use": True,
        }
    )
