"""The Risks application on the real stores: the register's lifecycle, refusals, ids, replay."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from application.base import SNAPSHOT_INTERVAL
from application.context import Actor
from application.errors import AggregateNotFound, IdempotencyKeyReused, VersionMismatch
from application.risks import ActionDraft, Risks
from application.services import Services
from application.store import StoreConfig
from domain.clock import DateInFuture
from domain.errors import DomainError
from domain.risk import (
    AcceptanceAuthorityMissing,
    AcceptanceBeyondLimits,
    AcceptanceExpiryNotInFuture,
    AcceptanceExpiryRequired,
    AcceptanceJustificationRequired,
    AcceptanceLapsed,
    CloseBeforeAssessment,
    CounterpartyRequired,
    KriDirection,
    KriReadingOutOfOrder,
    KriStatus,
    KriThresholdsOutOfOrder,
    NotKriReporter,
    NotRiskOwner,
    OpenActionsRemain,
    ProposerCannotDecideAcceptance,
    ResidualAboveInherent,
    ResidualReductionUnearned,
    Risk,
    RiskCategory,
    RiskLevel,
    RiskNotClosed,
    RiskStatus,
    ScoreOutOfRange,
    TreatmentStrategy,
    UnknownKri,
)
from domain.vocabulary import Department, Role
from tests.application.support import as_, replayed, state_of
from tests.support.clock import T0, Clock
from tests.support.refusals import stored_event_count

OWNER = Actor("tech.tang", frozenset({Role.TECHNOLOGY}))
IDENTIFIER = Actor("ops.ou", frozenset({Role.OPERATIONS}))
MANAGER = Actor("mgmt.meng", frozenset({Role.MANAGEMENT}))
BOARD = Actor("board.bai", frozenset({Role.BOARD}))
DEV = Actor("dev.du", frozenset({Role.TECHNOLOGY}))


@pytest.fixture
def risks(services: Services, clock: Clock) -> Risks:
    return services.risks


def identify(risks: Risks, **overrides: Any) -> UUID:
    fields: dict[str, Any] = {
        "category": RiskCategory.TECHNICAL,
        "title": "Payment gateway outage",
        "description": "The single payment provider fails during a sale.",
        "owner": OWNER.principal,
        "department": Department.TECHNOLOGY,
        "cause": "one provider",
        "event": "checkout down",
        "consequence": "lost orders",
        "ctx": as_(IDENTIFIER),
    }
    fields.update(overrides)
    return risks.identify_risk(**fields).id


def assessed(risks: Risks, likelihood: int = 4, impact: int = 4) -> UUID:
    risk_id = identify(risks)
    risks.assess_risk(risk_id, likelihood=likelihood, impact=impact, ctx=as_(OWNER))
    return risk_id


def planned(risks: Risks, *titles: str) -> tuple[UUID, list[UUID]]:
    risk_id = assessed(risks)
    result = risks.plan_treatment(
        risk_id,
        strategy=TreatmentStrategy.REDUCE,
        actions=[ActionDraft(t, DEV.principal, date(2025, 6, 30)) for t in titles or ("fix",)],
        ctx=as_(OWNER),
    )
    return risk_id, [UUID(a) for a in result.extra["action_ids"]]


def with_kri(risks: Risks) -> tuple[UUID, UUID]:
    risk_id = assessed(risks)
    result = risks.define_kri(
        risk_id,
        name="checkout errors",
        metric="failed checkouts per 1000",
        direction=KriDirection.ABOVE,
        amber=Decimal("5"),
        red=Decimal("10.5"),
        unit="‰",
        reporter=DEV.principal,
        ctx=as_(OWNER),
    )
    return risk_id, UUID(result.extra["kri_id"])


def test_identification_records_who_identified_and_the_owner(risks: Risks) -> None:
    result = risks.identify_risk(
        category=RiskCategory.LEGAL,
        title="PIPL consent gaps",
        description="Marketing consent not recorded for imported leads.",
        owner="mkt.ma",
        ctx=as_(IDENTIFIER, request_id="req-identify"),
    )
    risk = risks.get_risk(result.id)
    assert (result.created, result.version) == (True, 1)
    assert result.position.startswith("risks:")
    assert risk.status == RiskStatus.IDENTIFIED
    assert risk.identified_by == "ops.ou" and risk.owner == "mkt.ma"
    assert risk.identified_at == T0 and risk.department is None
    (identified,) = risks.history(result.id, Risk)
    assert identified.type == "Identified"
    assert identified.metadata["principal"] == "ops.ou"
    assert identified.metadata["command"] == "identify_risk"
    assert identified.payload["category"] == RiskCategory.LEGAL


def test_lifecycle_from_identification_to_early_warning_and_closing(
    store_config: StoreConfig, risks: Risks, clock: Clock
) -> None:
    risk_id, (first, second) = planned(risks, "second provider", "failover drill")
    clock.advance(days=1)
    risks.start_risk_action(risk_id, first, ctx=as_(DEV))
    assert risks.get_risk(risk_id).status == RiskStatus.TREATING
    clock.advance(days=10)
    risks.complete_risk_action(risk_id, first, note="contract signed", ctx=as_(DEV))
    risks.complete_risk_action(
        risk_id, second, completed_on=(T0 + timedelta(days=5)).date(), ctx=as_(OWNER)
    )
    risks.assess_residual_risk(risk_id, likelihood=2, impact=4, ctx=as_(OWNER))
    kri = UUID(
        risks.define_kri(
            risk_id,
            name="errors",
            metric="failed checkouts per 1000",
            direction=KriDirection.ABOVE,
            amber=Decimal("5"),
            red=Decimal("10"),
            reporter=DEV.principal,
            ctx=as_(OWNER),
        ).extra["kri_id"]
    )
    risks.record_kri_reading(risk_id, kri_id=kri, value=Decimal("3.2"), ctx=as_(DEV))
    clock.advance(days=1)
    risks.record_kri_reading(risk_id, kri_id=kri, value=Decimal("12.75"), ctx=as_(DEV))
    risks.record_risk_review(risk_id, note="warning under investigation", ctx=as_(MANAGER))
    risks.close_risk(risk_id, reason="second provider live", ctx=as_(OWNER))

    risk = risks.get_risk(risk_id)
    assert risk.status == RiskStatus.CLOSED
    assert risk.inherent == {"likelihood": 4, "impact": 4, "score": 16}
    assert risk.current_level == RiskLevel.MEDIUM
    assert risk.kris[str(kri)]["status"] == KriStatus.RED
    assert risk.open_early_warnings[0]["value"] == Decimal("12.75")
    assert risk.actions[str(second)]["completed_on"] == date(2025, 3, 8)
    assert risk.last_reviewed_on == (T0 + timedelta(days=12)).date()
    assert risk.next_review_due == date(2025, 9, 15)  # medium: half-yearly
    types = [e.type for e in risks.history(risk_id, Risk)]
    assert types == [
        "Identified",
        "Assessed",
        "TreatmentPlanned",
        "ActionStarted",
        "ActionCompleted",
        "ActionCompleted",
        "ResidualAssessed",
        "KriDefined",
        "KriReadingRecorded",
        "KriReadingRecorded",
        "EarlyWarningRaised",
        "Reviewed",
        "Closed",
    ]
    assert state_of(risk) == state_of(replayed(risks, risk_id))
    reopened = Services.open(store_config)
    try:
        assert state_of(reopened.risks.get_risk(risk_id)) == state_of(risk)
    finally:
        reopened.close()


def test_acceptance_by_the_board_with_expiry(risks: Risks) -> None:
    risk_id = assessed(risks, 4, 4)
    risks.plan_treatment(risk_id, strategy=TreatmentStrategy.ACCEPT, ctx=as_(OWNER))
    assert risks.get_risk(risk_id).status == RiskStatus.ACCEPTANCE_PENDING
    risks.decide_risk_acceptance(
        risk_id,
        approved=True,
        expires_on=date(2025, 12, 31),
        justification="exit from the product line within the year",
        ctx=as_(BOARD),
    )
    risk = risks.get_risk(risk_id)
    assert risk.status == RiskStatus.ACCEPTED
    assert risk.acceptance is not None
    assert risk.acceptance["expires_on"] == date(2025, 12, 31)
    assert risk.acceptance["level"] == RiskLevel.HIGH
    approved = risks.history(risk_id, Risk)[-1]
    assert approved.type == "AcceptanceApproved"
    assert approved.payload["justification"] == "exit from the product line within the year"


def test_an_acceptance_lapses_at_its_expiry_until_the_risk_is_reassessed(
    risks: Risks, clock: Clock
) -> None:
    risk_id = assessed(risks, 1, 2)
    risks.plan_treatment(risk_id, strategy=TreatmentStrategy.ACCEPT, ctx=as_(OWNER))
    expiry = (T0 + timedelta(days=30)).date()
    risks.decide_risk_acceptance(risk_id, approved=True, expires_on=expiry, ctx=as_(MANAGER))
    clock.advance(days=30)
    before = stored_event_count(risks)
    with pytest.raises(AcceptanceLapsed):
        risks.close_risk(risk_id, reason="stable", ctx=as_(OWNER))
    assert stored_event_count(risks) == before
    risks.assess_residual_risk(risk_id, likelihood=1, impact=2, ctx=as_(OWNER))
    types = [e.type for e in risks.history(risk_id, Risk)]
    assert types[-2:] == ["AcceptanceLapsed", "ResidualAssessed"]
    assert replayed(risks, risk_id).status == RiskStatus.ASSESSED  # type: ignore[attr-defined]
    risks.close_risk(risk_id, reason="reassessed: gone", ctx=as_(OWNER))
    assert risks.get_risk(risk_id).status == RiskStatus.CLOSED


def refusals() -> list[tuple[str, type[DomainError], Callable[[Risks], Any]]]:
    """(name, error, act) for every rule, each on a fresh risk in the right state."""

    def assess_out_of_range(risks: Risks) -> Any:
        risk_id = identify(risks)
        return lambda: risks.assess_risk(risk_id, likelihood=6, impact=1, ctx=as_(OWNER))

    def residual_above(risks: Risks) -> Any:
        risk_id, _ = planned(risks)
        return lambda: risks.assess_residual_risk(risk_id, likelihood=5, impact=5, ctx=as_(OWNER))

    def residual_unearned(risks: Risks) -> Any:
        risk_id, _ = planned(risks)
        return lambda: risks.assess_residual_risk(risk_id, likelihood=1, impact=1, ctx=as_(OWNER))

    def pending(risks: Risks) -> UUID:
        risk_id = assessed(risks, 4, 4)
        risks.plan_treatment(risk_id, strategy=TreatmentStrategy.ACCEPT, ctx=as_(OWNER))
        return risk_id

    def by_proposer(risks: Risks) -> Any:
        risk_id = assessed(risks, 2, 3)
        risks.plan_treatment(risk_id, strategy=TreatmentStrategy.ACCEPT, ctx=as_(MANAGER))
        expiry = date(2025, 12, 31)
        return lambda: risks.decide_risk_acceptance(
            risk_id, approved=True, expires_on=expiry, ctx=as_(MANAGER)
        )

    def without_authority(risks: Risks) -> Any:
        risk_id = pending(risks)
        expiry = date(2025, 12, 31)
        return lambda: risks.decide_risk_acceptance(
            risk_id, approved=True, expires_on=expiry, ctx=as_(MANAGER)
        )

    def without_expiry(risks: Risks) -> Any:
        risk_id = pending(risks)
        return lambda: risks.decide_risk_acceptance(risk_id, approved=True, ctx=as_(BOARD))

    def expiry_past(risks: Risks) -> Any:
        risk_id = pending(risks)
        expiry = T0.date()
        return lambda: risks.decide_risk_acceptance(
            risk_id, approved=True, expires_on=expiry, ctx=as_(BOARD)
        )

    def thresholds(risks: Risks) -> Any:
        risk_id = assessed(risks)
        return lambda: risks.define_kri(
            risk_id,
            name="k",
            metric="m",
            direction=KriDirection.BELOW,
            amber=Decimal("1"),
            red=Decimal("2"),
            ctx=as_(OWNER),
        )

    def close_open_actions(risks: Risks) -> Any:
        risk_id, _ = planned(risks)
        return lambda: risks.close_risk(risk_id, reason="done", ctx=as_(OWNER))

    def transfer_alone(risks: Risks) -> Any:
        risk_id = assessed(risks)
        draft = ActionDraft("sign", "x", date(2025, 5, 1))
        return lambda: risks.plan_treatment(
            risk_id, strategy=TreatmentStrategy.TRANSFER, actions=[draft], ctx=as_(OWNER)
        )

    def not_owner(risks: Risks) -> Any:
        risk_id = identify(risks)
        return lambda: risks.assess_risk(risk_id, likelihood=1, impact=1, ctx=as_(DEV))

    def unknown_kri(risks: Risks) -> Any:
        risk_id, _ = with_kri(risks)
        kri = uuid4()
        return lambda: risks.record_kri_reading(
            risk_id, kri_id=kri, value=Decimal("1"), ctx=as_(OWNER)
        )

    def not_reporter(risks: Risks) -> Any:
        risk_id, kri = with_kri(risks)
        return lambda: risks.record_kri_reading(
            risk_id, kri_id=kri, value=Decimal("1"), ctx=as_(IDENTIFIER)
        )

    def beyond_limits(risks: Risks) -> Any:
        risk_id = assessed(risks, 2, 3)
        risks.plan_treatment(risk_id, strategy=TreatmentStrategy.ACCEPT, ctx=as_(OWNER))
        expiry = date(2025, 12, 31)
        return lambda: risks.decide_risk_acceptance(
            risk_id, approved=True, expires_on=expiry, justification="fine", ctx=as_(MANAGER)
        )

    def unjustified(risks: Risks) -> Any:
        risk_id = pending(risks)
        expiry = date(2025, 12, 31)
        return lambda: risks.decide_risk_acceptance(
            risk_id, approved=True, expires_on=expiry, ctx=as_(BOARD)
        )

    def close_unassessed(risks: Risks) -> Any:
        risk_id = identify(risks)
        return lambda: risks.close_risk(risk_id, reason="never mind", ctx=as_(OWNER))

    def future_reading(risks: Risks) -> Any:
        risk_id, kri = with_kri(risks)
        later = T0 + timedelta(hours=1)
        return lambda: risks.record_kri_reading(
            risk_id, kri_id=kri, value=Decimal("1"), observed_at=later, ctx=as_(DEV)
        )

    def reopen_open(risks: Risks) -> Any:
        risk_id = identify(risks)
        return lambda: risks.reopen_risk(risk_id, reason="x", ctx=as_(OWNER))

    return [
        ("score out of range", ScoreOutOfRange, assess_out_of_range),
        ("residual above inherent", ResidualAboveInherent, residual_above),
        ("residual lower without action", ResidualReductionUnearned, residual_unearned),
        ("acceptance by proposer", ProposerCannotDecideAcceptance, by_proposer),
        ("acceptance without authority", AcceptanceAuthorityMissing, without_authority),
        ("acceptance without expiry", AcceptanceExpiryRequired, without_expiry),
        ("acceptance expiring today", AcceptanceExpiryNotInFuture, expiry_past),
        ("thresholds out of order", KriThresholdsOutOfOrder, thresholds),
        ("close with open actions", OpenActionsRemain, close_open_actions),
        ("transfer without counterparty", CounterpartyRequired, transfer_alone),
        ("not the owner", NotRiskOwner, not_owner),
        ("unknown kri", UnknownKri, unknown_kri),
        ("reading by a stranger", NotKriReporter, not_reporter),
        ("acceptance beyond the limits", AcceptanceBeyondLimits, beyond_limits),
        ("acceptance without justification", AcceptanceJustificationRequired, unjustified),
        ("close never assessed", CloseBeforeAssessment, close_unassessed),
        ("reading in the future", DateInFuture, future_reading),
        ("reopen an open risk", RiskNotClosed, reopen_open),
    ]


@pytest.mark.parametrize(("name", "error", "setup"), refusals(), ids=[r[0] for r in refusals()])
def test_every_refusal_is_named_and_leaves_the_history_unchanged(
    risks: Risks, name: str, error: type[DomainError], setup: Callable[[Risks], Any]
) -> None:
    act = setup(risks)
    before = stored_event_count(risks)
    with pytest.raises(DomainError) as raised:
        act()
    assert type(raised.value) is error, raised.value
    assert stored_event_count(risks) == before


def test_unknown_action_is_not_found_and_writes_nothing(risks: Risks) -> None:
    risk_id, _ = planned(risks)
    before = stored_event_count(risks)
    with pytest.raises(AggregateNotFound):
        risks.complete_risk_action(risk_id, uuid4(), ctx=as_(OWNER))
    with pytest.raises(AggregateNotFound):
        risks.start_risk_action(risk_id, uuid4(), ctx=as_(OWNER))
    with pytest.raises(AggregateNotFound):
        risks.get_kri(risk_id, uuid4())
    with pytest.raises(AggregateNotFound):
        risks.get_risk(uuid4())
    assert stored_event_count(risks) == before


def test_kri_id_is_answered_again_for_a_repeated_idempotency_key(risks: Risks) -> None:
    risk_id = assessed(risks)

    def define(fingerprint: str = "fp-kri") -> Any:
        return risks.define_kri(
            risk_id,
            name="uptime",
            metric="monthly availability",
            direction=KriDirection.BELOW,
            amber=Decimal("99.9"),
            red=Decimal("99.5"),
            unit="%",
            ctx=as_(OWNER, key="kri-1", fingerprint=fingerprint),
        )

    first = define()
    before = stored_event_count(risks)
    again = define()
    assert (again.id, again.version, again.extra, again.created) == (
        first.id,
        first.version,
        first.extra,
        True,
    )
    assert stored_event_count(risks) == before
    with pytest.raises(IdempotencyKeyReused):
        define("another body")
    kri = risks.get_kri(risk_id, UUID(first.extra["kri_id"]))
    assert (kri["amber"], kri["red"]) == (Decimal("99.9"), Decimal("99.5"))
    assert kri["direction"] == KriDirection.BELOW


def test_if_match_guards_risk_commands(risks: Risks) -> None:
    risk_id = identify(risks)
    with pytest.raises(VersionMismatch):
        risks.assess_risk(risk_id, likelihood=2, impact=2, ctx=as_(OWNER, expected_version=2))
    risks.assess_risk(risk_id, likelihood=2, impact=2, ctx=as_(OWNER, expected_version=1))


def test_past_states_by_version_and_moment(risks: Risks, clock: Clock) -> None:
    risk_id = identify(risks)
    clock.advance(days=1)
    risks.assess_risk(risk_id, likelihood=5, impact=5, ctx=as_(OWNER))
    assert risks.get_risk(risk_id, version=1).status == RiskStatus.IDENTIFIED
    assert risks.get_risk(risk_id).current_level == RiskLevel.CRITICAL
    first_recorded = risks.history(risk_id, Risk)[0].timestamp
    assert risks.risk_as_of(risk_id, first_recorded).version == 1


def test_many_readings_snapshot_and_reload_to_the_same_state(risks: Risks, clock: Clock) -> None:
    risk_id, kri = with_kri(risks)
    for n in range(SNAPSHOT_INTERVAL + 5):
        clock.advance(hours=1)
        value = Decimal(n % 13)
        risks.record_kri_reading(risk_id, kri_id=kri, value=value, ctx=as_(DEV))
    risk = risks.get_risk(risk_id)
    assert risk.kris[str(kri)]["readings"] == SNAPSHOT_INTERVAL + 5
    assert len(risk.kris[str(kri)]["recent"]) == 12
    assert state_of(risk) == state_of(replayed(risks, risk_id))
    before = stored_event_count(risks)
    with pytest.raises(KriReadingOutOfOrder):
        risks.record_kri_reading(
            risk_id, kri_id=kri, value=Decimal(1), observed_at=T0, ctx=as_(DEV)
        )
    assert stored_event_count(risks) == before
