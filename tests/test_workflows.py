"""The GitHub Actions workflows: GitHub's schema, zizmor, least privilege, caching.

check-jsonschema and zizmor run offline from the test environment (requirements.txt
pins them), so a broken or unsafe workflow fails `make test` before it reaches GitHub.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW_DIR = ROOT / ".github" / "workflows"
WORKFLOWS = sorted(WORKFLOW_DIR.glob("*.yml"))
BIN = Path(sys.executable).parent
SEVERE = {"medium", "high"}


def load(path: Path) -> dict:
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as True.
    workflow["on"] = workflow.pop(True, workflow.get("on"))
    return workflow


def zizmor(*paths: Path) -> list[dict]:
    proc = subprocess.run(
        [BIN / "zizmor", "--offline", "--format", "json", *map(str, paths)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout.strip(), f"zizmor printed nothing:\n{proc.stderr}"
    return json.loads(proc.stdout)


def severe(findings: list[dict]) -> list[str]:
    return [
        f"{f['ident']} ({f['determinations']['severity']}): {f['desc']}"
        for f in findings
        if f["determinations"]["severity"].lower() in SEVERE
    ]


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_both_workflows_exist():
    assert {p.name for p in WORKFLOWS} == {"ci.yml", "publish.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_matches_githubs_schema(path):
    proc = subprocess.run(
        [
            BIN / "check-jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            str(path),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_zizmor_finds_nothing_of_medium_severity_or_higher():
    assert severe(zizmor(WORKFLOW_DIR)) == []


def test_zizmor_does_flag_an_unsafe_workflow(tmp_path):
    # The check above can fail: a script that expands an attacker-controlled PR title.
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: pull_request_target\n"
        "jobs:\n  greet:\n    runs-on: ubuntu-24.04\n    steps:\n"
        '      - run: echo "${{ github.event.pull_request.title }}"\n',
        encoding="utf-8",
    )
    assert severe(zizmor(bad))


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_least_privilege_and_concurrency(path):
    workflow = load(path)
    assert workflow["permissions"] == {"contents": "read"}
    assert "group" in workflow["concurrency"]
    for name, job in workflow["jobs"].items():
        granted = job.get("permissions", {})
        if name == "deploy":
            assert granted == {"pages": "write", "id-token": "write"}
        elif name == "notebooks":
            assert granted == {"contents": "write"}
        else:
            assert granted == {}, f"job {name} must inherit contents: read"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actions_are_pinned_by_commit(path):
    uses = [step["uses"] for step in steps(load(path)) if "uses" in step]
    assert uses
    for ref in uses:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), ref


def test_ci_runs_the_tests_and_a_strict_build_on_prs_and_pushes():
    workflow = load(WORKFLOW_DIR / "ci.yml")
    assert {"pull_request", "push"} <= set(workflow["on"])
    runs = [step.get("run", "") for step in steps(workflow)]
    build = next(run for run in runs if "make html" in run)
    assert "set -eo pipefail" in build
    assert any("make test" in run and "set -eo pipefail" in run for run in runs)
    # forced execution: GitHub sets CI=true, and `make html` clears the cache then
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "execute FORCE=$(CI)" in makefile  # `html` forces execution on CI
    assert '[ -n "$(FORCE)" ]' in makefile  # ... and `execute` then clears the cache
    assert "-n -W --keep-going" in makefile
    uploads = [s for s in steps(workflow) if "upload-artifact" in s.get("uses", "")]
    assert uploads and all(s["if"] == "failure()" for s in uploads)


def test_publish_builds_html_pdf_and_deploys_with_the_official_actions():
    workflow = load(WORKFLOW_DIR / "publish.yml")
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in workflow["on"]
    build = workflow["jobs"]["build"]["steps"]
    runs = " ".join(step.get("run", "") for step in build)
    assert "make html" in runs and "make pdf-build" in runs
    pages = next(s for s in build if "upload-pages-artifact" in s.get("uses", ""))
    assert pages["with"]["path"].rstrip("/") == "_build/html"
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["environment"]["name"] == "github-pages"
    assert "actions/deploy-pages@" in deploy["steps"][0]["uses"]


def test_caches_for_pip_and_for_executed_pages_know_about_mlmath():
    workflow = load(WORKFLOW_DIR / "publish.yml")
    build = workflow["jobs"]["build"]["steps"]
    python = next(s for s in build if "setup-python" in s.get("uses", ""))
    assert python["with"]["cache"] == "pip"
    cache = next(s for s in build if "actions/cache@" in s.get("uses", ""))
    assert "_build/.jupyter_cache" in cache["with"]["path"]
    assert "hashFiles('mlmath/**', 'requirements.txt')" in cache["with"]["key"]
    assert all(
        "hashFiles('mlmath/**', 'requirements.txt')" in key
        for key in cache["with"]["restore-keys"].strip().splitlines()
    )


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflows_install_the_tex_packages_the_makefile_names(path):
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    match = re.search(r"^TEX_PACKAGES := ((?:.*\\\n)*.*)$", makefile, re.MULTILINE)
    assert match
    wanted = set(match.group(1).replace("\\\n", " ").split())
    assert "texlive-xetex" in wanted
    listed = set(load(path)["env"]["TEX_PACKAGES"].split())
    assert listed == wanted | {"poppler-utils"}


# The first major of each action whose action.yml declares `runs.using: node24` (for the
# composite upload-pages-artifact: that pins an upload-artifact that does), read in each
# action's repository at the tag pinned (2026-11-29). GitHub removed Node 20 from its
# runners in September 2026; older majors run on a forced Node 24 with a warning.
NODE24_SINCE = {
    "actions/checkout": 5,
    "actions/setup-python": 6,
    "actions/cache": 5,
    "actions/upload-artifact": 6,
    "actions/download-artifact": 7,
    "actions/upload-pages-artifact": 5,
    "actions/deploy-pages": 5,
}
PIN = re.compile(
    r"uses:\s*([\w.-]+/[\w.-]+)@([0-9a-f]{40})\s*#\s*v(\d+)\.(\d+)\.(\d+)\s*$"
)


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_a_node24_major_pinned_by_sha_with_its_version(path):
    lines = [line for line in path.read_text(encoding="utf-8").splitlines()
             if "uses:" in line]
    assert lines
    for line in lines:
        match = PIN.search(line)
        assert match, f"not pinned as `owner/name@<sha> # vX.Y.Z`: {line.strip()}"
        action, major = match.group(1), int(match.group(3))
        assert action in NODE24_SINCE, f"{action}: check its action.yml, add it here"
        assert major >= NODE24_SINCE[action], f"{action} v{major} runs on node20"


def test_one_sha_per_action_across_the_workflows():
    pins: dict[str, set[str]] = {}
    for path in WORKFLOWS:
        for line in path.read_text(encoding="utf-8").splitlines():
            if match := PIN.search(line):
                pins.setdefault(match.group(1), set()).add(match.group(2))
    assert pins and all(len(shas) == 1 for shas in pins.values()), pins


def test_dependabot_keeps_actions_and_pip_pins_current():
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    assert config["version"] == 2
    updates = {(u["package-ecosystem"], u.get("directory")) for u in config["updates"]}
    assert ("github-actions", "/") in updates
    assert ("pip", "/") in updates and ("pip", "/binder") in updates
    proc = subprocess.run(
        [BIN / "check-jsonschema", "--builtin-schema", "vendor.dependabot",
         str(ROOT / ".github" / "dependabot.yml")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_publish_passes_the_commit_to_the_colab_install_cell():
    build = load(WORKFLOW_DIR / "publish.yml")["jobs"]["build"]["steps"]
    step = next(s for s in build if "make html" in s.get("run", ""))
    assert step["env"]["MLMATH_INSTALL_REF"] == "${{ github.sha }}"


def test_publish_builds_the_pdf_before_the_html_that_links_to_it():
    build = load(WORKFLOW_DIR / "publish.yml")["jobs"]["build"]["steps"]
    runs = [step.get("run", "") for step in build]
    pdf = next(i for i, run in enumerate(runs) if "make pdf-build" in run)
    html = next(i for i, run in enumerate(runs) if "make html" in run)
    assert pdf < html
