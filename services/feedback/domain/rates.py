"""The three rates as feedback's domain uses them: the published definition in `proto.rates`
(search computes its dashboard with the same module and the same configured weights)."""

from proto.rates import RATE_NAMES, Rates, Tally, Weights, percent, rates_of, responded

__all__ = ["RATE_NAMES", "Rates", "Tally", "Weights", "percent", "rates_of", "responded"]
