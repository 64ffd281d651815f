"""The reception state machine: pure ``(state, event) -> (state, effects)``.

The UI and the runtime drive it without logic of their own: each state says which screen to show
(:attr:`ReceptionState.screen`), which events it accepts (:attr:`ReceptionState.allowed`) and what
it offers; each transition returns the commands to perform (:class:`Effect` subclasses: read the
card, read the PIN tries, ask for the PIN, query the terminal, ask for documents, record).

Guarantees (property-tested):
* every run ends in exactly one :class:`RecordVerification` — a recorded path, or ABANDONED;
* nothing is asked for or accepted that the rules of that date refuse: options come from
  :meth:`PolicyEngine.accepted_documents` on the visit date, documents must satisfy the option;
* the PIN never enters the machine (only ok / wrong with tries left / blocked), a PIN is never
  retried without an explicit :class:`RetryPin`, and the last try carries a warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import NamedTuple

from policies.engine import AcceptedOption, CertStatus, PolicyEngine, PublicExpenseAdvice
from policies.errors import EventNotAllowed
from policies.model import (
    AcceptAction,
    DocumentKind,
    FacilityProfile,
    FailureReason,
    Outcome,
    PatientContext,
    PublicExpense,
    VerificationPath,
)
from policies.rulebook import Condition, FlaggedNote

# -- vocabulary ---------------------------------------------------------------------------------


class Screen(StrEnum):
    CHOOSE_ROUTE = "choose_route"  # show the offered options (primary route or fallback guide)
    WAIT_CARD = "wait_card"  # general reader: waiting for the card and its certificate
    WAIT_PIN_TRIES = "wait_pin_tries"  # reading the remaining PIN tries (spends none)
    ASK_PIN = "ask_pin"  # the patient enters the PIN on the reader
    PIN_WRONG = "pin_wrong"  # staff decide: try again, visual check, or fall back
    VISUAL_CHECK = "visual_check"  # staff compare the face with the card photo
    WAIT_TERMINAL = "wait_terminal"  # a query is out to the terminal
    WAIT_EXTERNAL = "wait_external"  # face reader / app / mobile device result to come or paste
    COLLECT_DOCUMENTS = "collect_documents"  # staff record what the patient presented
    PUBLIC_EXPENSE = "public_expense"  # ask for the paper 受給者証
    DONE = "done"
    ABANDONED = "abandoned"


class PinResult(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    BLOCKED = "blocked"


class TerminalOutcome(StrEnum):
    """The terminal's answer, reduced to what the rules need."""

    VALID = "valid"  # 有効
    NO_RECORD = "no_record"  # 資格情報なし / 該当資格なし
    INVALID = "invalid"  # 無効, 無効（新しい資格あり）
    MULTIPLE = "multiple"  # 複数該当
    NOT_DESIGNATED = "not_designated"  # 医療扶助: 未委託
    ERROR = "error"  # an error code


class QueryKind(StrEnum):
    CARD = "card"  # with the card's certificate after PIN / visual check
    NUMBERS = "numbers"  # 個別照会 with the numbers on a document
    REQUERY = "requery"  # 居宅: 再照会 with the numbers from the first visit


_OUTCOME_REASON = {
    TerminalOutcome.NO_RECORD: FailureReason.NO_RECORD,
    TerminalOutcome.INVALID: FailureReason.ELIGIBILITY_LOST,
    TerminalOutcome.MULTIPLE: FailureReason.MULTIPLE_MATCHES,
    TerminalOutcome.NOT_DESIGNATED: FailureReason.NOT_DESIGNATED_WELFARE,
    TerminalOutcome.ERROR: FailureReason.TERMINAL_ERROR,
}
_READER_PATHS = {
    VerificationPath.MYNA_GENERAL_READER_PIN,
    VerificationPath.MYNA_GENERAL_READER_VISUAL,
}
#: Routes on the 顔認証付きカードリーダー device (another device than the general reader).
_FACE_READER_PATHS = {
    VerificationPath.MYNA_FACE_READER,
    VerificationPath.MYNA_FACE_READER_VISUAL,
}


# -- events -------------------------------------------------------------------------------------


class Event:
    """Base of everything the runtime or staff report to the machine."""


@dataclass(frozen=True, slots=True)
class ChooseOption(Event):
    option_id: str


@dataclass(frozen=True, slots=True)
class CardRead(Event):
    """A card was put on the general reader (the cert read follows)."""

    simulated: bool = False


@dataclass(frozen=True, slots=True)
class CertParsed(Event):
    """The user-authentication certificate was read (no PIN needed); its expiry is known."""

    expiry: date
    simulated: bool = False


@dataclass(frozen=True, slots=True)
class PinTriesRead(Event):
    tries_left: int


@dataclass(frozen=True, slots=True)
class PinEntered(Event):
    """Result of one PIN verification on the card (never the PIN itself)."""

    result: PinResult
    tries_left: int | None = None


@dataclass(frozen=True, slots=True)
class RetryPin(Event):
    """Staff (with the patient) decided to try the PIN once more."""


@dataclass(frozen=True, slots=True)
class UseVisualCheck(Event):
    """Staff switch to 目視確認 instead of the PIN."""


@dataclass(frozen=True, slots=True)
class VisualCheckDone(Event):
    matches: bool


@dataclass(frozen=True, slots=True)
class TerminalAnswered(Event):
    outcome: TerminalOutcome
    simulated: bool = False
    #: PMH: the 公費 came back with the result (None: not asked / not applicable).
    public_expense_found: bool | None = None
    error_code: str = ""


@dataclass(frozen=True, slots=True)
class TerminalTimedOut(Event):
    """No answer in time: treated as TERMINAL_DOWN."""


@dataclass(frozen=True, slots=True)
class Failed(Event):
    reason: FailureReason


@dataclass(frozen=True, slots=True)
class DocumentsRecorded(Event):
    documents: frozenset[DocumentKind]


@dataclass(frozen=True, slots=True)
class PublicExpenseResolved(Event):
    """Staff saw the paper 受給者証 (``presented``) or the patient has none with them."""

    presented: bool


@dataclass(frozen=True, slots=True)
class Cancel(Event):
    """The patient left or the visit was cancelled."""


# -- effects ------------------------------------------------------------------------------------


class Effect:
    """Base of the commands the runtime performs after a transition."""


@dataclass(frozen=True, slots=True)
class ShowOptions(Effect):
    reason: FailureReason | None
    options: tuple[AcceptedOption, ...]
    steps: tuple[str, ...]
    notes: tuple[FlaggedNote, ...]


@dataclass(frozen=True, slots=True)
class ReadCard(Effect):
    """Read the card's user-authentication certificate (no PIN)."""


@dataclass(frozen=True, slots=True)
class ReadPinTries(Effect):
    """Read the remaining PIN tries without spending one."""


@dataclass(frozen=True, slots=True)
class AskPin(Effect):
    tries_left: int
    last_try_warning: bool


@dataclass(frozen=True, slots=True)
class AskVisualCheck(Effect):
    pass


@dataclass(frozen=True, slots=True)
class QueryTerminal(Effect):
    kind: QueryKind


@dataclass(frozen=True, slots=True)
class AwaitExternalResult(Effect):
    path: VerificationPath


@dataclass(frozen=True, slots=True)
class AskDocuments(Effect):
    option_id: str
    documents: tuple[DocumentKind, ...]


@dataclass(frozen=True, slots=True)
class RejectDocuments(Effect):
    """What was recorded does not satisfy the chosen option on this date."""

    option_id: str
    missing: tuple[DocumentKind, ...]


@dataclass(frozen=True, slots=True)
class AskPublicExpenseCertificate(Effect):
    expenses: tuple[PublicExpense, ...]


@dataclass(frozen=True, slots=True)
class PublicExpenseRecord:
    expense: PublicExpense
    via: str  # "pmh", "paper" or "not_presented"
    rules: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class VerificationRecord:
    """The one record of a visit's eligibility check (what the audit log stores)."""

    on: date
    path: VerificationPath | None  # None only for ABANDONED
    outcome: Outcome
    reason: FailureReason | None  # the failure whose route was used (None: primary route)
    failures: tuple[FailureReason, ...]
    documents: tuple[DocumentKind, ...]
    option_id: str | None
    rules: tuple[str, ...]
    sources: tuple[str, ...]
    conditions: tuple[Condition, ...]
    simulated: bool
    public_expense: tuple[PublicExpenseRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class RecordVerification(Effect):
    record: VerificationRecord


# -- state --------------------------------------------------------------------------------------


_ALLOWED: dict[Screen, frozenset[type[Event]]] = {
    Screen.CHOOSE_ROUTE: frozenset({ChooseOption, CardRead, TerminalAnswered, Failed, Cancel}),
    Screen.WAIT_CARD: frozenset({CertParsed, Failed, Cancel}),
    Screen.WAIT_PIN_TRIES: frozenset({PinTriesRead, Failed, Cancel}),
    Screen.ASK_PIN: frozenset({PinEntered, Failed, Cancel}),
    Screen.PIN_WRONG: frozenset({RetryPin, UseVisualCheck, Failed, Cancel}),
    Screen.VISUAL_CHECK: frozenset({VisualCheckDone, Failed, Cancel}),
    Screen.WAIT_TERMINAL: frozenset({TerminalAnswered, TerminalTimedOut, Failed, Cancel}),
    Screen.WAIT_EXTERNAL: frozenset({TerminalAnswered, TerminalTimedOut, Failed, Cancel}),
    Screen.COLLECT_DOCUMENTS: frozenset({DocumentsRecorded, ChooseOption, Failed, Cancel}),
    Screen.PUBLIC_EXPENSE: frozenset({PublicExpenseResolved, Cancel}),
    Screen.DONE: frozenset(),
    Screen.ABANDONED: frozenset(),
}


@dataclass(frozen=True, slots=True)
class ReceptionState:
    screen: Screen
    patient: PatientContext
    reason: FailureReason | None = None
    failures: tuple[FailureReason, ...] = ()
    offered: tuple[AcceptedOption, ...] = ()
    steps: tuple[str, ...] = ()
    chosen: AcceptedOption | None = None
    pin_tries_left: int | None = None
    visual_option: AcceptedOption | None = None  # offered instead of the PIN after a wrong try
    documents: frozenset[DocumentKind] = frozenset()
    simulated: bool = False
    pmh_found: bool | None = None
    pmh_failed: bool = False
    pending: tuple[PublicExpenseAdvice, ...] = ()
    success: tuple[VerificationPath, Outcome] | None = None
    record: VerificationRecord | None = None
    notes: tuple[FlaggedNote, ...] = field(default=())

    @property
    def allowed(self) -> frozenset[type[Event]]:
        """Event types this state accepts (the UI enables exactly these actions)."""
        allowed = _ALLOWED[self.screen]
        if self.screen is Screen.PIN_WRONG and self.visual_option is None:
            allowed = allowed - {UseVisualCheck}
        if self.screen is Screen.CHOOSE_ROUTE:
            paths = {o.path for o in self.offered}
            if not paths & _READER_PATHS:
                allowed = allowed - {CardRead}
            if VerificationPath.MYNA_FACE_READER not in paths:
                allowed = allowed - {TerminalAnswered}
            if not self.offered:
                allowed = allowed - {ChooseOption}
        return allowed

    @property
    def final(self) -> bool:
        return self.screen in (Screen.DONE, Screen.ABANDONED)

    @property
    def last_try_warning(self) -> bool:
        return self.pin_tries_left == 1


class Transition(NamedTuple):
    state: ReceptionState
    effects: tuple[Effect, ...]


@dataclass(frozen=True, slots=True)
class ReceptionContext:
    """What stays fixed during one visit: the rules, the date, the facility."""

    engine: PolicyEngine
    on: date
    facility: FacilityProfile


# -- transitions --------------------------------------------------------------------------------


def start(ctx: ReceptionContext, patient: PatientContext) -> Transition:
    """Open a visit on the primary route."""
    return _route(ctx, ReceptionState(Screen.CHOOSE_ROUTE, patient), None)


def handle(ctx: ReceptionContext, state: ReceptionState, event: Event) -> Transition:
    """Apply ``event``; raise :class:`EventNotAllowed` if this state does not accept it."""
    if type(event) not in state.allowed:
        raise EventNotAllowed(f"{type(event).__name__} is not accepted on screen {state.screen}")
    if isinstance(event, Cancel):
        if (
            state.screen is Screen.PUBLIC_EXPENSE
        ):  # eligibility is settled; only the 公費 is missing
            return _public_expense_done(ctx, state, presented=False)
        return _finish(ctx, state, None, Outcome.ABANDONED)
    if isinstance(event, Failed):
        return _fail(ctx, state, event.reason)
    if isinstance(event, TerminalTimedOut):
        return _fail(ctx, state, FailureReason.TERMINAL_DOWN)
    if isinstance(event, ChooseOption):
        return _choose(ctx, state, event.option_id)
    if isinstance(event, CardRead):
        return _card_read(ctx, state, event)
    if isinstance(event, CertParsed):
        return _cert_parsed(ctx, state, event)
    if isinstance(event, PinTriesRead | PinEntered | RetryPin):
        return _pin(ctx, state, event)
    if isinstance(event, UseVisualCheck):
        assert state.visual_option is not None  # allowed only then
        return Transition(
            replace(
                state, screen=Screen.VISUAL_CHECK, chosen=state.visual_option, pin_tries_left=None
            ),
            (AskVisualCheck(),),
        )
    if isinstance(event, VisualCheckDone):
        if not event.matches:
            return _fail(ctx, state, FailureReason.IDENTITY_MISMATCH)
        return Transition(
            replace(state, screen=Screen.WAIT_TERMINAL), (QueryTerminal(QueryKind.CARD),)
        )
    if isinstance(event, TerminalAnswered):
        return _terminal(ctx, state, event)
    if isinstance(event, DocumentsRecorded):
        return _documents(ctx, state, event.documents)
    if isinstance(event, PublicExpenseResolved):
        return _public_expense_done(ctx, state, event.presented)
    raise EventNotAllowed(f"unknown event {event!r}")  # pragma: no cover


def _route(
    ctx: ReceptionContext, state: ReceptionState, reason: FailureReason | None
) -> Transition:
    """Show the options the rules accept today for ``reason`` (None: primary route)."""
    if reason is None:
        acceptance = ctx.engine.accepted_documents(ctx.on, ctx.facility, state.patient, None)
        steps: tuple[str, ...] = ()
    else:
        decision = ctx.engine.decide_fallback(ctx.on, ctx.facility, state.patient, reason)
        acceptance = decision.acceptance
        steps = decision.guide.steps if decision.guide else ()
    options = acceptance.options
    if reason is not None and _on_general_reader(state):
        # The card is on the general reader: its own 目視確認 comes before switching devices.
        options = tuple(sorted(options, key=lambda o: o.path in _FACE_READER_PATHS))
    new = replace(
        state,
        screen=Screen.CHOOSE_ROUTE,
        reason=reason,
        offered=options,
        steps=steps,
        chosen=None,
        pin_tries_left=None,
        visual_option=None,
        documents=frozenset(),
        notes=acceptance.notes,
    )
    return Transition(new, (ShowOptions(reason, options, steps, acceptance.notes),))


def _on_general_reader(state: ReceptionState) -> bool:
    """The visit is using the general-purpose reader (its route, or its card was read there)."""
    on_route = state.chosen is not None and state.chosen.path in _READER_PATHS
    return on_route or state.patient.cert_expiry is not None


def _fail(ctx: ReceptionContext, state: ReceptionState, reason: FailureReason) -> Transition:
    if reason is FailureReason.PMH_NOT_AVAILABLE:
        # About the 公費, not the insurance check: remember it for the 受給者証 step.
        return Transition(replace(state, pmh_failed=True), ())
    return _route(ctx, replace(state, failures=(*state.failures, reason)), reason)


def _choose(ctx: ReceptionContext, state: ReceptionState, option_id: str) -> Transition:
    option = next((o for o in state.offered if option_id in (o.id, *o.option_ids)), None)
    if option is None:
        raise EventNotAllowed(f"option {option_id!r} is not accepted here on {ctx.on.isoformat()}")
    state = replace(state, chosen=option, documents=frozenset())
    if option.action is AcceptAction.ONLINE:
        if option.path in _READER_PATHS:
            return Transition(replace(state, screen=Screen.WAIT_CARD), (ReadCard(),))
        return Transition(
            replace(state, screen=Screen.WAIT_EXTERNAL), (AwaitExternalResult(option.path),)
        )
    if option.documents:
        return Transition(
            replace(state, screen=Screen.COLLECT_DOCUMENTS),
            (AskDocuments(option.id, option.documents),),
        )
    if option.action is AcceptAction.QUERY_OQS:
        return Transition(
            replace(state, screen=Screen.WAIT_TERMINAL), (QueryTerminal(QueryKind.REQUERY),)
        )
    return _succeed(ctx, state, option.path, option.outcome)


def _card_read(ctx: ReceptionContext, state: ReceptionState, event: CardRead) -> Transition:
    """A card on the general reader before staff chose: take the reader route if offered."""
    option = next((o for o in state.offered if o.path in _READER_PATHS), None)
    if option is None:
        raise EventNotAllowed("no card-reader route is accepted here now")
    new = replace(state, chosen=option, simulated=state.simulated or event.simulated)
    return Transition(replace(new, screen=Screen.WAIT_CARD), (ReadCard(),))


def _cert_parsed(ctx: ReceptionContext, state: ReceptionState, event: CertParsed) -> Transition:
    patient = replace(state.patient, cert_expiry=event.expiry)
    state = replace(state, patient=patient, simulated=state.simulated or event.simulated)
    status, _ = ctx.engine.cert_status(patient, ctx.on)
    if status is CertStatus.EXPIRED:
        return _fail(ctx, state, FailureReason.CARD_EXPIRED)
    # Re-read the option with the known expiry (adds the DOC-11 grace condition if any).
    assert state.chosen is not None
    refreshed = ctx.engine.accepted_documents(ctx.on, ctx.facility, patient, state.reason)
    chosen = refreshed.option(state.chosen.id) or state.chosen
    state = replace(state, chosen=chosen, offered=refreshed.options)
    if chosen.path is VerificationPath.MYNA_GENERAL_READER_VISUAL:
        return Transition(replace(state, screen=Screen.VISUAL_CHECK), (AskVisualCheck(),))
    return Transition(replace(state, screen=Screen.WAIT_PIN_TRIES), (ReadPinTries(),))


def _visual_alternative(ctx: ReceptionContext, state: ReceptionState) -> AcceptedOption | None:
    """The 目視確認 route, if the rules accept it here today (FAIL-05)."""
    decision = ctx.engine.decide_fallback(
        ctx.on, ctx.facility, state.patient, FailureReason.PIN_UNKNOWN
    )
    return next(
        (o for o in decision.options if o.path is VerificationPath.MYNA_GENERAL_READER_VISUAL), None
    )


def _pin(ctx: ReceptionContext, state: ReceptionState, event: Event) -> Transition:
    if isinstance(event, PinTriesRead):
        if event.tries_left <= 0:
            return _fail(ctx, state, FailureReason.PIN_LOCKED)
        return _ask_pin(state, event.tries_left)
    if isinstance(event, RetryPin):
        assert state.pin_tries_left is not None
        return _ask_pin(state, state.pin_tries_left)
    assert isinstance(event, PinEntered)
    if event.result is PinResult.OK:
        return Transition(
            replace(state, screen=Screen.WAIT_TERMINAL, pin_tries_left=None),
            (QueryTerminal(QueryKind.CARD),),
        )
    left = event.tries_left if event.tries_left is not None else (state.pin_tries_left or 1) - 1
    if event.result is PinResult.BLOCKED or left <= 0:
        return _fail(ctx, state, FailureReason.PIN_LOCKED)
    # Never retry on our own: staff decide, with the remaining tries shown.
    new = replace(
        state,
        screen=Screen.PIN_WRONG,
        pin_tries_left=left,
        visual_option=_visual_alternative(ctx, state),
    )
    return Transition(new, ())


def _ask_pin(state: ReceptionState, tries: int) -> Transition:
    return Transition(
        replace(state, screen=Screen.ASK_PIN, pin_tries_left=tries),
        (AskPin(tries_left=tries, last_try_warning=tries == 1),),
    )


def _terminal(ctx: ReceptionContext, state: ReceptionState, event: TerminalAnswered) -> Transition:
    state = replace(
        state, simulated=state.simulated or event.simulated, pmh_found=event.public_expense_found
    )
    if state.screen is Screen.CHOOSE_ROUTE:
        # A face-reader result arrived before staff chose: take that route if it is offered.
        option = next(
            (o for o in state.offered if o.path is VerificationPath.MYNA_FACE_READER), None
        )
        if option is None:
            raise EventNotAllowed("no face-reader route is accepted here now")
        state = replace(state, chosen=option)
    if event.outcome is not TerminalOutcome.VALID:
        return _fail(ctx, state, _OUTCOME_REASON[event.outcome])
    assert state.chosen is not None
    return _succeed(ctx, state, state.chosen.path, state.chosen.outcome)


def _documents(
    ctx: ReceptionContext, state: ReceptionState, documents: frozenset[DocumentKind]
) -> Transition:
    option = state.chosen
    assert option is not None
    if not option.satisfied_by(documents):
        missing = tuple(d for d in option.documents if d not in documents)
        return Transition(state, (RejectDocuments(option.id, missing),))
    state = replace(state, documents=frozenset(documents))
    if option.action is AcceptAction.QUERY_OQS:
        return Transition(
            replace(state, screen=Screen.WAIT_TERMINAL), (QueryTerminal(QueryKind.NUMBERS),)
        )
    return _succeed(ctx, state, option.path, option.outcome)


def _succeed(
    ctx: ReceptionContext, state: ReceptionState, path: VerificationPath, outcome: Outcome
) -> Transition:
    """Insurance eligibility settled; settle the 公費 (PMH or paper 受給者証), then record."""
    state = replace(state, success=(path, outcome))
    if state.chosen is not None and state.chosen.action is AcceptAction.ONLINE:
        state = replace(state, documents=state.documents | set(state.chosen.documents))
    if outcome is not Outcome.NOT_CONFIRMED and state.patient.public_expenses:
        online = state.chosen is not None and state.chosen.action is AcceptAction.ONLINE
        advice = tuple(
            ctx.engine.public_expense(ctx.on, ctx.facility, e)
            for e in state.patient.public_expenses
        )
        covered = online and state.pmh_found is not False and not state.pmh_failed
        pending = tuple(a for a in advice if a.paper_needed(covered))
        state = replace(state, pending=advice)
        if pending:
            return Transition(
                replace(state, screen=Screen.PUBLIC_EXPENSE),
                (AskPublicExpenseCertificate(tuple(a.expense for a in pending)),),
            )
    return _finish(ctx, state, path, outcome)


def _public_expense_done(
    ctx: ReceptionContext, state: ReceptionState, presented: bool
) -> Transition:
    assert state.success is not None
    if presented:
        state = replace(
            state, documents=state.documents | {DocumentKind.PUBLIC_EXPENSE_CERTIFICATE}
        )
    return _finish(ctx, state, *state.success, paper_presented=presented)


def _finish(
    ctx: ReceptionContext,
    state: ReceptionState,
    path: VerificationPath | None,
    outcome: Outcome,
    paper_presented: bool | None = None,
) -> Transition:
    option = state.chosen if path is not None else None
    online = option is not None and option.action is AcceptAction.ONLINE
    covered = online and state.pmh_found is not False and not state.pmh_failed
    expense_records = []
    for advice in state.pending if path is not None else ():
        if not advice.paper_needed(covered):
            via, rule = "pmh", advice.online
        else:
            via, rule = ("paper" if paper_presented else "not_presented"), advice.paper
        expense_records.append(PublicExpenseRecord(advice.expense, via, rule.rules if rule else ()))
    record = VerificationRecord(
        on=ctx.on,
        path=path,
        outcome=outcome,
        reason=state.reason,
        failures=state.failures,
        documents=tuple(sorted(state.documents)),
        option_id=option.id if option else None,
        rules=option.rules if option else (),
        sources=option.sources if option else (),
        conditions=option.conditions if option else (),
        simulated=state.simulated,
        public_expense=tuple(expense_records),
    )
    screen = Screen.ABANDONED if outcome is Outcome.ABANDONED else Screen.DONE
    return Transition(replace(state, screen=screen, record=record), (RecordVerification(record),))
