"""Round trips through real folders with the simulator as a real subprocess, in both encodings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from policies.model import FailureReason, InsuranceKind, VerificationPath
from policies.records import InsuranceNumbers
from reader.terminal import (
    ConsentKind,
    FaceResultArrived,
    HomeVisitNumbers,
    IdentityCheck,
    IndividualQuery,
    OutcomeKind,
    QueryOutcome,
    RequestEncoding,
    ResultArrived,
    ResultSource,
    SimulatorChannelError,
    TerminalConfig,
    TerminalQueryKind,
    new_challenge,
    present_card_to_simulator,
)
from reader.terminal.codes import (
    InsuredCardClassification,
    LimitCategory,
    PersonalFamily,
    QualificationValidity,
    SpecificDiseaseCategory,
)
from tests.reader.terminal.conftest import ExchangeFactory, start_simulator
from tests.reader.terminal.support import INSTITUTION, Card, Recorder, Simulator, ThrowawayCa


@pytest.fixture(scope="module", params=[RequestEncoding.UTF8, RequestEncoding.SHIFT_JIS])
def sim(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, ca: ThrowawayCa
) -> Iterator[Simulator]:
    simulator = start_simulator(tmp_path_factory, ca, request.param)
    simulator.encoding = request.param  # type: ignore[attr-defined]
    yield simulator
    simulator.stop()


def numbers(
    insurer: str, number: str, born: date, symbol: str | None = None, branch: str | None = None
) -> InsuranceNumbers:
    return InsuranceNumbers(insurer, number, born, symbol=symbol, branch=branch)


def ask(
    factory: ExchangeFactory, sim: Simulator, nums: InsuranceNumbers, *, consent: bool = False
) -> QueryOutcome:
    exchange, _ = factory(sim.root, request_encoding=sim.encoding)  # type: ignore[attr-defined]
    return exchange.query(IndividualQuery(nums, limit_consent=consent))


def test_individual_query_ok_both_encodings(
    exchange_factory: ExchangeFactory, sim: Simulator
) -> None:
    exchange, recorder = exchange_factory(sim.root, request_encoding=sim.encoding)  # type: ignore[attr-defined]
    out = exchange.query(IndividualQuery(numbers("138057", "1001", date(1980, 4, 1), "架空", "0")))
    assert out.kind is OutcomeKind.OK and out.failure_reason() is None
    result = out.result
    assert result is not None and result.source is ResultSource.QUERY
    assert result.simulated and out.simulated
    assert result.encoding == sim.encoding.codec  # type: ignore[attr-defined]
    assert result.request_id == out.request_id
    assert result.unknown_elements == () and result.warnings == ()
    record = result.record
    assert record is not None
    assert record.name == "架空 太郎" and record.name_kana == "ｶｸｳ ﾀﾛｳ"
    assert record.insurer_number == "  138057" and record.insurance_kind is InsuranceKind.NATIONAL
    assert record.personal_family is PersonalFamily.INSURED
    assert record.birthdate == date(1980, 4, 1)
    assert result.search_info is not None and result.search_info.insured_card_symbol == "架空"
    # the answer was copied into the archive and removed from the shared res folder
    res_name = f"OQSsiquc01res_{out.request_id}.xml"
    assert not (exchange.config.res_dir / res_name).exists()
    archived = list(exchange.config.archive_dir.glob(f"res/*/{res_name}"))
    assert len(archived) == 1 and archived[0].read_bytes() == result.raw_xml
    kinds = [type(e).__name__ for e in recorder.events]
    assert kinds == ["RequestSent", "ResultArrived"]


@pytest.mark.parametrize(
    ("nums", "kind", "reason"),
    [
        (("39130059", "10000010", date(1940, 1, 10)), OutcomeKind.OK, None),
        (
            ("01130012", "20", date(1970, 3, 31), "11229999"),
            OutcomeKind.ELIGIBILITY_LOST,
            FailureReason.ELIGIBILITY_LOST,
        ),
        (
            ("06131015", "2121", date(1992, 11, 11), "5"),
            OutcomeKind.INVALID_WITH_NEW,
            FailureReason.ELIGIBILITY_LOST,
        ),
        (
            ("138057", "2323", date(1983, 8, 18)),
            OutcomeKind.MULTIPLE_MATCHES,
            FailureReason.MULTIPLE_MATCHES,
        ),
        (("138057", "9999", date(1980, 4, 1)), OutcomeKind.NO_RECORD, FailureReason.NO_RECORD),
        (
            ("12130019", "3456787", date(1966, 6, 27)),
            OutcomeKind.WELFARE_UNREGISTERED,
            FailureReason.NOT_DESIGNATED_WELFARE,
        ),
        (
            ("12130019", "2345676", date(1958, 2, 26)),
            OutcomeKind.WELFARE_NOT_FOR_THIS_INSTITUTION,
            FailureReason.NOT_DESIGNATED_WELFARE,
        ),
        (
            ("138057", "2424", date(1987, 4, 24)),
            OutcomeKind.TERMINAL_ERROR,
            FailureReason.TERMINAL_ERROR,
        ),
    ],
)
def test_each_outcome_type(
    exchange_factory: ExchangeFactory,
    sim: Simulator,
    nums: tuple,
    kind: OutcomeKind,
    reason: FailureReason | None,
) -> None:
    out = ask(exchange_factory, sim, numbers(*nums))
    assert out.kind is kind
    assert out.failure_reason() is reason
    assert out.simulated


def test_terminal_error_carries_code(exchange_factory: ExchangeFactory, sim: Simulator) -> None:
    out = ask(exchange_factory, sim, numbers("138057", "2424", date(1987, 4, 24)))
    assert out.kind is OutcomeKind.TERMINAL_ERROR
    assert out.error_code == "SIM-E9001" and out.error_message


def test_limit_certificate_only_with_consent(
    exchange_factory: ExchangeFactory, sim: Simulator
) -> None:
    nums = numbers("06131015", "1515", date(1965, 4, 4), "5", "00")
    without = ask(exchange_factory, sim, nums)
    with_consent = ask(exchange_factory, sim, nums, consent=True)
    assert without.result is not None and without.result.record is not None
    assert without.result.record.limit_certificate is None
    rec = with_consent.result.record if with_consent.result else None
    assert rec is not None and rec.limit_certificate is not None
    assert rec.limit_certificate.category is LimitCategory.A01
    assert rec.limit_certificate.category.label == "区分ア"


def test_elderly_preschool_specific_disease_and_late_elderly(
    exchange_factory: ExchangeFactory, sim: Simulator
) -> None:
    elderly = ask(exchange_factory, sim, numbers("01130012", "7", date(1955, 2, 2), "11220000"))
    rec = elderly.result.record  # type: ignore[union-attr]
    assert rec is not None and rec.elderly is not None and rec.elderly.ratio_wari == 2
    child = ask(
        exchange_factory, sim, numbers("01130012", "25", date(2022, 5, 5), "11223344", "02")
    )
    assert child.result.record.preschool.value == "1"  # type: ignore[union-attr]
    dialysis = ask(exchange_factory, sim, numbers("138057", "1818", date(1958, 12, 12)))
    diseases = dialysis.result.record.specific_diseases  # type: ignore[union-attr]
    assert (
        diseases[0].category is SpecificDiseaseCategory.DIALYSIS and diseases[0].self_pay == "10000"
    )
    for number, born, wari in (
        ("10000010", date(1940, 1, 10), 1),
        ("10000029", date(1946, 5, 20), 2),
        ("10000037", date(1944, 8, 8), 3),
    ):
        late = ask(exchange_factory, sim, numbers("39130059", number, born))
        r = late.result.record  # type: ignore[union-attr]
        assert (
            r is not None
            and r.insurance_kind is InsuranceKind.LATE_ELDERLY
            and r.ratio_wari == wari
        )


def test_welfare_ticket_for_this_institution(
    exchange_factory: ExchangeFactory, sim: Simulator
) -> None:
    out = ask(exchange_factory, sim, numbers("12130019", "1234566", date(1962, 6, 6)))
    assert out.kind is OutcomeKind.OK
    rec = out.result.record  # type: ignore[union-attr]
    assert rec is not None and rec.is_welfare
    assert rec.card_classification is InsuredCardClassification.WELFARE
    assert rec.insurance_kind is InsuranceKind.WELFARE
    ticket = rec.medical_tickets[0]
    assert ticket.designated_institution_code == INSTITUTION
    assert ticket.treatment_month == f"{date.today():%Y%m}"
    assert ticket.injury_names == ("高血圧症", "糖尿病")


def test_public_expense_only_in_pmh_municipality(
    exchange_factory: ExchangeFactory, sim: Simulator
) -> None:
    yokohama = ask(
        exchange_factory, sim, numbers("01130012", "28", date(2018, 4, 28), "11225555", "02")
    )
    kawasaki = ask(
        exchange_factory, sim, numbers("01130012", "29", date(2019, 8, 29), "11226666", "02")
    )
    inside = yokohama.result.record  # type: ignore[union-attr]
    outside = kawasaki.result.record  # type: ignore[union-attr]
    assert inside is not None and outside is not None
    assert [e.payer_number for e in inside.public_expenses] == ["88141007"]
    assert outside.public_expenses == ()
    assert kawasaki.kind is OutcomeKind.OK


def test_home_visit_requery_by_first_visit_numbers(
    exchange_factory: ExchangeFactory, sim: Simulator
) -> None:
    exchange, recorder = exchange_factory(sim.root, request_encoding=sim.encoding)  # type: ignore[attr-defined]
    first = exchange.query(IndividualQuery(numbers("39130067", "10000320", date(1936, 12, 1))))
    assert first.result is not None
    kept = HomeVisitNumbers.from_result(first.result, date(2026, 10, 1))
    requery = kept.requery()
    assert requery.kind is TerminalQueryKind.HOME_VISIT_REQUERY
    assert requery.verification_path is VerificationPath.HOME_VISIT_REQUERY
    pending = exchange.submit(requery)
    out = pending.result()
    assert out.kind is OutcomeKind.OK and out.result is not None
    assert out.result.record.name == "架空 在宅"  # type: ignore[union-attr]
    event = recorder.wait_for(
        lambda e: isinstance(e, ResultArrived) and e.request_id == pending.request_id
    )
    assert isinstance(event, ResultArrived) and event.query is requery


def test_simulator_only_channel_refuses_real_site(tmp_path, ca: ThrowawayCa) -> None:
    config = TerminalConfig(
        root=tmp_path, data_dir=tmp_path / "d", medical_institution_code=INSTITUTION
    )
    card = ca.card("demo-01")
    challenge = new_challenge()
    with pytest.raises(SimulatorChannelError):
        present_card_to_simulator(
            config,
            certificate_der=card.cert_der,
            challenge=challenge,
            signature=card.sign(challenge),
            identity_check=IdentityCheck.PIN,
        )
    assert not (tmp_path / "sim-present").exists()


def present(
    exchange,
    recorder: Recorder,
    card: Card,
    *,
    signature: bytes | None = None,
    identity=IdentityCheck.FACE,
    consent: bool = True,
) -> FaceResultArrived:
    challenge = new_challenge()
    pid = present_card_to_simulator(
        exchange.config,
        certificate_der=card.cert_der,
        challenge=challenge,
        signature=card.sign(challenge) if signature is None else signature,
        identity_check=identity,
        limit_consent=consent,
    )
    event = recorder.wait_for(
        lambda e: (
            isinstance(e, FaceResultArrived) and e.result.simulator_value("PresentationId") == pid
        )
    )
    assert isinstance(event, FaceResultArrived)
    return event


def test_card_presented_yields_face_result(
    exchange_factory: ExchangeFactory, sim: Simulator, ca: ThrowawayCa
) -> None:
    exchange, recorder = exchange_factory(sim.root)
    event = present(exchange, recorder, ca.card("demo-30"), identity=IdentityCheck.PIN)
    result = event.result
    assert event.outcome.kind is OutcomeKind.OK and result.simulated and event.outcome.simulated
    assert result.source is ResultSource.FACE
    assert result.simulator_value("IdentityCheck") == "pin"
    assert result.simulator_value("CardId") == "demo-30"
    assert result.header.reference_classification.value == "1"  # type: ignore[union-attr]
    rec = result.record
    assert rec is not None and rec.name == "試験 同意"
    consent = rec.consent(ConsentKind.PHARMACISTS)
    assert consent is not None and consent.flag.value == "1" and consent.available_until is not None  # type: ignore[union-attr]
    # face files are copied, never moved or deleted
    assert (exchange.config.face_dir / result.file_name).exists()  # type: ignore[operator]
    assert list(exchange.config.archive_dir.glob(f"face/*/{result.file_name}"))


def test_expired_card_beyond_grace_is_refused(
    exchange_factory: ExchangeFactory, sim: Simulator, ca: ThrowawayCa
) -> None:
    exchange, recorder = exchange_factory(sim.root)
    expired = ca.card("demo-40", not_after=datetime.now(UTC) - timedelta(days=200))
    event = present(exchange, recorder, expired)
    assert event.outcome.kind is OutcomeKind.CARD_EXPIRED
    assert event.outcome.failure_reason() is FailureReason.CARD_EXPIRED
    assert event.result.record is None and event.outcome.simulated


def test_expired_card_in_grace_gives_qualification_only(
    exchange_factory: ExchangeFactory, sim: Simulator, ca: ThrowawayCa
) -> None:
    exchange, recorder = exchange_factory(sim.root)
    recent = ca.card("demo-03", not_after=datetime.now(UTC) - timedelta(days=20))
    event = present(exchange, recorder, recent)
    assert event.outcome.kind is OutcomeKind.OK
    assert event.result.processing_result_code == "SIM-CERT-GRACE"
    rec = event.result.record
    assert rec is not None and rec.name == "見本 一郎" and rec.consents == ()


@pytest.mark.parametrize("problem", ["bad_signature", "untrusted", "unknown_card"])
def test_card_problems(
    exchange_factory: ExchangeFactory, sim: Simulator, ca: ThrowawayCa, tmp_path, problem: str
) -> None:
    exchange, recorder = exchange_factory(sim.root)
    if problem == "bad_signature":
        event = present(exchange, recorder, ca.card("demo-01"), signature=b"\x00" * 256)
        assert (
            event.outcome.kind is OutcomeKind.TERMINAL_ERROR
            and event.outcome.error_code == "SIM-BAD-SIGNATURE"
        )
    elif problem == "untrusted":
        other = ThrowawayCa.create(tmp_path)
        event = present(exchange, recorder, other.card("demo-01"))
        assert event.outcome.error_code == "SIM-CERT-UNTRUSTED"
    else:
        event = present(exchange, recorder, ca.card("demo-99"))
        assert event.outcome.kind is OutcomeKind.NO_RECORD
        assert event.result.qualification_validity is QualificationValidity.NO_RECORD


def test_visual_check_needs_no_signature(
    exchange_factory: ExchangeFactory, sim: Simulator, ca: ThrowawayCa
) -> None:
    exchange, recorder = exchange_factory(sim.root)
    card = ca.card("demo-36")
    event = present(exchange, recorder, card, signature=b"", identity=IdentityCheck.VISUAL)
    assert event.outcome.kind is OutcomeKind.OK
    assert event.result.simulator_value("IdentityCheck") == "visual"
    assert event.result.record is not None and event.result.record.preschool.value == "1"  # type: ignore[union-attr]
    with pytest.raises(SimulatorChannelError):  # the auth key only signs after the PIN
        present_card_to_simulator(
            exchange.config,
            certificate_der=card.cert_der,
            challenge=new_challenge(),
            identity_check=IdentityCheck.PIN,
        )
