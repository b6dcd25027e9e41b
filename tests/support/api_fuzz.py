"""Every service's API, fuzzed from its own OpenAPI document by schemathesis, in-process:
once with each demo role's bearer token and once without, every check on (no server
errors; status codes, content types, headers and bodies as the document declares them;
valid data accepted and invalid data refused; security enforced; `Allow` on 405s).

The admin, whom every role guard lets through, gets the whole run: the document's
examples, the coverage phase (each parameter's boundaries and wrong types) and random
fuzzing. The other roles and the anonymous caller, whose requests mostly end at a 401 or
403, get a short fuzzing run each. Generation is deterministic, so a failure found here
is found again on the next run. (No stateful phase: the documents declare no links.)

Each service has its own test module (tests/integration/test_api_fuzz_<service>.py), so
the test workers share the four runs.

Schemathesis's engine runs here as its command line runs it: its pytest loader for schemas
from fixtures relies on a pytest internal that pytest 9 no longer has.

Some 422s answer data the document cannot rule out: an unknown category code, a month
not yet begun, a backwards date range, a token that is not ours. So valid-by-schema data
may also get 410 or 422 (`positive_data_acceptance`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from schemathesis.engine import events, from_schema
from schemathesis.python import asgi

from services.common.settings import Settings
from services.dispatch.bootstrap import build as build_dispatch
from services.feedback.bootstrap import build as build_feedback
from services.intake.bootstrap import build as build_intake
from services.search.bootstrap import build as build_search
from tests.support.harness import PASSWORDS

BUILDERS: dict[str, Callable[[Settings], FastAPI]] = {
    "intake": build_intake,
    "dispatch": build_dispatch,
    "feedback": build_feedback,
    "search": build_search,
}
# (user or None for no token, whole run?) — `admin` passes every role guard.
RUNS = (
    ("admin", True),
    ("agent1", False),
    ("dispatcher", False),
    ("chaoyang-jxs", False),
    ("leader", False),
    (None, False),
)
WHOLE_RUN_EXAMPLES = 6
SHORT_RUN_EXAMPLES = 2  # the other roles: enough to meet every guard
# Signing out revokes the token: the runs after it would only meet 401s.
SIGN_OUT = "/api/v1/auth/logout"


def fuzz(service: str, data_dir: Path) -> None:
    """Fuzzes `service` built on embedded defaults in `data_dir`; fails with every failed
    check, once per operation."""
    app = BUILDERS[service](Settings(data_dir=data_dir))
    try:
        failures = _failures(app)
    finally:
        asgi.shutdown_lifespans()  # schemathesis started the app's lifespan (its workers)
    assert not failures, "\n".join(failures)


def _failures(app: FastAPI) -> list[str]:
    tokens = _tokens(app)
    failures: list[str] = []
    for user, whole in RUNS:
        headers = {"Authorization": f"Bearer {tokens[user]}"} if user else {}
        schema = schemathesis.openapi.from_asgi(
            "/api/v1/openapi.json", app, config=_config(headers, whole)
        )
        if user:
            schema = schema.exclude(path=SIGN_OUT)
        failures += [f"{user or 'anonymous'}: {found}" for found in _run(schema)]
    return failures


def _tokens(app: FastAPI) -> dict[str, str]:
    client = TestClient(app)
    tokens = {}
    for user in (user for user, _ in RUNS if user):
        form = {"username": user, "password": PASSWORDS[user]}
        tokens[user] = client.post("/api/v1/auth/token", data=form).json()["access_token"]
    return tokens


def _config(headers: dict[str, str], whole: bool) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "headers": headers,
            "generation": {
                "max-examples": WHOLE_RUN_EXAMPLES if whole else SHORT_RUN_EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
            "phases": {
                "examples": {"enabled": whole},
                "coverage": {"enabled": whole},
                "stateful": {"enabled": False},
            },
            "checks": {
                "positive_data_acceptance": {
                    "expected-statuses": ["2xx", "401", "403", "404", "409", "410", "422", "429"]
                }
            },
        }
    )


def _run(schema: Any) -> list[str]:
    """Each failed check once per operation, with one request that shows it."""
    found: dict[tuple[str, str], str] = {}
    for event in from_schema(schema).execute():
        if isinstance(event, events.NonFatalError | events.FatalError):
            found[("error", str(event.id))] = f"{event!r}"
        if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            for key, text in _failed_checks(event.recorder):
                found.setdefault(key, text)
    return list(found.values())


def _failed_checks(recorder: Any) -> Iterator[tuple[tuple[str, str], str]]:
    for case_id, checks in recorder.checks.items():
        for check in checks:
            if check.status.value != "failure" or check.failure_info is None:
                continue
            failure = check.failure_info.failure
            exchange = recorder.interactions.get(case_id)
            shown = ""
            if exchange is not None and exchange.response is not None:
                request, response = exchange.request, exchange.response
                body = response.content[:300].decode(errors="replace")
                shown = f"\n    {request.method} {request.uri} -> {response.status_code} {body}"
            text = f"{recorder.label} {check.name}: {failure.title} {failure.message}"
            yield (recorder.label, check.name), text + shown
