"""The desktop shell's deployment parts with the real release app: one instance per session (a second launch
hands its tel: link to the running window and exits), links fill the dialler without dialling, start at login,
and log files without secrets.

These tests run their own tauri-driver (ports 4446/4447) with a private D-Bus session bus (the single-instance
lock lives there on Linux) and a private HOME (autostart entry, window state and log files land there).
"""

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from app_support import LAB_PROFILE, ROOT, app_binary, open_app, start_tauri_driver, stop, wait_for
from app_ui import button
from app_ui import sign_in as signed_in
DRIVER_PORT = 4446
NATIVE_PORT = 4447
IDENTIFIER = "app.lifeline.softphone"
# agent2, so that calls the lab tests place to "agent" never ring here.
USER, PASSWORD = "agent2", "agent2-secret"


@pytest.fixture(scope="module")
def shell_env(display, tmp_path_factory):
    """DISPLAY, a private session bus and a private HOME for the app and its second launches."""
    base = tmp_path_factory.mktemp("shell")
    home = base / "home"
    home.mkdir()
    bus = base / "bus"
    log = open(base / "dbus.log", "w")
    dbus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--nopidfile", f"--address=unix:path={bus}"], stdout=log, stderr=log
    )
    deadline = time.monotonic() + 10
    while not bus.exists():
        if dbus.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"dbus-daemon did not start; see {base / 'dbus.log'}")
        time.sleep(0.05)
    env = dict(
        os.environ,
        DISPLAY=display,
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CACHE_HOME=str(home / ".cache"),
        DBUS_SESSION_BUS_ADDRESS=f"unix:path={bus}",
        WEBKIT_DISABLE_COMPOSITING_MODE="1",
        LIFELINE_LOG="info",
    )
    env.pop("WAYLAND_DISPLAY", None)
    yield {"env": env, "home": home, "base": base}
    stop(dbus)


@pytest.fixture(scope="module")
def shell_driver(shell_env):
    if not Path(app_binary()).exists():
        pytest.fail(f"the app is not built: {app_binary()} (run scripts/build-app)")
    proc = start_tauri_driver(shell_env["env"], DRIVER_PORT, NATIVE_PORT, shell_env["base"] / "tauri-driver.log")
    yield f"http://127.0.0.1:{DRIVER_PORT}"
    stop(proc)


@pytest.fixture
def app(shell_driver, tmp_path):
    """Starts the release app with the lab profile; returns (driver, data_dir)."""
    sessions = []

    def launch(data: Path):
        drv = open_app(shell_driver, data, "--config", LAB_PROFILE)
        sessions.append(drv)
        return drv

    yield launch
    for drv in sessions:
        try:
            drv.quit()
        except Exception:  # the session may already be gone
            pass


def app_roots(data: Path) -> list[int]:
    """PIDs of `lifeline` processes (not WebKit's helpers) started for this data dir."""
    pids = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            cmd = (p / "cmdline").read_bytes().split(b"\0")
            state = (p / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if cmd and Path(cmd[0].decode(errors="replace")).name == Path(app_binary()).name and str(data).encode() in cmd and state != "Z":
            pids.append(int(p.name))
    return pids


def accept_agreement(drv) -> None:
    wait_for(drv, lambda d: button(d, "Accept"), what="Accept button").click()
    wait_for(drv, lambda d: button(d, "Sign in"), what="the sign-in screen")


def sign_in(drv) -> None:
    accept_agreement(drv)
    signed_in(drv, PASSWORD, user=USER)


def number_field(drv) -> str:
    return drv.find_element(By.ID, "number").get_attribute("value") or ""


def second_launch(env: dict, data: Path, *extra: str) -> tuple[subprocess.CompletedProcess, float]:
    """Launches the app again. A tel:/sip: link is passed alone, as the desktop does (the app refuses any
    other option with a link); otherwise the launch carries this test's data dir and profile."""
    t0 = time.monotonic()
    links = [a for a in extra if a.lower().startswith(("tel:", "sip:", "sips:"))]
    args = links if links else ["--data-dir", str(data), "--config", LAB_PROFILE, *extra]
    done = subprocess.run([str(app_binary()), *args], env=env, capture_output=True, text=True, timeout=60)
    return done, time.monotonic() - t0


def test_a_link_with_other_options_is_refused_and_a_second_launch_never_reads_its_config(
        lab, app, shell_env, tmp_path):
    data = tmp_path / "agent-data"
    drv = app(data)
    sign_in(drv)
    first = app_roots(data)
    assert len(first) == 1, f"one app process after start, found {first}"
    # A crafted link bringing its own start-up file: refused whole, before anything is read or handed over.
    share = tmp_path / "share" / "evil.json"
    done = subprocess.run([str(app_binary()), "tel:5550100", "--config", str(share)], env=shell_env["env"],
                          capture_output=True, text=True, timeout=60)
    print("refused:", done.stderr.strip())
    assert done.returncode == 2, done
    assert "a tel:/sip: link is taken alone" in done.stderr
    assert "5550100" not in done.stderr
    time.sleep(1.5)
    assert number_field(drv) == "", "nothing reached the running window"
    # A second launch hands over before reading its configuration: a file that does not exist is no error.
    done, _ = second_launch(shell_env["env"], data, "--config", str(tmp_path / "missing.json"))
    assert done.returncode == 0, done.stderr
    assert "cannot read the configuration file" not in done.stderr
    assert app_roots(data) == first


def log_text(home: Path) -> str:
    logs = home / ".local" / "share" / IDENTIFIER / "logs"
    return "\n".join(p.read_text(errors="replace") for p in sorted(logs.glob("*.log")))


def test_a_second_launch_with_tel_911_fills_the_running_dialler_and_places_no_call(lab, app, shell_env, tmp_path):
    data = tmp_path / "agent-data"
    drv = app(data)
    sign_in(drv)
    first = app_roots(data)
    assert len(first) == 1, f"one app process after start, found {first}"

    done, took = second_launch(shell_env["env"], data, "tel:911")
    print(f"second launch handed over and exited in {took:.2f} s (exit code {done.returncode})")
    assert done.returncode == 0, done.stderr
    wait_for(drv, lambda d: number_field(d) == "911", timeout=10, what="911 in the number field")
    assert app_roots(data) == first, "no second app process is left running"

    # Filled, never dialled: after a while the dialler is still up and no call screen appeared.
    time.sleep(3)
    assert number_field(drv) == "911"
    assert button(drv, "End call") is None
    assert "Emergency call in progress" not in drv.find_element(By.TAG_NAME, "body").text
    assert app_roots(data) == first

    # A link that is not a phone number is ignored; the field keeps what the agent had.
    done, _ = second_launch(shell_env["env"], data, "tel:not-a-number")
    assert done.returncode == 0, done.stderr
    time.sleep(1.5)
    assert number_field(drv) == "911"

    # A sip: link is cleaned (headers dropped) and replaces the number.
    done, _ = second_launch(shell_env["env"], data, "sip:peer@lifeline.lab?subject=hello")
    assert done.returncode == 0, done.stderr
    wait_for(drv, lambda d: number_field(d) == "sip:peer@lifeline.lab", timeout=10, what="the sip address")
    assert app_roots(data) == first

    text = log_text(shell_env["home"])
    assert "a second launch handed over to this window" in text
    assert "INFO lifeline_engine::" in text, "the engine's tracing lines reach the log file"
    assert "a tel:/sip: link filled the dialler (not dialled)" in text
    assert "ignored a link given to Lifeline" in text
    assert "tel:911" not in text and "not-a-number" not in text, "links are not logged"
    assert PASSWORD not in text, "the password is not logged"


def test_start_at_login_toggle_writes_and_removes_the_autostart_entry(app, shell_env, tmp_path):
    autostart = shell_env["home"] / ".config" / "autostart"
    entries = lambda: sorted(autostart.glob("*.desktop"))  # noqa: E731
    for e in entries():
        e.unlink()
    data = tmp_path / "data"
    drv = app(data)
    accept_agreement(drv)
    wait_for(drv, lambda d: button(d, "Settings"), what="Settings button").click()
    box = wait_for(drv, lambda d: d.find_element(By.ID, "start-at-login"), what="the start-at-login toggle")
    assert not box.is_selected()
    box.click()
    wait_for(drv, lambda d: entries(), timeout=10, what=f"an autostart entry in {autostart}")
    text = entries()[0].read_text()
    print(f"autostart entry {entries()[0].name}: " + " | ".join(text.splitlines()))
    # Started at login, the app comes up with the profile it was started with.
    assert f"Exec={app_binary()} " in text and str(data) in text and LAB_PROFILE in text
    assert "--minimized" in text, "started at login, the app opens in the tray"
    wait_for(drv, lambda d: d.find_element(By.ID, "start-at-login").is_selected(), what="the toggle to show on")
    drv.find_element(By.ID, "start-at-login").click()
    wait_for(drv, lambda d: not entries(), timeout=10, what="the autostart entry to go")
    wait_for(drv, lambda d: not d.find_element(By.ID, "start-at-login").is_selected(), what="the toggle to show off")


def desktop_entry_of_the_deb() -> list[str] | None:
    """The lines of the desktop file in the built .deb, or None when no .deb was built."""
    # The packages are built with the `dist` profile (scripts/build-app --bundles), beside release/.
    debs = sorted((app_binary().parent.parent / "dist" / "bundle" / "deb").glob("*.deb"))
    if not debs:
        return None
    listing = subprocess.run(["dpkg-deb", "-c", str(debs[-1])], capture_output=True, text=True, check=True).stdout
    desktop = [line.split()[-1] for line in listing.splitlines() if line.endswith(".desktop")]
    assert desktop, "the package has a desktop file"
    with subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(debs[-1])], stdout=subprocess.PIPE) as tar_stream:
        text = subprocess.run(
            ["tar", "-xO", desktop[0]], stdin=tar_stream.stdout, capture_output=True, text=True, check=True
        ).stdout
    print(f"{debs[-1].name}: {desktop[0]}: " + " | ".join(text.splitlines()))
    return text.splitlines()


def test_the_packages_register_lifeline_for_tel_and_sip_links():
    conf = json.loads((ROOT / "src-tauri" / "tauri.conf.json").read_text())
    assert conf["plugins"]["deep-link"]["desktop"]["schemes"] == ["tel", "sip"]
    lines = desktop_entry_of_the_deb()
    if lines is None:
        pytest.skip("no .deb built (scripts/build-app --bundles deb)")
    assert "MimeType=x-scheme-handler/tel;x-scheme-handler/sip;" in lines
    # %u: the desktop passes the clicked link to Lifeline as an argument (without it, nothing is passed).
    assert next(line for line in lines if line.startswith("Exec=")).endswith(" %u")


def test_a_tel_link_opened_by_the_desktop_reaches_the_running_window(lab, app, shell_env, tmp_path):
    """The packaged desktop file, installed for this private HOME and made the tel: handler, opened with
    `gio open tel:…` as a browser or mail client would."""
    lines = desktop_entry_of_the_deb()
    if lines is None:
        pytest.skip("no .deb built (scripts/build-app --bundles deb)")
    data = tmp_path / "agent-data"
    env = shell_env["env"]
    apps = shell_env["home"] / ".local" / "share" / "applications"
    apps.mkdir(parents=True, exist_ok=True)
    # As the package's entry: the link alone (the app refuses other options with a link).
    exec_line = f"Exec={app_binary()} %u"
    entry = [exec_line if line.startswith("Exec=") else line for line in lines]
    (apps / "lifeline-e2e.desktop").write_text("\n".join(entry) + "\n")
    subprocess.run(["xdg-mime", "default", "lifeline-e2e.desktop", "x-scheme-handler/tel"], env=env, check=True)

    drv = app(data)
    sign_in(drv)
    first = app_roots(data)
    opened = subprocess.run(["gio", "open", "tel:+1-555-0100;phone-context=example.com"], env=env, timeout=30,
                            capture_output=True, text=True)
    assert opened.returncode == 0, opened.stderr
    wait_for(drv, lambda d: number_field(d) == "+15550100", timeout=15, what="+15550100 in the number field")
    time.sleep(1)
    assert app_roots(data) == first, "the link went to the running app; no second one stayed"
    assert button(drv, "End call") is None


def test_the_window_comes_back_with_the_size_it_was_left_at(app, shell_env, tmp_path):
    """Saved shortly after the resize, not only at a clean exit: WebDriver ends the app the way a logout
    or a crash would, without the exit hook."""
    state_file = shell_env["home"] / ".config" / IDENTIFIER / ".window-state.json"

    def saved_size():
        try:
            main = json.loads(state_file.read_text())["main"]
            return main["width"], main["height"]
        except (OSError, ValueError, KeyError):
            return None

    data = tmp_path / "data"
    drv = app(data)
    wait_for(drv, lambda d: button(d, "Accept"), what="the first screen")
    drv.set_window_rect(width=520, height=780)
    wait_for(drv, lambda d: saved_size() == (520, 780), timeout=10, what=f"the new size in {state_file}")
    drv.quit()
    wait_for(drv, lambda d: not app_roots(data), timeout=15, what="the app to exit")

    drv = app(data)
    wait_for(drv, lambda d: button(d, "Accept"), what="the first screen")
    size = drv.get_window_size()
    print(f"window size after restart: {size['width']}x{size['height']} (default 420x720)")
    assert (size["width"], size["height"]) == (520, 780), size
