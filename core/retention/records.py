"""What the cancellation's use cases share (the flow, the custom plan, the way back): the
subscription they act on, the dates computed from its billing period, and the flow's steps and
the facts copied onto the flow for the insights."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.platform.config import Settings, load_settings
from core.platform.errors import PortalError
from core.platform.models import (
    CancellationFlow,
    FlowStep,
    RetentionOffer,
    Subscription,
    SurveyAnswer,
)
from core.rules import billing
from core.rules.vocabulary import SURVEY_ANSWERED, SURVEY_SKIPPED, offer_state, stage_bit


class FlowClosed(PortalError):
    key = "cancel.error.flow_closed"


class NotCancellable(PortalError):
    key = "cancel.error.not_cancellable"


@dataclass(frozen=True)
class Dates:
    """What happens when: all computed from the billing period, never typed."""

    effective_on: dt.date  # the cycle ends; access ends with it
    data_deleted_on: dt.date  # personal and billing data are purged
    reactivate_until: dt.date  # the last day support can reactivate with data

    @property
    def resume_until(self) -> dt.date:
        """The last day the customer can resume a scheduled cancellation themselves."""
        return billing.last_resume_day(self.effective_on)


def dates_for(period_end: dt.date, settings: Settings | None = None) -> Dates:
    settings = settings or load_settings()
    return Dates(
        effective_on=period_end,
        data_deleted_on=billing.data_deletion_date(period_end, settings.reactivation_months),
        reactivate_until=billing.last_reactivation_day(period_end, settings.reactivation_months),
    )


def _subscription(s: Session, account_id: int, *, lock: bool = False) -> Subscription:
    query = select(Subscription).where(Subscription.account_id == account_id)
    if lock:
        query = query.with_for_update()
    sub = s.scalar(query)
    if sub is None:
        raise NotCancellable()
    return sub


def _step(s: Session, flow: CancellationFlow, step: str, at: dt.datetime, **detail: Any) -> None:
    """Record a step of the flow, and the funnel stage it reaches on the flow itself."""
    s.add(FlowStep(flow_id=flow.id, step=step, at=at, detail=json.dumps(detail) if detail else ""))
    flow.stages = (flow.stages or 0) | stage_bit(step)


def _survey_facts(flow: CancellationFlow, answer: SurveyAnswer) -> None:
    """Copy what the insights count of the answer onto its flow."""
    flow.survey = SURVEY_SKIPPED if answer.skipped else SURVEY_ANSWERED
    flow.reason = answer.reason
    flow.satisfaction = answer.satisfaction


def _offer_facts(flow: CancellationFlow, offer: RetentionOffer) -> None:
    """Copy what the insights count of the offer onto its flow."""
    flow.offer = offer_state(offer.opened_at, offer.requested_at)
    flow.offer_price_cents = offer.monthly_price_cents if offer.requested_at else None
