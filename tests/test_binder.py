"""Binder journey: the Binder link of a chapter opens a runnable notebook that reads
like the book, in the JupyterLab that mybinder.org really runs.

The environment is built as repo2docker builds it (tests/launch_envs.py: its base pins
from binder/repo2docker-base.txt, then binder/requirements.txt, `pip install .` only
where repo2docker would run it, then binder/postBuild), cached under
~/.cache/mlmath-book/. JupyterLab is started on 127.0.0.1, and Debian's Chromium opens
the page's Binder URL path (`lab/tree/<page>.md`, as in the Binder link) with every
request that leaves 127.0.0.1 blocked. A reader's journey: the page opens as a notebook
with a Python kernel, Run All gives no error, the math and the MyST render.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from launch_envs import (
    BINDER,
    binder_env,
    binder_files,
    repo2docker_runs_pip_install_dot,
    run_post_build,
)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts" / "binder"
CHROMIUM = os.environ.get("MLMATH_CHROMIUM") or shutil.which("chromium") or ""
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
REPO = CONFIG["repository"]["url"].removeprefix("https://github.com/")
BRANCH = CONFIG["repository"]["branch"]
#: Chapter pages opened in the browser: prose with {prf:} boxes, macros, glue, figures.
PAGES = [
    "book/ch1-linear-algebra/dot-product",
    "book/ch4-probability/entropy-kl",
    "book/ch6-networks/link-prediction",
]
TOKEN = "mlmath-binder-test"
#: Run All of one page: its code takes seconds; this allows for a loaded 2-core machine.
RUN_ALL_TIMEOUT_MS = 300_000
#: The notebook's kernel is started and idle (JupyterLab's status bar).
KERNEL_IDLE = """() => {
  const bar = document.querySelector("#jp-main-statusbar");
  return !!bar && /Python 3 \\(ipykernel\\) \\| Idle/.test(bar.textContent);
}"""
#: The pages this session opened in the browser (each must start one kernel).
OPENED: list[str] = []
#: Run All is over: no cell waits ([*]) and every code cell ran, or one failed and Run
#: All stopped there.
RUN_ALL_DONE = """(n) => {
  const p = document.querySelector(".jp-NotebookPanel:not(.lm-mod-hidden)");
  const prompts = [...p.querySelectorAll(".jp-CodeCell .jp-InputPrompt")];
  const busy = prompts.some((e) => e.textContent.includes("*"));
  const failed = p.querySelector("[data-mime-type='application/vnd.jupyter.error']");
  const ran = prompts.every((e) => /\\[\\d+\\]/.test(e.textContent));
  return !busy && (failed || (prompts.length === n && ran));
}"""


def requirement_pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[name.strip().lower().replace("_", "-")] = version.strip()
    return pins


# ---------------------------------------------------------------------------------
# What repo2docker does with this repository (no browser needed)


def test_repo2docker_reads_the_binder_folder_and_keeps_mlmath_editable():
    files = binder_files(ROOT)
    assert set(files) == {"requirements.txt", "postBuild", "runtime.txt"}
    assert all(path.parent == BINDER for path in files.values())
    assert files["runtime.txt"].read_text().strip() == "python-3.11"
    # `pip install .` would replace the editable install of `-e .` with a copy
    assert not repo2docker_runs_pip_install_dot(ROOT)
    assert "-e ." in files["requirements.txt"].read_text().splitlines()


def test_binder_pins_agree_with_the_books_pins_and_the_base():
    binder = requirement_pins(BINDER / "requirements.txt")
    book = requirement_pins(ROOT / "requirements.txt")
    base = requirement_pins(BINDER / "repo2docker-base.txt")
    assert base["jupyterlab"] == "4.4.9" and base["notebook"] == "7.4.7"
    assert base["jupyter-server"] == "2.17.0"
    for name in (
        "numpy",
        "scipy",
        "matplotlib",
        "seaborn",
        "networkx",
        "scikit-learn",
        "myst-nb",
    ):
        assert binder[name] == book[name], name
    # the base is repo2docker's: Binder must not move JupyterLab itself
    assert not set(binder) & {"jupyterlab", "notebook", "jupyter-server"}


# ---------------------------------------------------------------------------------
# The environment, the server, the browser


@pytest.fixture(scope="module")
def binder_prefix() -> Path:
    prefix = binder_env(ROOT)
    run_post_build(prefix, ROOT)
    return prefix


def test_the_binder_environment_runs_repo2dockers_jupyterlab(binder_prefix):
    python = binder_prefix / "bin" / "python"
    out = subprocess.run(
        [
            python,
            "-c",
            "import jupyterlab, notebook, jupyter_server, mlmath; "
            "print(jupyterlab.__version__, notebook.__version__, "
            "jupyter_server.__version__, mlmath.__file__)",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd="/",
    ).stdout.split()
    base = requirement_pins(BINDER / "repo2docker-base.txt")
    assert out[:3] == [base["jupyterlab"], base["notebook"], base["jupyter-server"]]
    # editable: the reader's edits to mlmath/ are what the kernel imports
    assert Path(out[3]) == ROOT / "mlmath" / "__init__.py"
    check = subprocess.run(
        [python, "-m", "pip", "check"], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout
    extensions = subprocess.run(
        [binder_prefix / "bin" / "jupyter", "labextension", "list"],
        capture_output=True,
        text=True,
    )
    listing = re.sub(r"\x1b\[[0-9;]*m", "", extensions.stdout + extensions.stderr)
    for name in ("jupyterlab-jupytext", "jupyterlab-myst"):
        assert re.search(rf"{name} v\S+ enabled\s+OK", listing), listing


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def lab(binder_prefix, tmp_path_factory):
    """JupyterLab from the Binder environment, serving the repository, on 127.0.0.1."""
    home = tmp_path_factory.mktemp("binder-home")
    port = _free_port()
    env = {
        **os.environ,
        "PATH": f"{binder_prefix / 'bin'}{os.pathsep}{os.environ['PATH']}",
        # the user's own Jupyter and IPython settings stay out of the test
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "IPYTHONDIR": str(home / "ipython"),
        "MPLCONFIGDIR": str(home / "matplotlib"),
    }
    env.pop("VIRTUAL_ENV", None)
    # Every cell in the page's DOM (JupyterLab renders only the cells in view by
    # default), so that the checks below see the whole notebook: a setting of the
    # test's own user, not of the Binder environment.
    tracker = home / "config" / "lab" / "user-settings" / "@jupyterlab"
    tracker = tracker / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text(json.dumps({"windowingMode": "none"}), encoding="utf-8")
    # The server below serves the clone itself: JupyterLab's autosave must not write
    # the pages the test opens back into it (a Jupytext round trip re-wraps the YAML).
    docmanager = tracker.parents[1] / "docmanager-extension"
    docmanager = docmanager / "plugin.jupyterlab-settings"
    docmanager.parent.mkdir(parents=True)
    docmanager.write_text(json.dumps({"autosave": False}), encoding="utf-8")
    pages = sorted((ROOT / "book").rglob("*.md"))
    before = {page: page.read_bytes() for page in pages}
    cmd = [
        binder_prefix / "bin" / "jupyter",
        "lab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--IdentityProvider.token={TOKEN}",
        f"--ServerApp.root_dir={ROOT}",
        "--ServerApp.port_retries=0",
    ]
    if os.geteuid() == 0:
        cmd.append("--allow-root")  # Binder runs as jovyan; CI runs as root
    log = (home / "lab.log").open("w")
    proc = subprocess.Popen(
        cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300  # slow on a loaded 2-core machine
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(
                    "JupyterLab did not start:\n"
                    + (home / "lab.log").read_text()[-4000:]
                )
            time.sleep(0.5)
    yield url, home / "lab.log"
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(home / "lab.log", ARTIFACTS / "lab.log")
    changed = [page for page in pages if page.read_bytes() != before[page]]
    for page in changed:
        page.write_bytes(before[page])
    assert not changed, f"JupyterLab wrote into the clone's pages: {changed}"


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM:
        message = "Debian's Chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message + "; .ci/run installs it")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_the_binder_link_opens_the_same_path(lab):
    # the README's and the site's Binder links open lab/tree/<page>.md
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    link = f"https://mybinder.org/v2/gh/{REPO}/{BRANCH}?urlpath=lab/tree/{PAGES[0]}.md"
    assert link in readme


def _shut_down_every_session(url: str) -> None:
    """End the page's kernel, as the end of a Binder session does."""
    headers = {"Authorization": f"token {TOKEN}"}
    req = urllib.request.Request(f"{url}/api/sessions", headers=headers)
    with urllib.request.urlopen(req, timeout=30) as resp:
        sessions = json.load(resp)
    for session in sessions:
        req = urllib.request.Request(
            f"{url}/api/sessions/{session['id']}", method="DELETE", headers=headers
        )
        with urllib.request.urlopen(req, timeout=60):
            pass


@pytest.mark.parametrize("page", PAGES)
def test_binder_page_opens_as_a_notebook_runs_and_reads_like_the_book(
    lab, browser, page
):
    url, log = lab
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = page.rsplit("/", 1)[1]
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    console: list[str] = []
    blocked: list[str] = []
    tab.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    tab.route(
        re.compile(r"^(?!http://127\.0\.0\.1[:/]|data:|blob:)"),
        lambda route: (blocked.append(route.request.url), route.abort()),
    )
    try:
        # the Binder URL path of the page (?urlpath=lab/tree/<page>.md), in a new
        # Binder session: an empty workspace (`reset`), no other kernel running
        OPENED.append(page)
        tab.goto(f"{url}/lab/tree/{page}.md?reset&token={TOKEN}", wait_until="load")
        panel = tab.locator(".jp-NotebookPanel:visible")
        try:
            panel.wait_for(timeout=60_000)
        except Exception:
            tab.screenshot(path=ARTIFACTS / f"{name}-not-a-notebook.png")
            editors = tab.locator(".jp-FileEditor:visible").count()
            pytest.fail(
                f"{page}.md did not open as a notebook (text editors open: "
                f"{editors}); console:\n" + "\n".join(console[-30:])
            )
        assert tab.locator(".jp-FileEditor:visible").count() == 0
        # the notebook's cells arrive after its panel
        tab.wait_for_function(
            "() => document.querySelectorAll("
            "'.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell').length > 3",
            timeout=120_000,
        )
        # a Python kernel, idle and ready
        kernel = panel.locator(".jp-Toolbar-kernelName")
        tab.wait_for_function(
            "() => { const k = document.querySelector("
            "'.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Toolbar-kernelName');"
            " return k && /Python 3/.test(k.textContent); }",
            timeout=60_000,
        )
        assert "Python 3" in kernel.inner_text()
        # ... and started: the toolbar names the kernel before it exists, and Run All
        # while the notebook has no kernel yet runs none of the code cells (they stay
        # "[ ]"). The reader waits for the status bar's "Python 3 (ipykernel) | Idle".
        try:
            tab.wait_for_function(KERNEL_IDLE, timeout=120_000)
        except Exception:
            tab.screenshot(path=ARTIFACTS / f"{name}-no-kernel.png")
            pytest.fail(f"{page}: the kernel did not start; server log {log}")
        # Run All, from the Run menu, as a reader would
        tab.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        tab.locator(
            ".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")
        ).click()
        code = panel.locator(".jp-CodeCell")
        n_code = code.count()
        started = time.monotonic()
        try:
            tab.wait_for_function(
                RUN_ALL_DONE,
                arg=n_code,
                timeout=RUN_ALL_TIMEOUT_MS,
            )
        except Exception:
            tab.screenshot(path=ARTIFACTS / f"{name}-run-all-stalled.png")
            prompts = panel.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
            status = tab.locator("#jp-main-statusbar")
            pytest.fail(
                f"{page}: Run All did not finish in {time.monotonic() - started:.0f} s;"
                f" prompts {prompts}; kernel status {status.all_inner_texts()};"
                f" server log {log}; console:\n" + "\n".join(console[-30:])
            )
        errors = panel.locator(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error'],"
            " .jp-RenderedText[data-mime-type='application/vnd.jupyter.error']"
        )
        assert errors.count() == 0, errors.all_inner_texts()
        # the prose reads like the book: no raw MyST, no red math
        tab.wait_for_timeout(1000)
        prose = "\n".join(panel.locator(".jp-MarkdownCell").all_inner_texts())
        for raw in ("{prf:", "{glue", "{numref}", "{py:", "{eq}", "```"):
            assert raw not in prose, raw
        red = panel.locator(".katex-error, mjx-merror, [data-mjx-error], .merror")
        assert red.count() == 0, red.all_inner_texts()[:5]
        assert not [c for c in console if "Undefined control sequence" in c]
        # the book's theorem/definition boxes render as boxes (jupyterlab-myst)
        if "{prf:" in (ROOT / f"{page}.md").read_text(encoding="utf-8"):
            assert (
                panel.locator(
                    ".jp-MarkdownCell aside, .jp-MarkdownCell .admonition,"
                    " .jp-MarkdownCell [class*='proof']"
                ).count()
                > 0
            )
        tab.screenshot(path=ARTIFACTS / f"{name}-after-run-all.png", full_page=False)
    finally:
        _shut_down_every_session(url)
        context.close()
    assert not [u for u in blocked if "127.0.0.1" in u]


def test_saving_the_notebook_writes_the_page_back_unchanged(lab):
    url, _ = lab
    page = PAGES[0]
    headers = {"Authorization": f"token {TOKEN}", "Content-Type": "application/json"}
    before = (ROOT / f"{page}.md").read_bytes()
    req = urllib.request.Request(
        f"{url}/api/contents/{page}.md?type=notebook&content=1", headers=headers
    )
    with urllib.request.urlopen(req) as resp:
        model = json.load(resp)
    cells = model["content"]["cells"]
    assert "math:" in "".join(cells[0]["source"])  # the macros for jupyterlab-myst
    assert not any(
        "{glue" in "".join(c["source"]) for c in cells if c["cell_type"] == "markdown"
    )
    try:
        put = urllib.request.Request(
            f"{url}/api/contents/{page}.md",
            method="PUT",
            headers=headers,
            data=json.dumps(
                {"type": "notebook", "format": "json", "content": model["content"]}
            ).encode(),
        )
        with urllib.request.urlopen(put):
            pass
        after = (ROOT / f"{page}.md").read_bytes()
        assert after == before
    finally:
        (ROOT / f"{page}.md").write_bytes(before)


def test_the_server_log_shows_one_healthy_kernel_per_page(lab):
    # Runs after the pages. Signs of a kernel the page never got to use: the
    # browser connecting to a kernel the server had already shut down ("Timeout
    # waiting for kernel_info reply", then a 500 on its websocket; Run All then
    # waits for ever), or a kernel failing a control message (ipykernel 7.0.1 to
    # 7.3.0: "TraitError: ... '_control_lock' ..." for one that arrives while the
    # kernel starts, left unanswered).
    _, log = lab
    text = log.read_text(encoding="utf-8", errors="replace")
    for failure in (
        "Timeout waiting for kernel_info reply",
        "Uncaught exception",
        "_control_lock",
    ):
        assert failure not in text, text[-3000:]
    assert text.count("Kernel started:") == len(OPENED), text[-3000:]
