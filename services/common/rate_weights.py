"""The three rates' weights as configured (HOTLINE_FEEDBACK_*_WEIGHT): declared once here,
part of feedback's settings and read under the same names by every other service that
computes the rates (search's dashboard), so the dashboard and the monthly assessment never
weigh the same answers differently."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from proto.rates import Weights
from services.common.settings import HotlineSettings


class RateWeightSettings(HotlineSettings):
    model_config = SettingsConfigDict(env_prefix="HOTLINE_FEEDBACK_")

    basically_satisfied_weight: Decimal = Field(
        default=Decimal("0.8"), ge=0, le=1, description="How much a 基本满意 counts as a 满意"
    )
    response_weight: Decimal = Field(
        default=Decimal("0.1"), ge=0, le=1, description="The response rate's share of the score"
    )
    resolution_weight: Decimal = Field(
        default=Decimal("0.45"), ge=0, le=1, description="The resolution rate's share of the score"
    )
    satisfaction_weight: Decimal = Field(
        default=Decimal("0.45"), ge=0, le=1, description="The satisfaction rate's share"
    )

    @model_validator(mode="after")
    def _weights_are_valid(self) -> RateWeightSettings:
        self.weights()  # raises ValueError with the reason
        return self

    def weights(self) -> Weights:
        return Weights.of(
            basically_satisfied=self.basically_satisfied_weight,
            response=self.response_weight,
            resolution=self.resolution_weight,
            satisfaction=self.satisfaction_weight,
        )
