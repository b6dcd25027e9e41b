"""The vocabulary in proto/vocabulary.py is the only list of the platform's fixed values and
their names: what Python validates comes from it, every label a page asks for is in it, in
both languages, and no page keeps its own copy."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, get_args

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import TypeAdapter

from proto import assignments, feedback, tickets
from proto.vocabulary import (
    LEGACY_STATUS,
    VOCABULARIES,
    StoredTicketStatus,
    canonical_status,
    dictionary,
    label,
    values,
)
from services.common.auth import Role
from services.common.settings import Settings
from services.common.web import mount_pages
from services.dispatch.api import models as dispatch_models
from services.dispatch.domain import assignment, dispatching, sla
from services.feedback.domain import answers
from services.intake.api import models as intake_models
from services.intake.handlers import events as intake_events
from services.search.api import params
from services.search.domain import derive

ROOT = Path(__file__).resolve().parents[3]
PATTERNS = (
    "services/*/pages/**/*.js",
    "services/*/pages/**/*.html",
    "services/common/web/pages/*.html",
)
PAGES = [
    *sorted(path for pattern in PATTERNS for path in ROOT.glob(pattern)),
    ROOT / "services/common/web/static/hotline.js",
]
KINDS = "|".join(VOCABULARIES)


def _field_values(model: Any, field: str) -> set[str]:
    annotation = model.model_fields[field].annotation
    found: set[str] = set()
    stack = [annotation]
    while stack:  # through Annotated, Optional and Literal down to the values
        node = stack.pop()
        args = get_args(node)
        if not args and isinstance(node, str):
            found.add(node)
        stack.extend(a for a in args if a is not type(None))
    return found


def test_every_value_has_a_chinese_and_an_english_label() -> None:
    for kind, (_, terms) in VOCABULARIES.items():
        assert terms, kind
        for value, term in terms.items():
            assert term.zh.strip() and term.en.strip(), f"{kind}.{value}"
            assert re.search(r"[\u4e00-\u9fff]", term.zh), f"{kind}.{value}: zh is not Chinese"
            assert bool(term.about_zh) == bool(term.about_en), f"{kind}.{value}"


@pytest.mark.parametrize(
    ("kind", "used"),
    [
        ("channel", get_args(tickets.Channel)),
        ("request_type", get_args(tickets.RequestType)),
        ("urgency", get_args(tickets.Urgency)),
        ("satisfaction", get_args(feedback.Satisfaction)),
        ("satisfaction", answers.SATISFACTIONS),
        ("handling_role", _field_values(assignments.AssignmentDispatched, "role")),
        ("role", [r.value for r in Role]),
        ("assignment_status", assignment.OPEN),
        ("status", params.STATUSES),
        ("status", derive.OPEN),
        ("status", intake_events.STATUS.values()),
        ("status", _field_values(intake_models.TicketRead, "status")),
        ("sla_state", params.SLA_STATES),
        ("assignment_status", _field_values(dispatch_models.AssignmentRead, "status")),
        ("sla_state", _field_values(dispatch_models.AssignmentRead, "sla_state")),
        ("clock_state", _field_values(dispatch_models.ClockRead, "state")),
        ("routing_state", _field_values(dispatch_models.TicketRead, "state")),
        ("urgency", _field_values(dispatch_models.TicketRead, "urgency")),
    ],
)
def test_values_python_validates_are_the_vocabularys(kind: str, used: Any) -> None:
    used = set(used)
    assert used, kind
    assert used <= set(values(kind)), f"{kind}: {sorted(used - set(values(kind)))}"


def test_role_is_exactly_the_accounts_roles() -> None:
    assert set(values("role")) == {r.value for r in Role}


def test_the_events_literals_are_the_vocabularys_own() -> None:
    from proto import vocabulary

    assert tickets.Channel is vocabulary.Channel
    assert tickets.Urgency is vocabulary.Urgency
    assert tickets.RequestType is vocabulary.RequestType
    assert feedback.Satisfaction is vocabulary.Satisfaction
    assert answers.Satisfaction is vocabulary.Satisfaction
    assert assignments.SlaState is vocabulary.SlaState
    assert set(assignments.SLA_STATES) == set(get_args(vocabulary.SlaState))


def test_dispatchs_domain_takes_its_values_from_the_vocabulary() -> None:
    from proto import vocabulary

    assert assignment.AssignmentStatus is vocabulary.AssignmentStatus
    assert assignment.HandlingRole is vocabulary.HandlingRole
    assert sla.ClockState is vocabulary.ClockState
    assert dispatching.RoutingState is vocabulary.RoutingState
    assert dispatching.HandlingRole is vocabulary.HandlingRole
    for module, name in ((assignment, "Status"), (assignment, "Role"),
                         (dispatching, "TicketState")):  # fmt: skip
        assert not hasattr(module, name), f"{module.__name__}.{name} is a second list"


def test_old_status_names_read_as_the_new_ones() -> None:
    read = TypeAdapter(StoredTicketStatus)
    assert read.validate_python("review") == "pending_review"
    assert read.validate_python("contacted") == "in_progress"
    assert read.validate_python("dispatched") == "dispatched"
    assert canonical_status("in_progress") == "in_progress"
    assert not set(LEGACY_STATUS) & set(values("status"))
    with pytest.raises(ValueError):
        read.validate_python("lost")


def test_labels_the_pages_ask_for_are_in_the_vocabulary() -> None:
    known = dictionary()["zh"]
    asked: set[str] = set()
    kinds_asked: set[str] = set()
    for path in PAGES:
        text = path.read_text(encoding="utf-8")
        # t("urgency.urgent"), data-i18n="channel.phone", `request_type.${type}`
        asked |= set(re.findall(rf"[\"'`]((?:{KINDS})\.[a-z_]+)[\"'`]", text))
        kinds_asked |= set(re.findall(rf"`({KINDS})\.\$\{{", text))
        kinds_asked |= set(re.findall(r"Hotline\.label\(\"([a-z_]+)\"", text))
        for kind, value in re.findall(r"Hotline\.label\(\"([a-z_]+)\", \"([a-z_]+)\"\)", text):
            asked.add(f"{kind}.{value}")
    assert asked and kinds_asked
    assert sorted(k for k in asked if k not in known) == []
    assert sorted(kinds_asked - set(VOCABULARIES)) == []


def test_no_page_keeps_a_copy_of_the_labels() -> None:
    defined = re.compile(rf"\"((?:{KINDS})\.[a-z_]+)\"\s*:")
    for path in PAGES:
        copies = defined.findall(path.read_text(encoding="utf-8"))
        assert copies == [], f"{path.relative_to(ROOT)} defines {copies}"


def test_complex_reads_the_same_everywhere() -> None:
    assert label("urgency", "complex") == "疑难复杂"
    assert label("urgency", "complex", "en") == "Complex"
    assert label("urgency", "unheard_of") == "unheard_of"


def test_every_service_serves_the_vocabulary_to_its_pages(tmp_path: Path) -> None:
    app = FastAPI()
    mount_pages(app, tmp_path, {}, "/login", Settings())
    with TestClient(app) as client:
        script = client.get("/static/vocabulary.js")
        page = client.get("/login")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    body = script.text.split("window.HOTLINE_VOCABULARY = ", 1)[1].rstrip().rstrip(";")
    assert json.loads(body) == dictionary()
    assert '<script src="/static/vocabulary.js">' in page.text


def test_who_sees_which_page_is_decided_in_the_page_kit_alone() -> None:
    roles = re.compile("|".join(f'"{role}"' for role in values("role")))
    kit = (ROOT / "services/common/web/static/hotline.js").read_text(encoding="utf-8")
    assert roles.search(kit)
    for path in PAGES[:-1]:
        if path.suffix == ".js":
            assert not roles.search(path.read_text(encoding="utf-8")), path.relative_to(ROOT)
