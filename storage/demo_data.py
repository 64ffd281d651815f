"""A synthetic clinic history, written through the Store's public API only.

Used for the sample printouts, the report benchmark, tests and the desk's demo mode. Because
every row goes through the same calls the desk makes, the audit chain, the triggers and the
personal-data guards are all real. The history is deterministic for a seed (times come from a
:class:`DemoClock` the store is opened with) and is simulated data: every verification is
flagged ``simulated`` unless a caller asks for a mostly "real-looking" mix (tests of mixed
flags), and the facility name and a ``demo_data`` setting say so too.

Every patient is invented. Nothing here is, or looks like, an individual number.
"""

from __future__ import annotations

import math
import random
import tomllib
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from importlib import resources
from pathlib import Path

from policies.dates import JST
from policies.model import (
    DocumentKind,
    FacilityKind,
    FacilityProfile,
    FailureReason,
    Flow,
    OqsMode,
    Outcome,
    Sex,
    VerificationPath,
)
from storage.models import StaffRole, VisitKind
from storage.records import DocumentSeen, NewPatient, NewVerification, PatientRecord, StaffInfo
from storage.store import Store
from storage.timeutil import now_tokyo

P, R, D, K = VerificationPath, FailureReason, DocumentKind, VisitKind

FAMILY_NAMES: tuple[tuple[str, str], ...] = (
    ("佐藤", "サトウ"), ("鈴木", "スズキ"), ("高橋", "タカハシ"), ("田中", "タナカ"),
    ("伊藤", "イトウ"), ("渡辺", "ワタナベ"), ("山本", "ヤマモト"), ("中村", "ナカムラ"),
    ("小林", "コバヤシ"), ("加藤", "カトウ"), ("長谷川", "ハセガワ"), ("勅使河原", "テシガワラ"),
)  # fmt: skip
#: (name, kana, sex)
GIVEN_NAMES: tuple[tuple[str, str, Sex], ...] = (
    ("太郎", "タロウ", Sex.MALE), ("花子", "ハナコ", Sex.FEMALE), ("翔太", "ショウタ", Sex.MALE),
    ("陽菜", "ヒナ", Sex.FEMALE), ("健一", "ケンイチ", Sex.MALE), ("美咲", "ミサキ", Sex.FEMALE),
    ("大和", "ヤマト", Sex.MALE), ("結衣", "ユイ", Sex.FEMALE),
    ("左衛門三郎", "サエモンサブロウ", Sex.MALE), ("さくら", "サクラ", Sex.FEMALE),
)  # fmt: skip
#: (username, display name)
DEMO_STAFF: tuple[tuple[str, str], ...] = (
    ("aoki", "受付 青木"),
    ("ishii", "受付 石井"),
    ("ueda", "事務 上田"),
)
DEMO_ADMIN = ("demo-admin", "デモ管理者")
#: Password of every demo account (demo databases only; documented in docs/samples/README.md).
DEMO_PASSWORD = "demo-pass-1"  # noqa: S105 - a documented demo credential, not a secret
DEMO_SETTING = "demo_data"

DEMO_PROFILE = FacilityProfile(
    kind=FacilityKind.CLINIC,
    oqs_mode=OqsMode.MANDATED,
    flows=frozenset(
        {
            Flow.FACE_READER,
            Flow.GENERAL_READER,
            Flow.HOME_VISIT,
            Flow.ONLINE_CONSULTATION,
            Flow.UNUSUAL_ROUTE,
            Flow.WELFARE,
            Flow.PMH,
            Flow.SMARTPHONE_READER,
        }
    ),
    medical_institution_code="1312345678",
    prefecture_code="13",
    municipality_code="131016",
    name="医療法人 窓口会 まどぐちクリニック（デモ）",
)


@dataclass(frozen=True, slots=True)
class Scenario:
    """One kind of visit: what happened at the desk and what was recorded."""

    path: VerificationPath
    outcome: Outcome
    reason: FailureReason | None
    documents: tuple[DocumentKind, ...]
    weight: float
    visit: VisitKind = VisitKind.OUTPATIENT


#: A plausible mix for a mandated clinic; every path and every failure reason occurs.
SCENARIOS: tuple[Scenario, ...] = (
    Scenario(P.MYNA_FACE_READER, Outcome.CONFIRMED, None, (D.MYNA_CARD,), 40),
    Scenario(P.MYNA_FACE_READER_VISUAL, Outcome.CONFIRMED, R.FACE_AUTH_FAILED, (D.MYNA_CARD,), 3),
    Scenario(P.MYNA_FACE_READER_VISUAL, Outcome.CONFIRMED, R.PIN_LOCKED, (D.MYNA_CARD,), 1),
    Scenario(P.MYNA_GENERAL_READER_PIN, Outcome.CONFIRMED, None, (D.MYNA_CARD,), 4),
    Scenario(P.MYNA_GENERAL_READER_VISUAL, Outcome.CONFIRMED, R.PIN_UNKNOWN, (D.MYNA_CARD,), 1),
    Scenario(P.MYNA_SMARTPHONE, Outcome.CONFIRMED, None, (D.MYNA_SMARTPHONE,), 3),
    Scenario(P.NUMBER_QUERY, Outcome.CONFIRMED, R.NO_CARD, (D.QUALIFICATION_CERTIFICATE,), 18),
    Scenario(P.NUMBER_QUERY, Outcome.CONFIRMED, R.CARD_UNREADABLE,
             (D.MYNA_CARD, D.MYNAPORTAL_SCREEN), 2),
    Scenario(P.NUMBER_QUERY, Outcome.CONFIRMED, R.CARD_EXPIRED,
             (D.MYNA_CARD, D.QUALIFICATION_NOTICE), 1),
    Scenario(P.NUMBER_QUERY, Outcome.CONFIRMED, R.MULTIPLE_MATCHES,
             (D.QUALIFICATION_CERTIFICATE, D.ELDERLY_RECIPIENT_CERTIFICATE), 0.5),
    Scenario(P.DOCUMENTS, Outcome.CONFIRMED, R.TERMINAL_DOWN, (D.QUALIFICATION_CERTIFICATE,), 2),
    Scenario(P.DOCUMENTS, Outcome.CONFIRMED, R.TERMINAL_ERROR,
             (D.MYNA_CARD, D.MYNAPORTAL_PDF, D.LIMIT_CERTIFICATE), 1),
    Scenario(P.SELF_DECLARATION, Outcome.PROVISIONAL, R.NO_RECORD,
             (D.MYNA_CARD, D.SELF_DECLARATION_FORM), 1),
    Scenario(P.SELF_DECLARATION, Outcome.PROVISIONAL, R.ELIGIBILITY_LOST,
             (D.MYNA_CARD, D.SELF_DECLARATION_FORM, D.EXPIRED_INSURANCE_CARD), 1),
    Scenario(P.MOBILE_DEVICE, Outcome.CONFIRMED, R.READER_FAILURE, (D.MYNA_CARD,), 0.5,
             K.UNUSUAL_ROUTE),
    Scenario(P.MOBILE_DEVICE, Outcome.CONFIRMED, R.PATIENT_CANNOT_OPERATE, (D.MYNA_CARD,), 1,
             K.UNUSUAL_ROUTE),
    Scenario(P.WELFARE_PAPER_TICKET, Outcome.CONFIRMED, R.NOT_DESIGNATED_WELFARE,
             (D.MEDICAL_TICKET,), 1),
    Scenario(P.MYNA_FACE_READER, Outcome.CONFIRMED, R.PMH_NOT_AVAILABLE,
             (D.MYNA_CARD, D.PUBLIC_EXPENSE_CERTIFICATE), 2),
    Scenario(P.SELF_PAY, Outcome.NOT_CONFIRMED, R.IDENTITY_MISMATCH, (D.MYNA_CARD,), 0.2),
    Scenario(P.SELF_PAY, Outcome.NOT_CONFIRMED, R.NO_CARD, (D.INSURANCE_CARD,), 0.5),
    Scenario(P.MYNA_FACE_READER, Outcome.ABANDONED, None, (), 0.7),
    Scenario(P.HOME_VISIT_FIRST, Outcome.CONFIRMED, None, (D.MYNA_CARD,), 1, K.HOME_VISIT),
    Scenario(P.HOME_VISIT_REQUERY, Outcome.CONFIRMED, None, (), 2, K.HOME_VISIT),
    Scenario(P.ONLINE_CONSULTATION, Outcome.CONFIRMED, None, (D.MYNA_CARD,), 1, K.ONLINE),
    # The 限定型 app at a mandated clinic is rare (a stand-in device while the reader is out).
    Scenario(P.LIMITED_APP, Outcome.CONFIRMED, R.READER_FAILURE, (D.MYNA_CARD,), 0.1),
)  # fmt: skip


class DemoClock:
    """The clock a demo store is opened with: demo times while seeding, then real time.

    Never goes backwards (the chain would clamp it anyway): after :meth:`follow_real_time` it
    returns the later of the real time and the last demo time.
    """

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("DemoClock needs a timezone-aware start")
        self._now = start
        self._real = False

    def __call__(self) -> datetime:
        return max(now_tokyo(), self._now) if self._real else self._now

    def set(self, moment: datetime) -> None:
        if moment < self._now:
            raise ValueError(f"demo clock cannot go back from {self._now} to {moment}")
        self._now = moment

    def follow_real_time(self) -> None:
        self._real = True


@dataclass(frozen=True, slots=True)
class DemoSpec:
    """What to seed. ``months`` calendar months up to and including ``end``'s month."""

    end: date = date(2026, 11, 20)
    months: int = 3
    #: Visits on a full weekday (Saturdays get half); drawn uniformly in this range.
    visits_per_day: tuple[int, int] = (14, 26)
    seed: int = 7
    #: True: every verification is flagged simulated (demo data IS simulated). False: only a
    #: few are, for tests that need both kinds of rows.
    all_simulated: bool = True
    terminals: tuple[str, ...] = ("受付1", "受付2")

    @property
    def first_day(self) -> date:
        total = self.end.year * 12 + self.end.month - 1 - (self.months - 1)
        return date(total // 12, total % 12 + 1, 1)

    def start_moment(self) -> datetime:
        """When the demo database is created: the evening before the first day."""
        return datetime.combine(self.first_day - timedelta(days=1), time(19, 0), JST)


@dataclass(frozen=True, slots=True)
class DemoHistory:
    """What :func:`seed_demo_history` wrote."""

    spec: DemoSpec
    days: tuple[date, ...]
    verifications: int
    simulated: int
    patients: int
    admin: StaffInfo
    staff: tuple[StaffInfo, ...]
    per_day: dict[date, int] = field(default_factory=dict)


def open_days(first: date, last: date) -> list[date]:
    """Mon–Fri and Saturday mornings; closed on Sundays."""
    days, d = [], first
    while d <= last:
        if d.weekday() != 6:
            days.append(d)
        d += timedelta(days=1)
    return days


def _visit_times(rng: random.Random, day: date, n: int) -> list[tuple[datetime, datetime]]:
    """(opened, finished) of ``n`` visits in opening hours, increasing, never overlapping."""
    sessions = [(time(8, 45), time(12, 30))]
    if day.weekday() != 5:
        sessions.append((time(14, 30), time(18, 0)))
    spans = [(datetime.combine(day, a, JST), datetime.combine(day, b, JST)) for a, b in sessions]
    total = sum((b - a).total_seconds() for a, b in spans)
    out = []
    for i in range(n):
        offset = total * (i + rng.uniform(0.1, 0.6)) / max(n, 1)
        for a, b in spans:
            length = (b - a).total_seconds()
            if offset < length:
                opened = a + timedelta(seconds=int(offset))
                break
            offset -= length
        # Shorter than the smallest gap to the next visit (half a step): times never overlap.
        step = total / max(n, 1)
        out.append((opened, opened + timedelta(seconds=min(150.0, step * 0.4))))
    return out


class _Seeder:
    def __init__(
        self, stores: Sequence[Store], clock: DemoClock, spec: DemoSpec, admin: StaffInfo
    ) -> None:
        self.stores = stores
        self.clock = clock
        self.spec = spec
        self.rng = random.Random(spec.seed)  # noqa: S311 - reproducible fake data
        self.admin = admin
        self.staff: list[StaffInfo] = []
        self.patients: list[PatientRecord] = []
        self.written = 0
        self.simulated = 0

    def new_patient(self, actor: StaffInfo) -> PatientRecord:
        rng = self.rng
        family, family_kana = rng.choice(FAMILY_NAMES)
        given, given_kana, sex = rng.choice(GIVEN_NAMES)
        born = date(rng.randint(1932, 2024), rng.randint(1, 12), rng.randint(1, 28))
        record = self.stores[0].create_patient(
            actor,
            NewPatient(
                chart_number=f"{len(self.patients) + 1:05d}",
                name=f"{family} {given}",
                kana=f"{family_kana} {given_kana}",
                birth_date=born,
                sex=sex,
            ),
        )
        self.patients.append(record)
        return record

    def weights(self, progress: float) -> list[float]:
        """The マイナ保険証 share rises over the history, as it did at real desks."""
        from storage.reports.usage import MYNA_CARD_PATHS  # noqa: PLC0415 - one definition

        return [
            s.weight * (0.8 + 0.5 * progress if s.path in MYNA_CARD_PATHS else 1.0)
            for s in SCENARIOS
        ]

    def visit(self, opened: datetime, finished: datetime, scenario: Scenario) -> None:
        rng = self.rng
        store = self.stores[rng.randrange(len(self.stores))]
        actor = rng.choice(self.staff)
        self.clock.set(opened)
        if not self.patients or rng.random() < 0.3:
            patient = self.new_patient(actor)
        else:
            patient = rng.choice(self.patients)
        visit = store.open_visit(actor, patient.id, scenario.visit)
        simulated = self.spec.all_simulated or rng.random() < 0.05
        self.clock.set(finished)
        store.record_verification(
            actor,
            NewVerification(
                visit_id=visit.id,
                path=scenario.path,
                outcome=scenario.outcome,
                started_at=opened,
                failure_reason=scenario.reason,
                documents=tuple(DocumentSeen(d) for d in scenario.documents),
                simulated=simulated,
                note="デモデータ（架空の患者）",
            ),
        )
        self.written += 1
        self.simulated += simulated


def seed_demo_history(
    store: Store,
    clock: DemoClock,
    spec: DemoSpec | None = None,
    *,
    progress: Callable[[date, int], None] | None = None,
) -> DemoHistory:
    """Write ``spec``'s history into an empty ``store`` opened with ``clock``.

    Staff, the facility profile and the ``demo_data`` setting are created first; then every
    open day's visits, each a visit plus one verification, on the terminals of
    ``spec.terminals`` (the first is ``store``'s own). Leaves ``clock`` following real time.
    """
    spec = spec or DemoSpec()
    if store.has_staff():
        raise ValueError("seed_demo_history needs an empty database (it creates the first admin)")
    clock.set(max(clock(), spec.start_moment()))
    admin = store.create_first_admin(*DEMO_ADMIN, DEMO_PASSWORD)
    store.set_facility_profile(admin, DEMO_PROFILE)
    store.set_setting(
        admin,
        DEMO_SETTING,
        f"synthetic history, seed {spec.seed}, {spec.first_day}..{spec.end}",
    )
    stores = [store] + [
        Store.open(engine=store.engine, terminal_id=t, clock=clock) for t in spec.terminals[1:]
    ]
    seeder = _Seeder(stores, clock, spec, admin)
    seeder.staff = [
        store.create_staff(admin, user, name, StaffRole.RECEPTION, DEMO_PASSWORD)
        for user, name in DEMO_STAFF
    ]
    days = open_days(spec.first_day, spec.end)
    # Each scenario at least once, spread over the first days; then the weighted mix.
    rare = list(range(len(SCENARIOS)))
    seeder.rng.shuffle(rare)
    per_rare_day = math.ceil(len(rare) / max(len(days), 1))
    per_day: dict[date, int] = {}
    for i, day in enumerate(days):
        lo, hi = spec.visits_per_day
        n = seeder.rng.randint(lo, hi)
        n = n // 2 if day.weekday() == 5 else n
        forced = [SCENARIOS[k] for k in rare[i * per_rare_day : (i + 1) * per_rare_day]]
        weights = seeder.weights(i / max(len(days) - 1, 1))
        chosen = forced + seeder.rng.choices(SCENARIOS, weights, k=max(n - len(forced), 0))
        for (opened, finished), scenario in zip(
            _visit_times(seeder.rng, day, len(chosen)), chosen, strict=True
        ):
            seeder.visit(opened, finished, scenario)
        per_day[day] = len(chosen)
        if progress is not None:
            progress(day, len(chosen))
    for extra in stores[1:]:
        extra.close()
    clock.follow_real_time()
    return DemoHistory(
        spec=spec,
        days=tuple(days),
        verifications=seeder.written,
        simulated=seeder.simulated,
        patients=len(seeder.patients),
        admin=admin,
        staff=tuple(seeder.staff),
        per_day=per_day,
    )


def open_demo_store(
    url: str, spec: DemoSpec | None = None, *, backup_dir: Path | None = None
) -> tuple[Store, DemoHistory]:
    """Create and seed a demo database at ``url`` (which must be new and empty)."""
    spec = spec or DemoSpec()
    clock = DemoClock(spec.start_moment())
    store = Store.open(url, terminal_id=spec.terminals[0], clock=clock, backup_dir=backup_dir)
    return store, seed_demo_history(store, clock, spec)


#: The people on the demo cards (the terminal simulator's population, linked by ``card_id``).
DEMO_PERSONS = "demo/terminal/persons.toml"
_SEXES = {"1": Sex.MALE, "2": Sex.FEMALE}


def demo_card_patients() -> list[NewPatient]:
    """The patients on file matching the demo cards ``demo-01`` … (charts ``D-0001`` …).

    Name, kana (full-width), birth date, sex and the insurance numbers the simulator answers
    with; nothing else of the person (never an individual number: the data holds none).
    """
    text = resources.files("resources").joinpath(DEMO_PERSONS).read_text("utf-8")
    out = []
    for person in tomllib.loads(text)["person"]:
        card = person.get("card_id", "")
        if not card.startswith("demo-"):
            continue
        out.append(
            NewPatient(
                chart_number=f"D-{int(card.removeprefix('demo-')):04d}",
                name=person["name"],
                kana=unicodedata.normalize("NFKC", person["kana"]),
                birth_date=person.get("birthdate"),
                sex=_SEXES.get(str(person.get("sex")), Sex.UNKNOWN),
                insurer_number=person.get("insurer_number"),
                insured_symbol=person.get("symbol"),
                insured_number=person.get("number"),
                insured_branch=person.get("branch"),
            )
        )
    return out


#: The desk's demo facility and its one account (``main.py --demo``'s own database).
DESK_DEMO_FACILITY = "demo/facility.toml"


@dataclass(frozen=True, slots=True)
class DeskDemo:
    """The demo desk's facility profile and the account created with it on first run."""

    profile: FacilityProfile
    username: str
    display_name: str
    password: str


def desk_demo() -> DeskDemo:
    """The demo desk as ``resources/demo/facility.toml`` describes it (SIMULATED, all flows)."""
    data = tomllib.loads(
        resources.files("resources").joinpath(DESK_DEMO_FACILITY).read_text("utf-8")
    )
    staff = data["staff"]
    return DeskDemo(
        profile=FacilityProfile(
            kind=FacilityKind(data["kind"]),
            oqs_mode=OqsMode(data["oqs_mode"]),
            flows=frozenset(Flow(f) for f in data["flows"]),
            medical_institution_code=data["medical_institution_code"],
            prefecture_code=data["prefecture_code"],
            municipality_code=data["municipality_code"],
            name=data["name"],
        ),
        username=staff["username"],
        display_name=staff["display_name"],
        password=staff["password"],
    )


def seed_demo_patients(store: Store, actor: StaffInfo) -> list[PatientRecord]:
    """Register the demo cards' patients in a demo database (those not on file yet), so the
    README's first steps find a returning patient for every demo card."""
    return [
        store.create_patient(actor, new)
        for new in demo_card_patients()
        if not any(
            p.chart_number == new.chart_number for p in store.find_patients(new.chart_number)
        )
    ]


def prepare_desk_demo(store: Store) -> FacilityProfile:
    """The facility the demo desk runs with; on first run (no staff yet) creates its account,
    its profile and a returning patient for every demo card (the README's first steps)."""
    demo = desk_demo()
    if not store.has_staff():
        admin = store.create_first_admin(demo.username, demo.display_name, demo.password)
        store.set_facility_profile(admin, demo.profile)
        seed_demo_patients(store, admin)
    return store.facility_profile() or demo.profile
