"""The GitHub workflow for Windows and macOS runners (.github/workflows) cannot run here; these keep it valid:
GitHub's workflow schema (check-jsonschema's vendored copy, no network), actions pinned to a major version,
jobs that exist, and the files and scripts the steps name."""

import subprocess
import sys
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
CHECK = Path(sys.executable).with_name("check-jsonschema")


def load(path: Path) -> dict:
    return YAML(typ="safe").load(path.read_text())


def test_there_is_a_workflow_for_windows_and_macos():
    platforms = set()
    for path in WORKFLOWS:
        for job in load(path)["jobs"].values():
            platforms.update(job.get("strategy", {}).get("matrix", {}).get("platform", []))
            platforms.update(i["platform"] for i in job.get("strategy", {}).get("matrix", {}).get("include", []))
    assert {"windows-latest", "macos-latest"} <= platforms


def test_workflows_match_githubs_schema():
    out = subprocess.run([str(CHECK), "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_a_broken_workflow_is_caught(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  build:\n    steps:\n      - run: true\n")  # no runs-on
    out = subprocess.run([str(CHECK), "--builtin-schema", "vendor.github-workflows", str(broken)],
                         capture_output=True, text=True)
    assert out.returncode != 0


def test_actions_are_pinned_needs_exist_and_named_files_exist():
    for path in WORKFLOWS:
        jobs = load(path)["jobs"]
        for name, job in jobs.items():
            needs = job.get("needs", [])
            for need in [needs] if isinstance(needs, str) else needs:
                assert need in jobs, f"{path.name}: {name} needs unknown job {need}"
            for step in job["steps"]:
                uses = step.get("uses")
                if uses:
                    assert "@" in uses and uses.split("@")[1], f"{path.name}: {uses} is not pinned"
                for key in ("cache-dependency-path",):
                    named = step.get("with", {}).get(key)
                    if named:
                        assert (ROOT / named).exists(), f"{path.name}: {named} does not exist"
