"""The event topology, declared once in proto/topology.py, matches the contracts and what
the services wire."""

from __future__ import annotations

from proto import topology
from proto.audit import AUDIT, ConfigurationChanged, PersonalDataAccessed
from proto.events import EVENTS, TOPICS
from proto.feedback import FEEDBACK, TicketRated
from proto.insights import INSIGHTS
from proto.sessions import SESSIONS
from proto.tickets import TICKETS, TicketCreated
from services.common.sealed_links import LinkSeal
from services.common.settings import Settings
from services.intake.bootstrap import consumed
from services.search.domain.projection import KNOWN_EVENTS


def test_every_event_has_one_route_on_its_own_topic_with_a_known_producer() -> None:
    routes = topology.routes()
    assert [r.type for r in routes] == [e.TYPE for e in EVENTS]
    assert all(r.topic in TOPICS and r.producers for r in routes)
    assert set(topology.PRODUCERS) == set(TOPICS)
    by_type = {r.type: r for r in routes}
    assert by_type[TicketCreated.TYPE].producers == ("intake",)
    assert by_type[TicketCreated.TYPE].consumers == ("dispatch", "feedback", "search")


def test_every_group_consumes_only_known_events() -> None:
    for group, events in topology.CONSUMERS.items():
        assert set(events) <= set(EVENTS), group
        assert topology.topics(group), group


def test_the_wiring_of_intake_search_and_sign_in_matches_the_declaration() -> None:
    seal = LinkSeal(Settings().rating_link_keys)
    assert set(consumed(seal)) == topology.handled("intake")
    assert {e.TYPE for e in KNOWN_EVENTS} == topology.handled("search")
    assert topology.topics("search") == tuple(
        t for t in TOPICS if t not in (SESSIONS, AUDIT, INSIGHTS)
    )
    for service in topology.SERVICES:
        assert topology.topics(f"{service}-sessions") == (SESSIONS,)


def test_search_keeps_every_audit_event_in_a_group_of_its_own() -> None:
    assert topology.topics("search-audit") == (AUDIT,)
    assert topology.handled("search-audit") == {
        ConfigurationChanged.TYPE,
        PersonalDataAccessed.TYPE,
    }
    by_type = {r.type: r for r in topology.routes()}
    for event in (ConfigurationChanged, PersonalDataAccessed):
        assert by_type[event.TYPE].consumers == ("search-audit",)
        assert by_type[event.TYPE].producers == topology.SERVICES
    assert "search-audit" in topology.mismatch("search-audit", [AUDIT, TICKETS], set())


def test_a_wiring_that_differs_is_named() -> None:
    declared = set(topology.handled("dispatch"))
    both = [TICKETS, FEEDBACK, INSIGHTS]
    assert topology.mismatch("dispatch", both, declared) == ""
    assert "lacks handlers" in topology.mismatch("dispatch", both, {TicketCreated.TYPE})
    assert "subscribes to" in topology.mismatch("dispatch", [TICKETS], declared)
    extra = declared | {TicketRated.TYPE}
    assert "handles undeclared ['TicketRated']" in topology.mismatch("dispatch", both, extra)
    assert "not declared" in topology.mismatch("nobody", [TICKETS], set())
