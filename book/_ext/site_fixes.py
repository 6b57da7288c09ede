"""Small fixes to the generated HTML that the browser checks found.

sphinx-thebe registers its configuration script (``const THEBE_JS_URL = ...``) twice in
this stack, and declaring a ``const`` twice is a console error on every page. This
extension drops duplicates (same file or inline body, same attributes) from each
page's script list before it is rendered.
"""

from __future__ import annotations


def drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    """Keep the first of any scripts that are the same file or the same inline body."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        # inline scripts come with filename None or "": compare the body instead
        name = getattr(script, "filename", script) or ""
        attributes = getattr(script, "attributes", {})
        key = (str(name), tuple(sorted(attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app):
    """Register the handler late, after every extension has added its scripts."""
    app.connect("html-page-context", drop_duplicate_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
