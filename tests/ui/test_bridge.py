"""The bridge never loses the desk's replay, however fast the desk's thread answers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ui.bridge import DeskBridge


class InstantDesk:
    """Replays to a new subscriber from another thread before ``subscribe`` even returns."""

    def subscribe(self, callback: Callable[[object], None]) -> Callable[[], None]:
        worker = threading.Thread(target=callback, args=("replayed status",))
        worker.start()
        worker.join()
        return lambda: None


def test_the_replay_reaches_the_slot_when_the_desk_answers_at_once(qtbot: Any, app: Any) -> None:
    seen: list[object] = []
    bridge = DeskBridge(InstantDesk(), seen.append)
    qtbot.waitUntil(lambda: seen == ["replayed status"], timeout=2000)
    bridge.detach()
