"""Make numpydoc reference labels unique on the API page.

numpydoc's ``References`` sections number their entries ``.. [1]``, ``.. [2]`` in
every docstring. On one page holding a whole module these labels collide ("Duplicate
explicit target name"), so before autodoc renders a docstring this hook turns each
``.. [N]`` into an auto-numbered footnote named after the object
(``.. [#pagerank-1]``), and each citation ``[N]_`` in the same docstring into a
reference to it.
"""

from __future__ import annotations

import re

_LABEL = re.compile(r"^(\s*)\.\. \[(\d+)\]", re.MULTILINE)
_CITE = re.compile(r"\[(\d+)\]_")


def unique_reference_labels(app, what, name, obj, options, lines):
    """Rename the docstring's reference labels after the object, in place."""
    prefix = name.rsplit(".", 1)[-1].lower().replace("_", "-")
    text = "\n".join(lines)
    text = _LABEL.sub(lambda m: f"{m.group(1)}.. [#{prefix}-{m.group(2)}]", text)
    text = _CITE.sub(lambda m: f"[#{prefix}-{m.group(1)}]_", text)
    lines[:] = text.split("\n")


def setup(app):
    """Run after napoleon (priority 500) has converted the numpydoc sections."""
    app.connect("autodoc-process-docstring", unique_reference_labels, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
