"""Result XML → typed result, field by field, and the outcome classification."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import pytest

from policies.model import FailureReason, InsuranceKind, Sex
from reader.terminal import (
    ConsentKind,
    NotXmlMsgError,
    OutcomeKind,
    QualificationResult,
    ResultSource,
    classify,
    parse_result,
)
from reader.terminal.codes import (
    CharacterCode,
    ConsentFlag,
    InsuredCardClassification,
    LimitCategory,
    LimitCertificateClassification,
    PersonalFamily,
    PrescriptionIssueSelect,
    ProcessingResultStatus,
    QualificationValidity,
    ReferenceClassification,
    SegmentOfResult,
    SexCode,
    SpecificDiseaseCategory,
)
from reader.terminal.outcome import decode_err

FULL = """<?xml version="1.0" encoding="{decl}" standalone="no"?>
<XmlMsg>
  <MessageHeader>
    <ProcessExecutionTime>20261123093015</ProcessExecutionTime>
    <QualificationConfirmationDate>20261123</QualificationConfirmationDate>
    <MedicalInstitutionCode>1312345678</MedicalInstitutionCode>
    <ArbitraryFileIdentifier>20261123093000123456</ArbitraryFileIdentifier>
    <ReferenceClassification>1</ReferenceClassification>
    <SegmentOfResult>1</SegmentOfResult>
    <CharacterCodeIdentifier>{cci}</CharacterCodeIdentifier>
    <FutureHeaderThing>x</FutureHeaderThing>
  </MessageHeader>
  <MessageBody>
    <PrescriptionIssueSelect>1</PrescriptionIssueSelect>
    <ProcessingResultStatus>1</ProcessingResultStatus>
    <ProcessingResultCode>W0001</ProcessingResultCode>
    <ProcessingResultMessage>カードの有効期限が近づいています</ProcessingResultMessage>
    <QualificationValidity>1</QualificationValidity>
    <ResultList>
      <ResultOfQualificationConfirmation>
        <InsuredCardClassification>01</InsuredCardClassification>
        <InsurerNumber>  138057</InsurerNumber>
        <InsuredCardSymbol>架空</InsuredCardSymbol>
        <InsuredIdentificationNumber>1001</InsuredIdentificationNumber>
        <InsuredBranchNumber>00</InsuredBranchNumber>
        <PersonalFamilyClassification>1</PersonalFamilyClassification>
        <InsuredName>架空 太郎</InsuredName>
        <Name>架空 太郎</Name>
        <NameOfOther>架空 太朗</NameOfOther>
        <NameKana>ｶｸｳ ﾀﾛｳ</NameKana>
        <NameOfOtherKana>ｶｸｳ ﾀﾛｳ</NameOfOtherKana>
        <Sex1>1</Sex1>
        <Sex2>3</Sex2>
        <Birthdate>19800401</Birthdate>
        <Address>東京都架空区見本町1-1-1　髙橋ビル</Address>
        <PostNumber>100-0001</PostNumber>
        <QualificationDate>20200401</QualificationDate>
        <InsuredCertificateIssuanceDate>20200401</InsuredCertificateIssuanceDate>
        <InsuredCardValidDate>20200401</InsuredCardValidDate>
        <InsuredCardExpirationDate>20300331</InsuredCardExpirationDate>
        <InsuredPartialContributionRatio>030</InsuredPartialContributionRatio>
        <PreschoolClassification>2</PreschoolClassification>
        <InsurerName>架空区国民健康保険</InsurerName>
        <ElderlyRecipientCertificateInfo>
          <ElderlyRecipientCertificateDate>20250720</ElderlyRecipientCertificateDate>
          <ElderlyRecipientValidStartDate>20250801</ElderlyRecipientValidStartDate>
          <ElderlyRecipientValidEndDate>20270731</ElderlyRecipientValidEndDate>
          <ElderlyRecipientContributionRatio>20</ElderlyRecipientContributionRatio>
        </ElderlyRecipientCertificateInfo>
        <LimitApplicationCertificateRelatedConsFlg>1</LimitApplicationCertificateRelatedConsFlg>
        <LimitApplicationCertificateRelatedConsTime>20261123093010</LimitApplicationCertificateRelatedConsTime>
        <LimitApplicationCertificateRelatedInfo>
          <LimitApplicationCertificateClassification>02</LimitApplicationCertificateClassification>
          <LimitApplicationCertificateClassificationFlag>A06</LimitApplicationCertificateClassificationFlag>
          <LimitApplicationCertificateDate>20260401</LimitApplicationCertificateDate>
          <LimitApplicationCertificateValidStartDate>20260401</LimitApplicationCertificateValidStartDate>
          <LimitApplicationCertificateValidEndDate>20270331</LimitApplicationCertificateValidEndDate>
          <LimitApplicationCertificateLongTermDate>20261001</LimitApplicationCertificateLongTermDate>
        </LimitApplicationCertificateRelatedInfo>
        <SpecificDiseasesCertificateRelatedConsFlg>2</SpecificDiseasesCertificateRelatedConsFlg>
        <SpecificDiseasesCertificateRelatedConsTime>20261123093011</SpecificDiseasesCertificateRelatedConsTime>
        <SpecificDiseasesCertificateList>
          <SpecificDiseasesCertificateInfo>
            <SpecificDiseasesDiseaseCategory>3</SpecificDiseasesDiseaseCategory>
            <SpecificDiseasesCertificateDate>20200101</SpecificDiseasesCertificateDate>
            <SpecificDiseasesValidStartDate>20200101</SpecificDiseasesValidStartDate>
            <SpecificDiseasesSelfPay>10000</SpecificDiseasesSelfPay>
          </SpecificDiseasesCertificateInfo>
          <SpecificDiseasesCertificateInfo>
            <SpecificDiseasesDiseaseCategory>7</SpecificDiseasesDiseaseCategory>
          </SpecificDiseasesCertificateInfo>
        </SpecificDiseasesCertificateList>
        <SpecificHealthCheckupsInfoConsFlg>1</SpecificHealthCheckupsInfoConsFlg>
        <SpecificHealthCheckupsInfoConsTime>20261123093012</SpecificHealthCheckupsInfoConsTime>
        <SpecificHealthCheckupsInfoAvailableTime>20261123235959</SpecificHealthCheckupsInfoAvailableTime>
        <PharmaceuticalInfoConsFlg>1</PharmaceuticalInfoConsFlg>
        <PharmaceuticalInfoAcquisitionTime>20261124235959</PharmaceuticalInfoAcquisitionTime>
        <DiagnosisInfoConsFlg>0</DiagnosisInfoConsFlg>
        <DiagnosisInfoConsTim>20261123093013</DiagnosisInfoConsTim>
        <OperationInfoConsFlg>1</OperationInfoConsFlg>
        <AllergyInfoConsFlg>1</AllergyInfoConsFlg>
        <ReferenceNumber>R000123</ReferenceNumber>
        <SomethingNewer><Nested>1</Nested></SomethingNewer>
      </ResultOfQualificationConfirmation>
    </ResultList>
    <QualificationConfirmSearchInfo>
      <InsurerNumber>  138057</InsurerNumber>
      <InsuredIdentificationNumber>1001</InsuredIdentificationNumber>
      <Birthdate>19800401</Birthdate>
      <LimitApplicationCertificateRelatedConsFlg>1</LimitApplicationCertificateRelatedConsFlg>
    </QualificationConfirmSearchInfo>
  </MessageBody>
</XmlMsg>
"""


def full(encoding: str = "utf-8") -> bytes:
    decl, cci = ("UTF-8", "0") if encoding == "utf-8" else ("Shift_JIS", "1")
    return FULL.format(decl=decl, cci=cci).encode("utf-8" if encoding == "utf-8" else "cp932")


@pytest.mark.parametrize("encoding", ["utf-8", "cp932"])
def test_every_field_is_mapped(encoding: str) -> None:
    r = parse_result(full(encoding), source=ResultSource.FACE, file_name="f.xml")
    h = r.header
    assert h.process_execution_time == datetime(2026, 11, 23, 9, 30, 15)
    assert h.qualification_confirmation_date == date(2026, 11, 23)
    assert h.medical_institution_code == "1312345678"
    assert h.arbitrary_file_identifier == "20261123093000123456" == r.request_id
    assert h.reference_classification is ReferenceClassification.MY_NUMBER_CARD
    assert h.segment_of_result is SegmentOfResult.NORMAL
    assert h.character_code_identifier is (
        CharacterCode.UTF8 if encoding == "utf-8" else CharacterCode.SHIFT_JIS
    )
    assert r.encoding == encoding and r.warnings == ()
    assert r.prescription_issue_select is PrescriptionIssueSelect.ELECTRONIC
    assert r.processing_result_status is ProcessingResultStatus.NORMAL
    assert (r.processing_result_code, r.processing_result_message) == (
        "W0001",
        "カードの有効期限が近づいています",
    )
    assert r.qualification_validity is QualificationValidity.VALID
    rec = r.record
    assert rec is not None
    assert rec.card_classification is InsuredCardClassification.GENERAL
    assert rec.insurer_number == "  138057" and rec.insurer_number_digits == "138057"
    assert rec.insurance_kind is InsuranceKind.NATIONAL
    assert (
        rec.insured_card_symbol,
        rec.insured_identification_number,
        rec.insured_branch_number,
    ) == ("架空", "1001", "00")
    assert rec.personal_family is PersonalFamily.INSURED
    assert (rec.name, rec.name_of_other, rec.name_kana) == ("架空 太郎", "架空 太朗", "ｶｸｳ ﾀﾛｳ")
    assert rec.sex1 is SexCode.MALE and rec.sex2 is SexCode.UNSET
    assert rec.sex is Sex.MALE and rec.sex2.to_sex() is Sex.UNKNOWN  # the clinic's words
    assert dataclasses.replace(rec, sex1="9").sex is Sex.UNKNOWN  # a code this version lacks
    assert rec.birthdate == date(1980, 4, 1)
    assert rec.address == "東京都架空区見本町1-1-1　髙橋ビル"  # cp932 extension character survives
    assert rec.post_number == "100-0001"
    assert rec.qualification_date == date(2020, 4, 1) and rec.card_valid_until == date(2030, 3, 31)
    assert rec.ratio_wari == 3
    assert (
        rec.elderly is not None
        and rec.elderly.ratio_wari == 2
        and rec.elderly.valid_end == date(2027, 7, 31)
    )
    assert rec.limit_consent is ConsentFlag.AGREED
    assert rec.limit_consented_at == datetime(2026, 11, 23, 9, 30, 10)
    lim = rec.limit_certificate
    assert lim is not None and lim.classification is LimitCertificateClassification.LIMIT_AND_MEAL
    assert lim.category is LimitCategory.A06 and lim.long_term_date == date(2026, 10, 1)
    assert rec.specific_disease_consent is ConsentFlag.EXPIRED
    assert rec.specific_diseases[0].category is SpecificDiseaseCategory.HIV
    assert rec.specific_diseases[1].category == "7"  # unknown code kept raw
    assert rec.reference_number == "R000123"
    checkups = rec.consent(ConsentKind.SPECIFIC_HEALTH_CHECKUPS)
    assert checkups is not None and checkups.flag is ConsentFlag.AGREED
    assert checkups.available_until == datetime(2026, 11, 23, 23, 59, 59)
    pharma = rec.consent(
        ConsentKind.PHARMACISTS
    )  # drifted spelling PharmaceuticalInfo…Acquisition…
    assert pharma is not None and pharma.element_prefix == "PharmaceuticalInfo"
    assert pharma.available_until == datetime(2026, 11, 24, 23, 59, 59)
    diagnosis = rec.consent(ConsentKind.DIAGNOSIS)
    assert (
        diagnosis is not None
        and diagnosis.flag is ConsentFlag.NOT_AGREED
        and diagnosis.consented_at is not None
    )
    assert rec.consent(ConsentKind.ALLERGY) is not None
    assert r.search_info is not None and r.search_info.birthdate == date(1980, 4, 1)
    assert r.unmapped == (
        ("XmlMsg/MessageHeader/FutureHeaderThing", "x"),
        (
            "XmlMsg/MessageBody/ResultList/ResultOfQualificationConfirmation/SomethingNewer/Nested",
            "1",
        ),
    )
    assert r.raw_xml == full(encoding) and not r.simulated


WELFARE = """<?xml version="1.0" encoding="UTF-8"?>
<XmlMsg><MessageHeader><SegmentOfResult>1</SegmentOfResult></MessageHeader><MessageBody>
<ProcessingResultStatus>1</ProcessingResultStatus><QualificationValidity>1</QualificationValidity>
<ResultList><ResultOfQualificationConfirmation>
<InsuredCardClassification>A1</InsuredCardClassification><InsurerNumber>12130019</InsurerNumber>
<InsuredIdentificationNumber>1234566</InsuredIdentificationNumber><Name>模擬 扶助</Name>
<PublicExpenseResultList><MedicalTicketInfo>
<TicketType>1</TicketType><MedicalTicketValidDate>20261101</MedicalTicketValidDate>
<MedicalTicketExpirationDate>20261130</MedicalTicketExpirationDate><IssueNumber>0000251</IssueNumber>
<MedicalTreatmentMonth>202611</MedicalTreatmentMonth><DesignatedMedicalInstitutionCode>{code}</DesignatedMedicalInstitutionCode>
<DesignatedMedicalInstitutionFlag>1</DesignatedMedicalInstitutionFlag><DesignatedMedicalInstitutionName>架空医院</DesignatedMedicalInstitutionName>
<PrescriptionIssuerMedicalInstitutionCode>1311111111</PrescriptionIssuerMedicalInstitutionCode>
<InjuryName1>高血圧症</InjuryName1><InjuryName2>糖尿病</InjuryName2><InjuryName3>腰痛症</InjuryName3>
<MedicalTreatmentType>1</MedicalTreatmentType><SelfPayAmount>1200</SelfPayAmount>
<SingleOrCombinedUse>2</SingleOrCombinedUse><StatusOfSocialInsurance>1</StatusOfSocialInsurance>
<ConsistencyFlag>1</ConsistencyFlag><StatusOfInfecton>0</StatusOfInfecton>
<StatusOfElderlyMedicalCare>0</StatusOfElderlyMedicalCare><StatusOfPrefecturalExpenses>0</StatusOfPrefecturalExpenses>
<Remarks1>備考一</Remarks1><Remarks3>備考三</Remarks3>
</MedicalTicketInfo></PublicExpenseResultList>
</ResultOfQualificationConfirmation></ResultList></MessageBody></XmlMsg>"""


def test_welfare_block() -> None:
    r = parse_result(WELFARE.format(code="1312345678").encode(), source=ResultSource.QUERY)
    rec = r.record
    assert rec is not None and rec.is_welfare and rec.insurance_kind is InsuranceKind.WELFARE
    t = rec.medical_tickets[0]
    assert (t.valid_from, t.valid_until) == (date(2026, 11, 1), date(2026, 11, 30))
    assert t.injury_names == ("高血圧症", "糖尿病", "腰痛症") and t.remarks == ("備考一", "備考三")
    assert (
        t.status_of_infection == "0"
        and t.self_pay_amount == "1200"
        and t.prescription_issuer_code == "1311111111"
    )
    assert r.unmapped == ()
    today = date(2026, 11, 23)
    assert classify(r, today=today, institution_code="1312345678")[0] is OutcomeKind.OK
    assert (
        classify(r, today=today, institution_code="1399999999")[0]
        is OutcomeKind.WELFARE_NOT_FOR_THIS_INSTITUTION
    )


def body(inner: str, header: str = "<SegmentOfResult>1</SegmentOfResult>") -> bytes:
    return (
        f"<XmlMsg><MessageHeader>{header}</MessageHeader><MessageBody>{inner}</MessageBody></XmlMsg>"
    ).encode()


RECORD = (
    "<ResultList><ResultOfQualificationConfirmation><Name>x</Name>{extra}"
    "</ResultOfQualificationConfirmation></ResultList>"
)


@pytest.mark.parametrize(
    ("xml", "kind", "reason"),
    [
        (
            body("<QualificationValidity>1</QualificationValidity>" + RECORD.format(extra="")),
            OutcomeKind.OK,
            None,
        ),
        (
            body("<QualificationValidity>2</QualificationValidity>" + RECORD.format(extra="")),
            OutcomeKind.INVALID,
            FailureReason.ELIGIBILITY_LOST,
        ),
        (
            body(
                "<QualificationValidity>2</QualificationValidity>"
                + RECORD.format(extra="<DisqualificationDate>20250331</DisqualificationDate>")
            ),
            OutcomeKind.ELIGIBILITY_LOST,
            FailureReason.ELIGIBILITY_LOST,
        ),
        (
            body(
                "<QualificationValidity>1</QualificationValidity>"
                + RECORD.format(extra="<DisqualificationDate>20261101</DisqualificationDate>")
            ),
            OutcomeKind.ELIGIBILITY_LOST,
            FailureReason.ELIGIBILITY_LOST,
        ),
        (
            body(
                "<QualificationValidity>1</QualificationValidity>"
                + RECORD.format(extra="<DisqualificationDate>20261231</DisqualificationDate>")
            ),
            OutcomeKind.OK,
            None,
        ),
        (
            body(
                "<QualificationValidity>1</QualificationValidity>"
                + RECORD.format(
                    extra="<InsuredCardExpirationDate>20261122</InsuredCardExpirationDate>"
                )
            ),
            OutcomeKind.ELIGIBILITY_LOST,
            FailureReason.ELIGIBILITY_LOST,
        ),
        (
            body("<QualificationValidity>3</QualificationValidity>"),
            OutcomeKind.INVALID_WITH_NEW,
            FailureReason.ELIGIBILITY_LOST,
        ),
        (
            body("<QualificationValidity>4</QualificationValidity>"),
            OutcomeKind.NO_RECORD,
            FailureReason.NO_RECORD,
        ),
        (
            body("<QualificationValidity>5</QualificationValidity>"),
            OutcomeKind.MULTIPLE_MATCHES,
            FailureReason.MULTIPLE_MATCHES,
        ),
        (
            body("<QualificationValidity>6</QualificationValidity>"),
            OutcomeKind.WELFARE_UNREGISTERED,
            FailureReason.NOT_DESIGNATED_WELFARE,
        ),
        (
            body("", "<SegmentOfResult>9</SegmentOfResult><ErrorCode>E1</ErrorCode>"),
            OutcomeKind.TERMINAL_ERROR,
            FailureReason.TERMINAL_ERROR,
        ),
        (
            body("", "<SegmentOfResult>3</SegmentOfResult>"),
            OutcomeKind.TERMINAL_ERROR,
            FailureReason.TERMINAL_ERROR,
        ),
        (
            body("", "<SegmentOfResult>2</SegmentOfResult>"),
            OutcomeKind.TERMINAL_ERROR,
            FailureReason.TERMINAL_ERROR,
        ),
        (
            body(
                "<ProcessingResultStatus>2</ProcessingResultStatus><ProcessingResultCode>E2</ProcessingResultCode>"
            ),
            OutcomeKind.TERMINAL_ERROR,
            FailureReason.TERMINAL_ERROR,
        ),
        (
            body(
                "<ProcessingResultStatus>2</ProcessingResultStatus><ProcessingResultCode>SIM-CERT-EXPIRED</ProcessingResultCode>"
            ),
            OutcomeKind.CARD_EXPIRED,
            FailureReason.CARD_EXPIRED,
        ),
        (
            body("<QualificationValidity>1</QualificationValidity>"),
            OutcomeKind.TERMINAL_ERROR,
            FailureReason.TERMINAL_ERROR,
        ),
        (
            body("<QualificationValidity>8</QualificationValidity>" + RECORD.format(extra="")),
            OutcomeKind.TERMINAL_ERROR,
            FailureReason.TERMINAL_ERROR,
        ),
    ],
)
def test_classification(xml: bytes, kind: OutcomeKind, reason: FailureReason | None) -> None:
    result = parse_result(xml, source=ResultSource.QUERY)
    got, _, _ = classify(result, today=date(2026, 11, 23))
    assert got is kind
    from reader.terminal import outcome_for_result

    assert outcome_for_result(result, today=date(2026, 11, 23)).failure_reason() is reason


def test_bad_values_become_warnings_not_errors() -> None:
    r = parse_result(
        body(
            "<QualificationValidity>1</QualificationValidity>"
            + RECORD.format(
                extra="<Birthdate>19801341</Birthdate><QualificationDate>soon</QualificationDate>"
            ),
            "<ProcessExecutionTime>2026-99</ProcessExecutionTime>",
        ),
        source=ResultSource.QUERY,
    )
    assert r.record is not None and r.record.birthdate is None
    assert len(r.warnings) == 3 and any("Birthdate" in w for w in r.warnings)


def test_cci_disagreeing_with_the_bytes_still_parses() -> None:
    """The bytes decide (test_layouts checks the once-per-process log line)."""
    xml = full("utf-8").replace(b"<CharacterCodeIdentifier>0<", b"<CharacterCodeIdentifier>1<")
    r = parse_result(xml, source=ResultSource.QUERY)
    assert r.encoding == "utf-8" and r.record is not None and r.record.name == "架空 太郎"
    assert r.header.character_code_identifier is CharacterCode.SHIFT_JIS and r.warnings == ()


def test_namespaced_and_direct_records_are_tolerated() -> None:
    xml = (
        b'<x:XmlMsg xmlns:x="urn:x"><x:MessageHeader/><x:MessageBody>'
        b"<x:ResultOfQualificationConfirmation><x:Name>y</x:Name></x:ResultOfQualificationConfirmation>"
        b"</x:MessageBody></x:XmlMsg>"
    )
    r = parse_result(xml, source=ResultSource.QUERY)
    assert r.record is not None and r.record.name == "y"


def test_not_xmlmsg() -> None:
    with pytest.raises(NotXmlMsgError):
        parse_result(b"<Other/>", source=ResultSource.QUERY)
    with pytest.raises(NotXmlMsgError):
        parse_result(b"<XmlMsg><Foo/></XmlMsg>", source=ResultSource.QUERY)


def test_simulated_mark_is_surfaced_and_sticky() -> None:
    xml = body(
        "<QualificationValidity>4</QualificationValidity>",
        "<MadoguchiSimulated>1</MadoguchiSimulated>",
    )
    r = parse_result(xml, source=ResultSource.QUERY)
    assert r.simulated and r.unmapped == ()
    assert isinstance(dataclasses.replace(r, records=()), QualificationResult)
    assert dataclasses.replace(r, records=()).simulated


def test_err_files() -> None:
    sim = decode_err("a.err", b"MADOGUCHI-SIMULATED\nE1\n")
    assert sim.simulated and "E1" in sim.text
    sjis = decode_err("b.err", "エラー: 受付不可".encode("cp932"))
    assert not sjis.simulated and sjis.text == "エラー: 受付不可"
    junk = decode_err("c.err", b"\xff\xfe\x00garbage\x81")
    assert junk.raw == b"\xff\xfe\x00garbage\x81" and junk.text
