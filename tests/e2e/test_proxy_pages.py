"""Every page of every role through the one-origin proxy, as production serves them: the
project's nginx configuration (deploy/nginx) in front of the four services, started as real
processes with the root paths and proxy settings docker-compose.yml gives them, in real
Chromium. A page passes when it loads with no failed request and no console error, is styled,
and its own script drew it; the role menu must lead from one service to the next. Also: a
citizen's rating link through the proxy, /docs and /redoc with nothing from outside, the
icon."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from playwright.sync_api import expect

from tests.support import peers
from tests.support.harness import (
    PASSWORDS,
    ROOT,
    SERVICES,
    Cluster,
    call_body,
    embedded_env,
    eventually,
)

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
# What docker-compose.yml sets for the proxy: where each service sits, where citizens' links
# point, which address to rate-limit.
PROXY_SETTINGS = (
    "HOTLINE_ROOT_PATH",
    "HOTLINE_FEEDBACK_PUBLIC_URL",
    "HOTLINE_PORTAL_URL",
    "HOTLINE_FEEDBACK_TRUSTED_PROXY_HOPS",
)
BRAND = "rgb(198, 40, 40)"  # the header's colour: the shared style arrived
DESK = "#content table.desk, #content p.placeholder"
# Each page as the proxy serves it → something only that page's own script draws.
PAGES = {
    "/intake/console": "#request_types input",
    "/intake/sms": "#outbox tbody tr",
    "/dispatch/workbench": "#subnav a[aria-current='page']",
    "/dispatch/review": DESK,
    "/dispatch/returned": DESK,
    "/dispatch/extensions": DESK,
    "/dispatch/supervision": DESK,
    "/feedback/callbacks": "#due tbody tr, #empty:not([hidden])",
    "/feedback/rankings": "#ranking tbody tr, #empty:not([hidden])",
    "/feedback/appeals": "#appeals tbody tr, #empty:not([hidden])",
    "/search/search": "nav.tabs a[aria-current='page']",
    "/search/dashboard": "#kpis .kpi",
    "/search/themes": "#themes tbody tr",
    "/intake/privacy": "header nav.menu a[aria-current='page']",  # its script draws the header
    "/intake/open311-apps": "header nav.menu a[aria-current='page']",
    "/search/monthly": "#sections section",
    # The admin console: each page's script draws the console's tab strip.
    **dict.fromkeys(
        (
            "/intake/categories",
            "/dispatch/rules",
            "/dispatch/departments",
            "/dispatch/sla",
            "/dispatch/calendar",
            "/intake/knowledge",
            "/search/audit",
        ),
        "nav.tabs a[aria-current='page']",
    ),
}
# The header's role menu: label → page, in the menu's order.
MENU = {
    "话务受理": "/intake/console",
    "市民回访": "/feedback/callbacks",
    "承办工作台": "/dispatch/workbench",
    "派单调度": "/dispatch/review",
    "检索": "/search/search",
    "驾驶舱": "/search/dashboard",
    "每月一题": "/search/themes",
    "三率考核": "/feedback/rankings",
    "申诉": "/feedback/appeals",
    "短信发件箱": "/intake/sms",
    "个人信息审计": "/intake/privacy",
    "城市应用接入": "/intake/open311-apps",
    "月度报告": "/search/monthly",
    "配置管理": "/intake/categories",
    "审计日志": "/search/audit",
}
# Each demo role: the service whose login page it uses, and its menu.
ROLES = {
    "agent1": ("intake", ["话务受理", "市民回访", "检索"]),
    "dispatcher": (
        "dispatch",
        ["派单调度", "检索", "驾驶舱", "每月一题", "三率考核", "申诉", "月度报告", "配置管理"],
    ),
    "chaoyang-jxs": ("dispatch", ["承办工作台", "检索", "申诉"]),
    "leader": (
        "search",
        ["派单调度", "检索", "驾驶舱", "每月一题", "三率考核", "申诉", "月度报告", "审计日志"],
    ),
    "admin": ("feedback", list(MENU)),
}
# The admin console's pages beyond the first, reached by its tab strip (admins see them all).
ADMIN_PAGES = {
    "派单规则": "/dispatch/rules",
    "承办单位": "/dispatch/departments",
    "时限政策": "/dispatch/sla",
    "节假日": "/dispatch/calendar",
    "知识库": "/intake/knowledge",
}
# The dispatcher's desk pages beyond the first, reached by the desk's own navigation.
DESK_PAGES = {
    "退单": "/dispatch/returned",
    "延期审批": "/dispatch/extensions",
    "督办": "/dispatch/supervision",
}


def deployed_env(service: str, public_url: str) -> dict[str, str]:
    environment = COMPOSE["services"][service]["environment"]
    chosen = {name: str(environment[name]) for name in PROXY_SETTINGS if name in environment}
    return {k: re.sub(r"\$\{HOTLINE_PUBLIC_URL:-[^}]*\}", public_url, v) for k, v in chosen.items()}


class Deployed(Cluster):
    """The four services, each with its own proxy settings from docker-compose.yml."""

    def __init__(self, data_dir: Path, public_url: str) -> None:
        super().__init__(embedded_env(data_dir), data_dir)
        self.common = self.env
        self.public_url = public_url

    def start(self, *services: str) -> None:
        for service in services or SERVICES:
            self.env = {**self.common, **deployed_env(service, self.public_url)}
            super().start(service)


class Site:
    """Where a browser finds the pages: `at("/intake/console")`, one origin through the proxy."""

    def __init__(self, proxy: peers.Peer) -> None:
        self.url = proxy.url

    def at(self, path: str) -> str:
        return self.url + path

    def client(self, username: str) -> httpx.Client:
        form = {"username": username, "password": PASSWORDS[username]}
        token = httpx.post(f"{self.url}/intake/api/v1/auth/token", data=form).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data_dir: Path = tmp_path_factory.mktemp("proxy-pages")
    port = peers.free_port()
    platform = Deployed(data_dir, f"http://127.0.0.1:{port}")
    upstreams = {name: platform.base_port + i for i, name in enumerate(SERVICES)}
    proxy = peers.start_nginx(upstreams | {"grafana": peers.free_port()}, port)
    try:
        platform.start()
        yield Site(proxy)
    finally:
        platform.stop()
        proxy.stop()


class OwnPorts(Site):
    """The embedded profile: each service on its own port, no prefixes."""

    def __init__(self, platform: Cluster) -> None:
        self.platform = platform

    def at(self, path: str) -> str:
        service, _, rest = path[1:].partition("/")
        return f"{self.platform.url(service)}/{rest}"


@pytest.fixture(scope="module")
def own_ports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data_dir: Path = tmp_path_factory.mktemp("own-ports")
    platform = Cluster(embedded_env(data_dir), data_dir)
    try:
        platform.start()
        yield OwnPorts(platform)
    finally:
        platform.stop()


class Watched:
    """A browser tab that notes every failed request, console error and script error."""

    def __init__(self, browser: Any, **options: Any) -> None:
        self.context = browser.new_context(locale="zh-CN", **options)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("response", self._response)
        self.page.on("requestfailed", self._failed)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"script: {error}"))

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status} {response.url}")

    def _failed(self, request: Any) -> None:
        # Leaving a page cancels what it still had in flight (a periodic refresh): not a fault.
        if request.failure != "net::ERR_ABORTED":
            self.problems.append(f"failed {request.url}: {request.failure}")

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.problems.append(f"console: {message.text}")


@pytest.fixture
def tab(browser: Any) -> Iterator[Watched]:
    watched = Watched(browser, viewport={"width": 1360, "height": 900})
    yield watched
    watched.context.close()


def sign_in(tab: Watched, site: Site, service: str, username: str) -> None:
    page = tab.page
    page.goto(site.at(f"/{service}/login"))
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORDS[username])
    page.get_by_label("密码").press("Enter")
    page.wait_for_url(re.compile(rf"{re.escape(site.at(f'/{service}/'))}(?!login)"))


def walk_the_menu(tab: Watched, site: Site, labels: list[str]) -> None:
    page = tab.page
    menu = page.locator("header nav.menu")
    expect(menu.get_by_role("link")).to_have_text(labels)
    for label in labels:
        menu.get_by_role("link", name=label, exact=True).click()
        assert_drawn(tab, site, MENU[label])
        expect(menu.locator("a[aria-current='page']")).to_have_text(label)
        if MENU[label] == "/dispatch/review":
            for item, path in DESK_PAGES.items():
                page.locator("#subnav").get_by_role("link", name=item, exact=True).click()
                assert_drawn(tab, site, path)
                expect(page.locator("#subnav a[aria-current='page']")).to_have_text(item)
        if MENU[label] == "/intake/categories":
            walk_the_console(tab, site)


def walk_the_console(tab: Watched, site: Site) -> None:
    """From the categories page along the admin tab strip, across the services."""
    tabs = tab.page.locator("nav.tabs[data-tabs='admin']")
    for item, path in ADMIN_PAGES.items():
        tabs.get_by_role("link", name=item, exact=True).click()
        assert_drawn(tab, site, path)
        expect(tabs.locator("a[aria-current='page']")).to_have_text(item)
        tabs = tab.page.locator("nav.tabs[data-tabs='admin']")


def assert_drawn(tab: Watched, site: Site, path: str) -> None:
    page = tab.page
    expect(page).to_have_url(re.compile(rf"{re.escape(site.at(path))}(\?.*)?$"))
    expect(page.locator(PAGES[path]).first).to_be_attached()
    expect(page.locator("#who")).not_to_be_empty()
    colour = page.evaluate("getComputedStyle(document.querySelector('header.bar')).backgroundColor")
    assert colour == BRAND, f"{path}: unstyled header"
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("username", list(ROLES))
def test_every_page_of_a_role_works_through_the_proxy(
    site: Site, tab: Watched, username: str
) -> None:
    home, labels = ROLES[username]
    sign_in(tab, site, home, username)
    walk_the_menu(tab, site, labels)
    assert tab.problems == []


def test_the_menu_leads_across_services_on_their_own_ports_too(
    own_ports: Site, tab: Watched
) -> None:
    sign_in(tab, own_ports, "intake", "admin")
    walk_the_menu(tab, own_ports, list(MENU))
    assert tab.problems == []


def test_a_citizen_rates_from_the_texted_link_through_the_proxy(site: Site, browser: Any) -> None:
    with site.client("agent1") as agent:
        ticket = agent.post("/intake/api/v1/calls", json=call_body()).json()
    with site.client("chaoyang-jxs") as street:
        found = eventually(
            lambda: street.get(
                "/dispatch/api/v1/assignments", params={"ticket_id": ticket["id"]}
            ).json()
        )
        steps = {
            "acknowledge": {},
            "contact": {"note": "已电话联系"},
            "resolve": {"outcome": "已处理"},
        }
        for step, body in steps.items():
            answer = street.post(f"/dispatch/api/v1/assignments/{found[0]['id']}/{step}", json=body)
            assert answer.status_code == 200, answer.text
    with site.client("admin") as admin:
        texts = eventually(
            lambda: [
                m["text"]
                for m in admin.get("/intake/api/v1/sms").json()
                if m["ticket_number"] == ticket["number"] and "/rate?" in m["text"]
            ]
        )
    link = re.search(r"http\S+/rate\?\S+", texts[0])
    assert link and link.group().startswith(f"{site.url}/feedback/rate?"), texts[0]

    phone = Watched(browser, viewport={"width": 390, "height": 844})
    try:
        phone.page.goto(link.group())
        expect(phone.page.locator("#ticket-number")).to_have_text(ticket["number"])
        phone.page.get_by_role("radio", name="联系过").check()
        phone.page.get_by_role("radio", name="已解决").check()
        phone.page.get_by_role("radio", name="满意", exact=True).check()
        phone.page.get_by_role("button", name="提交评价").click()
        expect(phone.page.locator("#outcome")).to_be_visible()
        assert phone.problems == []
    finally:
        phone.context.close()


# The citizen portal's pages (no sign-in) → something only their own script draws.
CITIZEN_PAGES = {"/intake/report": "#request-type option", "/intake/track": "#lookup:not([hidden])"}


@pytest.mark.parametrize("path", list(CITIZEN_PAGES))
def test_the_citizen_portal_works_through_the_proxy_on_a_phone(
    site: Site, browser: Any, path: str
) -> None:
    phone = Watched(browser, viewport={"width": 390, "height": 844})
    try:
        phone.page.goto(site.at(path))
        expect(phone.page.locator(CITIZEN_PAGES[path]).first).to_be_attached()
        header = "getComputedStyle(document.querySelector('header.bar')).backgroundColor"
        assert phone.page.evaluate(header) == BRAND
        wide = phone.page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 390, f"{path} scrolls sideways on a phone"
        phone.page.wait_for_load_state("networkidle")
        assert phone.problems == []
    finally:
        phone.context.close()


@pytest.mark.parametrize("service", SERVICES)
def test_api_docs_load_through_the_proxy_with_nothing_from_outside(
    site: Site, tab: Watched, service: str
) -> None:
    page = tab.page
    outside: list[str] = []

    def only_local(route: Any) -> None:
        if route.request.url.startswith(site.url + "/"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    title = f"Hotline {service}"
    page.goto(f"{site.url}/{service}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text(title)
    expect(page.locator(".opblock").first).to_be_visible()
    page.goto(f"{site.url}/{service}/redoc")
    # ReDoc lays out the whole document before its first heading: intake's takes seconds
    # of a busy core.
    heading = page.get_by_role("heading", name=re.compile(title), level=1)
    expect(heading).to_be_visible(timeout=20_000)
    expect(page.locator("[data-section-id^='operation/']").first).to_be_attached()
    assert outside == []
    # The page's policy keeps ReDoc's vendor logo from being fetched at all: the only error.
    failures = [p for p in tab.problems if "cdn.redoc.ly/redoc/logo-mini.svg" not in p]
    assert failures == []


def test_every_service_serves_its_icon_under_its_root_path(site: Site) -> None:
    for service in SERVICES:
        icon = httpx.get(f"{site.url}/{service}/favicon.ico")
        assert icon.status_code == 200
        assert icon.headers["content-type"] == "image/x-icon"
        assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
        login = httpx.get(f"{site.url}/{service}/login").text
        assert f'<link rel="icon" href="/{service}/favicon.ico">' in login
    assert httpx.get(f"{site.url}/favicon.ico").content[:4] == b"\x00\x00\x01\x00"


def test_metrics_are_not_served_through_the_proxy(site: Site) -> None:
    for service in SERVICES:
        assert httpx.get(f"{site.url}/{service}/metrics").status_code == 404
        assert httpx.get(f"{site.url}/{service}/healthz").status_code == 200


def test_redirects_stay_on_the_origin_the_browser_used(site: Site) -> None:
    for path in ("/", "/intake", "/dispatch/", "/feedback/callbacks/", "/search/docs/"):
        landed = httpx.get(site.at(path), follow_redirects=True)
        assert landed.status_code == 200, path
        assert str(landed.url).startswith(site.url + "/"), (path, landed.url)
