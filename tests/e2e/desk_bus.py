"""The desktop services the app talks to on its session bus, for the e2e tests: a notification server
(org.freedesktop.Notifications, the Desktop Notifications Specification 1.2) that records every Notify and
CloseNotification and can press a notification's action (ActionInvoked), and a StatusNotifierWatcher
(org.kde.StatusNotifierWatcher) so that the app's tray icon (libayatana-appindicator) registers its item on
the bus, where the test reads its menu and clicks it (com.canonical.dbusmenu).

Run as a program on the bus in DBUS_SESSION_BUS_ADDRESS; it writes one JSON line per call to the file given
as its argument. The test drives it with `dbus-send` (the `lab.Desk` interface) and reads the file.
"""

from __future__ import annotations

import asyncio
import json
import sys

from dbus_fast import BusType
from dbus_fast.aio import MessageBus
from dbus_fast.service import ServiceInterface, dbus_property, method, signal, PropertyAccess

PATH = "/org/freedesktop/Notifications"


class Notifications(ServiceInterface):
    def __init__(self, record):
        super().__init__("org.freedesktop.Notifications")
        self.record = record
        self.next_id = 0

    @method()
    def GetCapabilities(self) -> "as":  # noqa: F821
        return ["actions", "body"]

    @method()
    def GetServerInformation(self) -> "ssss":  # noqa: F821
        return ["lifeline-test", "lifeline", "1", "1.2"]

    @method()
    def Notify(self, app_name: "s", replaces_id: "u", app_icon: "s", summary: "s", body: "s",  # noqa: F821
               actions: "as", hints: "a{sv}", expire_timeout: "i") -> "u":  # noqa: F821
        self.next_id += 1
        self.record({"call": "Notify", "id": self.next_id, "app": app_name, "summary": summary, "body": body,
                     "actions": actions[0::2]})
        return self.next_id

    @method()
    def CloseNotification(self, id: "u"):  # noqa: F821
        self.record({"call": "CloseNotification", "id": id})
        self.NotificationClosed(id, 3)

    @signal()
    def NotificationClosed(self, id: "u", reason: "u") -> "uu":  # noqa: F821
        return [id, reason]

    @signal()
    def ActionInvoked(self, id: "u", action_key: "s") -> "us":  # noqa: F821
        return [id, action_key]


class Desk(ServiceInterface):
    """The test's handle: press an action of a shown notification (what a click on its button does)."""

    def __init__(self, notifications: Notifications):
        super().__init__("lab.Desk")
        self.notifications = notifications

    @method()
    def Invoke(self, id: "u", action: "s"):  # noqa: F821
        self.notifications.ActionInvoked(id, action)


class Watcher(ServiceInterface):
    def __init__(self, record):
        super().__init__("org.kde.StatusNotifierWatcher")
        self.record = record
        self.items: list[str] = []

    @method()
    def RegisterStatusNotifierItem(self, service: "s"):  # noqa: F821
        # appindicator passes its object path; the sender is the item's bus name.
        self.items.append(service)
        self.record({"call": "RegisterStatusNotifierItem", "service": service})

    @method()
    def RegisterStatusNotifierHost(self, service: "s"):  # noqa: F821
        pass

    @dbus_property(access=PropertyAccess.READ)
    def RegisteredStatusNotifierItems(self) -> "as":  # noqa: F821
        return self.items

    @dbus_property(access=PropertyAccess.READ)
    def IsStatusNotifierHostRegistered(self) -> "b":  # noqa: F821
        return True

    @dbus_property(access=PropertyAccess.READ)
    def ProtocolVersion(self) -> "i":  # noqa: F821
        return 0


async def main(path: str) -> None:
    out = open(path, "a", buffering=1)

    def record(entry: dict) -> None:
        out.write(json.dumps(entry) + "\n")

    bus = await MessageBus(bus_type=BusType.SESSION).connect()

    # The sender of RegisterStatusNotifierItem is the item's bus name: record it.
    def on_message(msg):
        if msg.member == "RegisterStatusNotifierItem":
            record({"call": "item-sender", "sender": msg.sender})
        return None

    bus.add_message_handler(on_message)
    notifications = Notifications(record)
    bus.export(PATH, notifications)
    bus.export(PATH, Desk(notifications))
    bus.export("/StatusNotifierWatcher", Watcher(record))
    await bus.request_name("org.freedesktop.Notifications")
    await bus.request_name("org.kde.StatusNotifierWatcher")
    record({"call": "ready"})
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))


# ------------------------------------------------------------------------------- the test's side
class DeskBus:
    """A private session bus with the services above, for one app; stop() ends both processes."""

    def __init__(self, base, python: str):
        import subprocess
        import time
        from pathlib import Path

        base = Path(base)
        self.bus_path = base / "bus"
        self.address = f"unix:path={self.bus_path}"
        self.records_path = base / "desk-bus.jsonl"
        log = open(base / "desk-bus.log", "w")
        self.dbus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--nopidfile",
                                      f"--address={self.address}"], stdout=log, stderr=log)
        deadline = time.monotonic() + 10
        while not self.bus_path.exists():
            if self.dbus.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"dbus-daemon did not start; see {base / 'desk-bus.log'}")
            time.sleep(0.05)
        import os
        env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=self.address)
        self.daemon = subprocess.Popen([python, __file__, str(self.records_path)], stdout=log, stderr=log, env=env)
        while not any(r["call"] == "ready" for r in self.records()):
            if self.daemon.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the notification server did not start; see {base / 'desk-bus.log'}")
            time.sleep(0.05)

    def records(self) -> list[dict]:
        if not self.records_path.exists():
            return []
        return [json.loads(line) for line in self.records_path.read_text().splitlines() if line.strip()]

    def notifications(self) -> list[dict]:
        return [r for r in self.records() if r["call"] == "Notify"]

    def closed(self) -> set[int]:
        return {r["id"] for r in self.records() if r["call"] == "CloseNotification"}

    def invoke(self, notification_id: int, action: str) -> None:
        """What a click on the notification's button does: the server's ActionInvoked signal."""
        self._call(PATH, "org.freedesktop.Notifications", "lab.Desk", "Invoke", "us", [notification_id, action])

    def tray_item(self) -> tuple[str, str] | None:
        """(bus name, object path) of the tray icon the app registered, if it did."""
        recs = self.records()
        senders = [r["sender"] for r in recs if r["call"] == "item-sender"]
        paths = [r["service"] for r in recs if r["call"] == "RegisterStatusNotifierItem"]
        return (senders[-1], paths[-1]) if senders and paths else None

    def tray_property(self, name: str):
        sender, path = self.tray_item() or ("", "")
        reply = self._call(path, sender, "org.freedesktop.DBus.Properties", "Get", "ss",
                           ["org.kde.StatusNotifierItem", name])
        return reply[0].value

    def tray_menu(self) -> list[tuple[int, str, bool]]:
        """The tray menu's items: (id, label, enabled)."""
        sender, _ = self.tray_item() or ("", "")
        menu = self.tray_property("Menu")
        _rev, layout = self._call(menu, sender, "com.canonical.dbusmenu", "GetLayout", "iias", [0, -1, []])
        items = []
        for child in layout[2]:
            item_id, props, _ = child.value
            label = props["label"].value if "label" in props else ""
            enabled = props["enabled"].value if "enabled" in props else True
            items.append((item_id, label, enabled))
        return items

    def tray_click(self, label: str) -> None:
        """Clicks the tray menu's item reading `label` (what the desktop's tray does on a click)."""
        from dbus_fast import Variant

        sender, _ = self.tray_item() or ("", "")
        menu = self.tray_property("Menu")
        item = next(i for i, text, _ in self.tray_menu() if text.replace("_", "") == label)
        self._call(menu, sender, "com.canonical.dbusmenu", "Event", "isvu", [item, "clicked", Variant("s", ""), 0])

    def _call(self, path: str, destination: str, interface: str, member: str, signature: str, body: list):
        from dbus_fast import Message, MessageType

        async def go():
            bus = await MessageBus(bus_address=self.address).connect()
            try:
                reply = await bus.call(Message(destination=destination, path=path, interface=interface,
                                               member=member, signature=signature, body=body))
            finally:
                bus.disconnect()
            if reply.message_type == MessageType.ERROR:
                raise RuntimeError(f"{member}: {reply.error_name} {reply.body}")
            return reply.body

        return asyncio.run(go())

    def stop(self) -> None:
        from app_support import stop

        stop(self.daemon)
        stop(self.dbus)
