"""A citizen on a phone, through the one-origin proxy as production serves it: reports a
problem with a photo (its GPS gone from the stored file), verifies the number with the
texted code, gets the tracking link, and follows the ticket through dispatch, the
department's contact and reply (with a field photo), and their own rating."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.test_proxy_pages import Deployed, Site, Watched
from tests.support import peers
from tests.support.harness import SERVICES, eventually

GPS_IFD = 0x8825
PHONE = "13912340077"
REPLY = "已责令施工单位夜间停工，并安排人员巡查"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data_dir: Path = tmp_path_factory.mktemp("citizen-portal")
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


def photo_with_gps(path: Path) -> Path:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[GPS_IFD] = {1: "N", 2: (39.0, 54.0, 26.0), 3: "E", 4: (116.0, 23.0, 29.0)}
    Image.new("RGB", (640, 480), (30, 120, 200)).save(path, "JPEG", exif=exif.tobytes())
    assert Image.open(path).getexif().get_ifd(GPS_IFD)  # the upload does carry a position
    return path


def texts(admin: httpx.Client, purpose: str) -> list[dict[str, Any]]:
    return [m for m in admin.get("/intake/api/v1/sms").json() if m["purpose"] == purpose]


def test_a_citizen_reports_from_a_phone_and_follows_the_ticket(
    site: Site, browser: Any, tmp_path: Path
) -> None:
    phone = Watched(browser, viewport={"width": 390, "height": 844}, is_mobile=True)
    page = phone.page
    admin = site.client("admin")
    try:
        page.goto(site.at("/intake/report"))
        page.locator("#category-q").fill("zyrm")
        page.locator("#category-hits button").first.click()
        expect(page.locator("#category-chosen")).to_contain_text("噪音扰民")
        page.locator("#place-q").fill("永安里")
        page.locator("#place-hits button", has_text="永安里社区").first.click()
        page.locator("#description").fill("小区门口工地夜间施工，噪音很大，已持续一周")
        page.locator("#photos").set_input_files(str(photo_with_gps(tmp_path / "gps.jpg")))
        uploaded = page.locator("li[data-photo]")
        expect(uploaded).to_have_count(1)
        photo_id = uploaded.get_attribute("data-photo")

        page.locator("#phone").fill(PHONE)
        page.locator("#send-code").click()
        expect(page.locator("#code-box")).to_be_visible()
        sent = eventually(lambda: texts(admin, "code"))
        code = re.search(r"验证码是(\d{6})", sent[0]["text"])
        assert code and sent[0]["caller_masked"] == "139****0077"
        page.locator("#code").fill(code.group(1))
        page.locator("#verify").click()
        expect(page.locator("#verified")).to_be_visible()
        expect(page.locator("#report .error[data-for='_']")).to_be_empty()
        page.locator("#submit").click()
        expect(page.locator("#done")).to_be_visible()
        number = page.locator("#done-number").inner_text()
        link = page.locator("#track-link").get_attribute("href")
        assert link and link.startswith("/intake/track/")

        # The text says the same, with the link at the public address.
        accepted = eventually(lambda: texts(admin, "accepted"))
        assert number in accepted[0]["text"] and f"{site.url}{link}" in accepted[0]["text"]
        # The stored photo has no position left in it.
        stored = Image.open(io.BytesIO(httpx.get(site.at(f"/intake/media/{photo_id}")).content))
        assert not stored.getexif().get_ifd(GPS_IFD)

        with site.client("chaoyang-jxs") as street:
            ticket = eventually(lambda: admin.get("/intake/api/v1/tickets?mine=false").json())
            ticket_id = next(t["id"] for t in ticket if t["number"] == number)
            found = eventually(
                lambda: street.get(
                    "/dispatch/api/v1/assignments", params={"ticket_id": ticket_id}
                ).json()
            )
            field = street.post(
                "/intake/api/v1/photos", files={"file": ("f.jpg", _jpeg(), "image/jpeg")}
            ).json()
            steps = {
                "acknowledge": {},
                "contact": {"note": "内部：已电话联系，物业经理王某在场"},
                "resolve": {"outcome": REPLY, "photos": [field["id"]]},
            }
            for step, body in steps.items():
                answer = street.post(
                    f"/dispatch/api/v1/assignments/{found[0]['id']}/{step}", json=body
                )
                assert answer.status_code == 200, answer.text

        rating = eventually(
            lambda: [m for m in texts(admin, "rating") if m["ticket_number"] == number]
        )
        assert f"{site.url}/intake/track/{ticket_id}." in rating[0]["text"]  # a link of its own
        rate = re.search(r"http\S+/rate\?\S+", rating[0]["text"])
        assert rate
        page.goto(rate.group())
        page.get_by_role("radio", name="联系过").check()
        page.get_by_role("radio", name="已解决").check()
        page.get_by_role("radio", name="满意", exact=True).check()
        page.get_by_role("button", name="提交评价").click()
        expect(page.locator("#outcome")).to_be_visible()

        def followed() -> list[str]:
            page.goto(site.at(link))
            expect(page.locator("#ticket")).to_be_visible()
            return page.locator("#timeline li").evaluate_all("els => els.map(e => e.dataset.kind)")

        kinds = eventually(lambda: (k := followed()) and "rated" in k and k)
        assert kinds[:4] == ["accepted", "dispatched", "contacted", "resolved"]
        expect(page.locator("#t-number")).to_have_text(number)
        resolved = page.locator("#timeline li[data-kind='resolved']")
        expect(resolved).to_contain_text(REPLY)
        expect(resolved.locator("img.thumb")).to_have_count(1)
        expect(page.locator("#timeline")).not_to_contain_text("王某")
        page.locator("#texts-toggle").click()
        expect(page.locator("#texts-state")).to_have_text("您已退订办理进展短信。")
        assert phone.problems == []
    finally:
        admin.close()
        phone.context.close()


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 60, 30)).save(out, "JPEG")
    return out.getvalue()
