"""The project's fixed promises that live in configuration: the security baseline, the icons, the pinned
Tauri line, and the two quick-start commands CI relies on."""

import json
import re
import struct
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONF = json.loads((ROOT / "src-tauri" / "tauri.conf.json").read_text())


def test_csp_allows_scripts_only_from_the_app():
    csp = CONF["app"]["security"]["csp"]
    script_src = csp["script-src"].split()
    for forbidden in ("'unsafe-inline'", "'unsafe-eval'", "data:", "blob:", "*", "http:", "https:"):
        assert forbidden not in script_src, forbidden
    assert csp["default-src"] == "'self'"
    assert csp["object-src"] == "'none'"


def test_the_window_may_call_only_the_apps_own_commands():
    cap = json.loads((ROOT / "src-tauri" / "capabilities" / "default.json").read_text())
    assert sorted(cap["permissions"]) == ["allow-send-command", "allow-subscribe"]
    build_rs = (ROOT / "src-tauri" / "build.rs").read_text()
    assert '"send_command", "subscribe"' in build_rs


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", data[16:24])


def test_every_referenced_icon_exists_and_has_the_size_its_name_says():
    icons = CONF["bundle"]["icon"]
    assert {Path(i).suffix for i in icons} >= {".png", ".icns", ".ico"}
    for rel in icons:
        path = (ROOT / "src-tauri" / rel).resolve()
        assert path.is_file(), rel
        m = re.match(r"(\d+)x(\d+)(@2x)?\.png$", path.name)
        if m:
            scale = 2 if m.group(3) else 1
            assert png_size(path) == (int(m.group(1)) * scale, int(m.group(2)) * scale), rel
    assert (ROOT / "icons" / "source.svg").is_file()


def test_tauri_is_pinned_to_the_2_line():
    lock = (ROOT / "Cargo.lock").read_text()
    versions = re.findall(r'name = "tauri"\nversion = "([^"]+)"', lock)
    assert versions and all(v.startswith("2.") for v in versions), versions
    pkg = json.loads((ROOT / "ui" / "package.json").read_text())
    deps = {**pkg.get("dependencies", {}), **pkg.get("devDependencies", {})}
    assert deps["@tauri-apps/cli"].lstrip("^~").startswith("2")
    assert deps["@tauri-apps/api"].lstrip("^~").startswith("2")


def test_readme_quick_start_has_exactly_two_commands_and_ci_runs_the_second():
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in quick.strip().splitlines() if line.strip()]
    assert commands == ["./scripts/run-app", "./scripts/test-all"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "exec ./scripts/test-all" in ci
