"""The rule book: every dated rule of the notices as immutable values, each citing its sources.

Built only by :mod:`policies.loader` from the TOML files in ``resources/policies``; the engine reads
it and never hard-codes a date, an amount or a threshold. Values here mirror the data one to one,
so a reviewer can check a rule against its notice without reading the engine.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from fractions import Fraction

from policies.model import (
    AcceptAction,
    DocumentKind,
    FacilityKind,
    FailureReason,
    Flow,
    InsuranceKind,
    OqsMode,
    Outcome,
    SubsidyType,
    VerificationPath,
    VisitSetting,
)


class Confidence(StrEnum):
    """How well a rule is sourced (research tags [V], [S], [G])."""

    VERIFIED = "verified"  # primary document, or two independent secondary sources that agree
    SINGLE_SOURCE = "single_source"  # one secondary source: used, but marked
    GUESS = "guess"  # inference or open question: shown as a flagged note, never acted on


class Requirement(StrEnum):
    """Facts about the visit an option needs; the engine evaluates them (see engine._meets)."""

    CARD_PRESENT = "card_present"  # the physical My Number card is at hand (reason is not NO_CARD)
    CERT_USABLE = "cert_usable"  # e-certificate valid, or within the DOC-11 grace, on the date
    TERMINAL_ONLINE = "terminal_online"  # an online check can run now (not TERMINAL_DOWN, not NONE)
    NUMBER_QUERY = "number_query"  # the terminal can be queried with numbers (full OQS, reachable)
    HOME_FIRST_CHECK_DONE = "home_first_check_done"  # HOME-01: a first 電子資格確認 was made


class VisitKind(StrEnum):
    ANY = "any"
    FIRST = "first"  # 初診 / patient unknown to the institution
    REVISIT = "revisit"  # 再診 with billing data from earlier visits


class Condition(StrEnum):
    """Things staff must observe when using an option; labels live in labels.toml."""

    PRINTED_EXPIRY = "printed_expiry"  # valid only until the 有効期限 printed on the document
    CONFIRM_VIA_OQS = "confirm_via_oqs"  # eligibility must be confirmed by an OQS query
    NOT_AN_EXTENSION = "not_an_extension"  # the 暫定 handling does not extend the card's validity
    ASK_BRING_MYNA_NEXT_TIME = "ask_bring_myna_next_time"  # tell: bring マイナ保険証/資格確認書
    QUALIFICATION_ONLY_IN_GRACE = "qualification_only_in_grace"  # DOC-11: 資格 only, no 診療/薬剤
    SWITCH_READER_BACK = "switch_reader_back"  # FAIL-05: back to 自動/無人運転 afterwards
    CONSENT_REQUIRED = "consent_required"  # 居宅同意取得型: take consent for 薬剤情報等
    PIN_REQUIRED = "pin_required"  # マイナ在宅受付Web needs the PIN
    PIN_OR_VISUAL = "pin_or_visual"  # identity by PIN or 目視確認
    ORAL_NO_CHANGE = (
        "oral_no_change"  # 再診: confirm orally that nothing changed (counts as 申立書)
    )
    UNKNOWN_CLAIM_IF_UNRESOLVED = "unknown_claim_if_unresolved"  # FAIL-04 不詳請求 if never found
    KEEP_FORM_UNTIL_PAID = (
        "keep_form_until_paid"  # FAIL-03: keep the 申立書 until the claim is paid
    )
    PATIENT_TELLS_NUMBER_LATER = "patient_tells_number_later"  # FAIL-03
    BURDEN_BY_AGE = "burden_by_age"  # FAIL-03: 3割; 未就学 2割; 70歳以上 1–3割
    RECHECK_LATER = "recheck_later"  # MA-05: 未委託 early in the month is normal; 一括取得 later
    ASK_WELFARE_OFFICE = "ask_welfare_office"  # MA-05: ask the 福祉事務所 to issue the 医療券
    PATIENT_CLAIMS_LATER = "patient_claims_later"  # DOC-14: 療養費 claimed from the insurer [S]
    FLEXIBLE_KNOWN_PATIENT = "flexible_known_patient"  # DOC-14: known 再診 may be charged 3割 etc.
    FRESH_CHECK_EACH_VISIT = "fresh_check_each_visit"  # HOME-01: 往診 checks at every visit
    INFO_UNTIL_NEXT_DAY = "info_until_next_day"  # HOME-04/05: info until end of the next day
    PRIOR_WELFARE_REQUEST = "prior_welfare_request"  # MA-03: 診療依頼書 to the 福祉事務所 first
    CALL_WELFARE_OFFICE = "call_welfare_office"  # MA-09: phone the 福祉事務所 (閉庁時 afterwards)
    TICKET_LATER = "ticket_later"  # MA-09: the 医療券/調剤券 is submitted after the visit
    PAPER_ON_ERROR = "paper_on_error"  # PMH-05: on an error ask for the paper 受給者証


class PmhStatus(StrEnum):
    """Answer of the PMH lookup for one payer × subsidy type on one date."""

    LIVE = "live"  # this payer runs this type on PMH on the date
    UNKNOWN = "unknown"  # payer participates but the types are not stated, or the start is vague
    NOT_LIVE = "not_live"  # not on PMH on the date (as far as the data knows)


@dataclass(frozen=True, slots=True)
class Window:
    """Inclusive date range; ``end`` None = open-ended (no end announced in the sources)."""

    start: date
    end: date | None = None

    def contains(self, on: date) -> bool:
        return self.start <= on and (self.end is None or on <= self.end)

    def __str__(self) -> str:
        return f"{self.start.isoformat()}〜{self.end.isoformat() if self.end else '（終期なし）'}"


@dataclass(frozen=True, slots=True)
class Source:
    """A notice, page or seed a rule rests on."""

    id: str
    issuer: str
    title: str
    number: str = ""
    date: date | None = None
    date_note: str = ""
    url: str = ""
    primary: bool = True
    note: str = ""

    def cite(self) -> str:
        when = self.date.isoformat() if self.date else (self.date_note or "日付不明")
        number = f" {self.number}" if self.number else ""
        return f"{self.id}: {self.issuer}{number}「{self.title}」({when})"


@dataclass(frozen=True, slots=True)
class ResearchRule:
    """One rule ID of research/policy-rules.md (or added by the rules helper, e.g. USE-xx)."""

    id: str
    confidence: Confidence
    summary: str
    window: Window | None
    date_note: str
    sources: tuple[str, ...]
    origin: str = "research"


@dataclass(frozen=True, slots=True)
class When:
    """One applicability block; an option applies when ANY of its blocks matches.

    ``reasons`` holds ``None`` for the primary route (no failure yet). Empty collections mean
    "any" except ``flows`` (all listed flows required) and ``without_flows`` (none may be on).
    """

    reasons: frozenset[FailureReason | None]
    any_failure: bool = False
    modes: frozenset[OqsMode] = frozenset()
    facilities: frozenset[FacilityKind] = frozenset()
    insurance: frozenset[InsuranceKind] = frozenset()
    settings: frozenset[VisitSetting] = frozenset()
    flows: frozenset[Flow] = frozenset()
    without_flows: frozenset[Flow] = frozenset()
    visit: VisitKind = VisitKind.ANY
    needs: frozenset[Requirement] = frozenset()
    pmh: frozenset[PmhStatus] = frozenset()
    rules: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OptionRule:
    """A way to establish eligibility: documents, what staff do, and what gets recorded."""

    id: str
    label: str
    documents: tuple[DocumentKind, ...]
    action: AcceptAction
    path: VerificationPath
    outcome: Outcome
    rank: int
    window: Window
    rules: tuple[str, ...]
    sources: tuple[str, ...]
    conditions: tuple[Condition, ...]
    when: tuple[When, ...]
    note: str = ""
    #: Printed expiry to assume when staff have not entered the real one (DOC-04: most 国保
    #: cards ended 2025-07-31, a few ran to 2025-12-01).
    assumed_expiry: date | None = None

    def needs_entered_expiry(self, on: date) -> bool:
        """Past the assumed printed expiry: accepted on ``on`` only when staff entered a printed
        有効期限 on or after it (the engine's check; the renderer says so)."""
        return self.assumed_expiry is not None and on > self.assumed_expiry


@dataclass(frozen=True, slots=True)
class SupplementRule:
    """An extra requirement beside the insurance check (公費 受給者証 or PMH online)."""

    id: str
    label: str
    documents: tuple[DocumentKind, ...]
    window: Window
    rules: tuple[str, ...]
    sources: tuple[str, ...]
    conditions: tuple[Condition, ...]
    when: tuple[When, ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class ReasonGuide:
    """What staff do first for one failure reason (before choosing a document option)."""

    reason: FailureReason
    window: Window
    steps: tuple[str, ...]
    rules: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FlaggedNote:
    """A guess or open question (G-xx) shown beside an answer; the engine never acts on it."""

    id: str
    text: str
    window: Window
    options: tuple[str, ...]
    reasons: tuple[FailureReason, ...]
    rules: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CertificateGrace:
    """DOC-11: the card works (資格 only) to the end of the expiry month plus ``months``."""

    months: int
    window: Window
    rules: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UnknownClaim:
    """FAIL-04 不詳請求 numbers."""

    insurer_number: str
    insurer_number_alt: str
    alt_from: date
    symbol: str
    number: str
    number_late_elderly: str
    remark_prefix: str
    window: Window
    rules: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SelfDeclarationBurden:
    """FAIL-03 burden hint for the 申立書 path (the 申立書 states the share; this pre-fills it)."""

    default_percent: int
    preschool_percent: int
    preschool_until_age: int
    elderly_from_age: int
    rules: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PmhGroup:
    """Payers that joined PMH together, with the types they run (empty = not stated)."""

    id: str
    level: str  # "prefecture" or "municipality"
    members: tuple[tuple[str, str], ...]  # (prefecture, municipality or "")
    types: frozenset[SubsidyType]
    window: Window
    precision: str  # "day", "month" or "fiscal_year": how exact the start date is
    payer_numbers: tuple[str, ...]
    rules: tuple[str, ...]
    sources: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class PmhTypeCount:
    """How many payers ran a type (the seeds give counts, not per-payer types)."""

    level: str
    subsidy_type: SubsidyType
    count: int
    group: str
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SeedInconsistency:
    """A place where two seeds (or a seed and arithmetic) disagree, and what the data uses."""

    id: str
    kind: str  # "name", "figure", "count"
    where: str
    found: str
    expected: str
    resolution: str
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PrintedFigure:
    value_yen: int
    where: str
    source: str


@dataclass(frozen=True, slots=True)
class CoveredCost:
    """One cost a subsidy pays for (補助対象), as the notice words it."""

    item: str
    where: str
    source: str


@dataclass(frozen=True, slots=True)
class FacilityClassDefinition:
    """What a facility class means in the subsidy notices (e.g. 大型チェーン薬局)."""

    kind: FacilityKind
    definition: str
    #: Prescriptions a month received by the whole group, from which the class applies.
    min_group_prescriptions_per_month: int | None
    where: str
    rules: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SubsidyTier:
    """One facility class (× variant) of a subsidy program."""

    facilities: frozenset[FacilityKind]
    variant: str
    rate: Fraction
    cost_cap_yen: int | None
    subsidy_cap_yen: int | None  # stated cap when no cost cap is printed (e.g. 限定型 3.1万)
    printed: tuple[PrintedFigure, ...]
    cost_parts: tuple[tuple[str, int], ...]
    confidence: Confidence


@dataclass(frozen=True, slots=True)
class SubsidyProgram:
    id: str
    name: str
    window: Window  # application period (end = deadline)
    evidence: tuple[str, ...]
    apply_via: str
    for_facilities: bool
    tiers: tuple[SubsidyTier, ...]
    rules: tuple[str, ...]
    sources: tuple[str, ...]
    note: str = ""
    #: OQS modes a facility must have to be eligible; empty = any (限定型: not the mandated).
    modes: frozenset[OqsMode] = frozenset()
    covers: tuple[CoveredCost, ...] = ()

    def open_to(self, tier: SubsidyTier, kind: FacilityKind, mode: OqsMode | None) -> bool:
        """The tier's class and the program's OQS modes (mode None = not entered: unknown)."""
        return kind in tier.facilities and (not self.modes or mode in self.modes)


@dataclass(frozen=True, slots=True)
class UsageThreshold:
    """マイナ保険証利用率 needed for one tier of a fee addition in one billing period."""

    id: str
    addition: str
    scope: str  # "medical" (hospital/clinic: 医科・歯科) or "pharmacy" (調剤)
    tier: str
    window: Window  # billing months the threshold applies to
    min_percent: Fraction | None  # None: this addition has no usage-rate requirement
    pediatric_percent: Fraction | None  # 小児科特例
    reference_months: tuple[int, ...]  # rate months counted back from the billing month
    basis: str
    confidence: Confidence
    rules: tuple[str, ...]
    sources: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class RuleBook:
    """All rule data, validated and cross-referenced."""

    coverage_from: date
    title: str
    sources: dict[str, Source]
    research: dict[str, ResearchRule]
    options: tuple[OptionRule, ...]
    supplements: tuple[SupplementRule, ...]
    reasons: tuple[ReasonGuide, ...]
    notes: tuple[FlaggedNote, ...]
    grace: tuple[CertificateGrace, ...]
    unknown_claims: tuple[UnknownClaim, ...]
    burden: SelfDeclarationBurden
    prefectures: dict[str, str]  # JIS X 0401 code -> name
    pmh_groups: tuple[PmhGroup, ...]
    pmh_counts: tuple[PmhTypeCount, ...]
    inconsistencies: tuple[SeedInconsistency, ...]
    programs: tuple[SubsidyProgram, ...]
    usage: tuple[UsageThreshold, ...]
    facility_classes: dict[FacilityKind, FacilityClassDefinition] = field(default_factory=dict)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)

    def option(self, option_id: str) -> OptionRule:
        for o in self.options:
            if o.id == option_id:
                return o
        raise KeyError(option_id)

    def label(self, value: StrEnum | str, group: str | None = None) -> str:
        """Japanese label of an enum member (labels.toml), falling back to its value."""
        if isinstance(value, StrEnum):
            group = group or type(value).__name__
        return self.labels.get(group or "", {}).get(str(value), str(value))

    def cite(self, source_ids: Iterable[str]) -> list[str]:
        return [self.sources[s].cite() for s in source_ids if s in self.sources]
