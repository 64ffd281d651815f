"""What every section of the flow panel shares: the desk it forwards intents to, the session shown.

The flow panel (:mod:`ui.session_panel`) stacks one section per screen part — route options,
PIN, visual check, pasted app text, numbers for a query, documents, public expenses, the record —
each in its own module. A section decides from the runtime's ``SessionUpdated`` alone whether it
is visible and what it shows (``update_for``), forgets what staff typed when another visit is
selected (``reset``), and sends staff intents straight to the desk; it holds no reception logic.
"""

from __future__ import annotations

from PySide6.QtWidgets import QGroupBox, QWidget

from reader.reception import ReceptionDesk, SessionUpdated


class FlowSection(QGroupBox):
    """A titled part of the flow panel; a subclass sets its title and implements ``update_for``."""

    def __init__(self, desk: ReceptionDesk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.session: SessionUpdated | None = None

    def show_session(self, s: SessionUpdated | None, *, fresh: bool) -> None:
        """Show ``s`` (None: no visit selected); ``fresh``: another visit than before."""
        self.session = s
        if fresh:
            self.reset()
        if s is None:
            self.hide()
        else:
            self.update_for(s)

    def update_for(self, s: SessionUpdated) -> None:
        raise NotImplementedError

    def reset(self) -> None:
        """Another visit is shown: forget what staff typed for the previous one."""

    def visit_id(self) -> int | None:
        return self.session.visit_id if self.session else None
