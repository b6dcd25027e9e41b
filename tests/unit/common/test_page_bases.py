"""Where a page's links point: behind the proxy, siblings beside the service's own prefix; on
their own ports, the host the browser used with each service's port."""

from __future__ import annotations

from starlette.requests import Request

from services.common.settings import Settings
from services.common.web import root_path, service_bases


def request(host: str, root: str = "") -> Request:
    headers = [(b"host", host.encode())]
    scope = {
        "type": "http",
        "scheme": "http",
        "path": "/console",
        "root_path": root,
        "headers": headers,
        "query_string": b"",
        "server": ("127.0.0.1", 8001),
    }
    return Request(scope)


def test_behind_the_proxy_each_service_sits_beside_this_one() -> None:
    bases = service_bases(request("hotline.example:8080", "/intake"), Settings())
    assert bases == {
        "intake": "/intake",
        "dispatch": "/dispatch",
        "feedback": "/feedback",
        "search": "/search",
    }


def test_a_deeper_prefix_keeps_its_parent() -> None:
    bases = service_bases(request("hotline.example", "/city/hotline/search/"), Settings())
    assert bases["dispatch"] == "/city/hotline/dispatch"
    assert root_path(request("hotline.example", "/city/hotline/search/")) == "/city/hotline/search"


def test_on_their_own_ports_the_browsers_host_with_each_port() -> None:
    settings = Settings(base_port=9001)
    assert service_bases(request("10.0.0.5:9001"), settings) == {
        "intake": "http://10.0.0.5:9001",
        "dispatch": "http://10.0.0.5:9002",
        "feedback": "http://10.0.0.5:9003",
        "search": "http://10.0.0.5:9004",
    }
    assert service_bases(request("[::1]:9001"), settings)["search"] == "http://[::1]:9004"
    assert root_path(request("10.0.0.5:9001")) == ""
