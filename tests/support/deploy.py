"""What the code really exposes, so deploy files can be checked against it."""

from __future__ import annotations

import importlib
import re
from functools import cache
from pathlib import Path

from prometheus_client import REGISTRY, generate_latest

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count")}
PROMQL_WORDS = {
    "sum",
    "by",
    "without",
    "rate",
    "irate",
    "increase",
    "delta",
    "deriv",
    "avg",
    "max",
    "min",
    "count",
    "and",
    "or",
    "unless",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "offset",
    "histogram_quantile",
    "clamp_min",
    "clamp_max",
    "abs",
    "bool",
    "topk",
    "bottomk",
    "le",
    "avg_over_time",
    "max_over_time",
    "min_over_time",
    "sum_over_time",
    "label_replace",
    "time",
    "vector",
    "scalar",
    "absent",
    "changes",
    "resets",
    "round",
    "floor",
    "ceil",
    "sort",
    "sort_desc",
    "quantile",
    "stddev",
    "count_values",
    "predict_linear",
    "timestamp",
    "up",
}


@cache
def exposed_metrics() -> frozenset[str]:
    """Every sample name the four services can expose (their modules register at import)."""
    for service in ("intake", "dispatch", "feedback", "search"):
        importlib.import_module(f"services.{service}.bootstrap")
    text = generate_latest(REGISTRY).decode()
    names: set[str] = set()
    for name, kind in re.findall(r"^# TYPE (\S+) (\S+)$", text, flags=re.M):
        names.add(name)
        names.update(name + suffix for suffix in SUFFIXES.get(kind, ()))
    return frozenset(n for n in names if n.startswith("hotline_"))


def metric_names_in(expr: str) -> set[str]:
    """The hotline_* series an expression reads (recording-rule outputs included)."""
    without_labels = re.sub(r"\{[^}]*\}", "", expr)
    without_strings = re.sub(r'"[^"]*"', "", without_labels)
    return set(re.findall(r"\bhotline[_:][a-z0-9_:]+", without_strings))
