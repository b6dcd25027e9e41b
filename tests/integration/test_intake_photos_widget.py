"""The page kit's photo picker in real Chromium, on a page of another service's port (as the
department workbench uses it): photos upload to intake across origins, show as thumbnails
that can be removed, at most `max` are kept, and what intake refuses is said in the page's
language. And the agent console's frequent-caller badge."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from PIL import Image
from playwright.sync_api import expect

from services.common.settings import Settings
from services.intake.bootstrap import build
from services.intake.config import IntakeSettings
from tests.support.harness import call_body, free_base_port

Urls = dict[str, str]  # intake's and the sibling page's origins
ATTACH = """() => {
  const input = Object.assign(document.createElement("input"),
    { id: "picker", type: "file", multiple: true });
  document.body.append(input);
  window.picked = [];
  window.widget = HotlinePhotos.attach(input, { max: 3, onChange(ids) { window.picked = ids; } });
}"""


def _serve(app: Any, port: int, lifespan: str) -> tuple[uvicorn.Server, threading.Thread]:
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, lifespan=lifespan, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.02)
    return server, thread


@pytest.fixture(scope="module")
def urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Urls]:
    """Intake on its port and, one port up where dispatch would be, the same app serving
    pages: a page there reaches intake as another origin, like the workbench does."""
    base = free_base_port()
    data_dir: Path = tmp_path_factory.mktemp("photos-widget")
    options = IntakeSettings(frequent_caller_per_day=1)
    app = build(Settings(data_dir=data_dir, base_port=base), options)
    servers = [_serve(app, base, "on"), _serve(app, base + 1, "off")]
    try:
        yield {"intake": f"http://127.0.0.1:{base}", "sibling": f"http://127.0.0.1:{base + 1}"}
    finally:
        for server, thread in reversed(servers):
            server.should_exit = True
            thread.join(10)


def _file(name: str, kind: str = "JPEG", mime: str = "image/jpeg") -> dict[str, Any]:
    out = BytesIO()
    Image.new("RGB", (800, 600), (20, 140, 60)).save(out, kind)
    return {"name": name, "mimeType": mime, "buffer": out.getvalue()}


def _page(browser: Any, urls: Urls, lang: str) -> Any:
    sibling = urls["sibling"]
    page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
    page.add_init_script(f"localStorage.setItem('hotline.lang', '{lang}')")
    page.goto(f"{sibling}/login")
    page.add_script_tag(url=f"{sibling}/static/common/photos.js")
    page.evaluate(ATTACH)
    return page


def test_photos_upload_across_origins_show_and_can_be_removed(browser: Any, urls: Urls) -> None:
    page = _page(browser, urls, "zh")
    assert page.get_attribute("#picker", "accept") == "image/jpeg,image/png,image/webp"
    page.set_input_files("#picker", [_file("a.jpg"), _file("b.png", "PNG", "image/png")])
    thumbnails = page.locator(".hl-photos img")
    expect(thumbnails).to_have_count(2)
    expect(page.locator(".hl-photos-status")).to_have_text("已附 2 / 3 张照片")
    page.wait_for_function(
        "[...document.querySelectorAll('.hl-photos img')].every(i => i.naturalWidth > 0)"
    )
    first, second = page.evaluate("window.picked")
    assert first.startswith("ph_") and second.startswith("ph_")
    page.get_by_role("button", name="移除第 1 张照片").click()
    expect(thumbnails).to_have_count(1)
    assert page.evaluate("window.picked") == [second]
    page.set_input_files("#picker", [_file(f"{n}.jpg") for n in range(3)])
    expect(thumbnails).to_have_count(3)
    expect(page.locator(".hl-photos-status")).to_have_text("最多可以附 3 张照片")
    assert page.is_disabled("#picker")
    page.close()


def test_what_intake_refuses_is_said_in_the_pages_language(browser: Any, urls: Urls) -> None:
    page = _page(browser, urls, "en")
    page.set_input_files(
        "#picker", [{"name": "a.jpg", "mimeType": "image/jpeg", "buffer": b"GIF89a" * 20}]
    )
    expect(page.locator(".hl-photos-status.error")).to_have_text(
        "Only JPEG, PNG or WebP photos are accepted"
    )
    page.set_input_files(
        "#picker", [{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hello"}]
    )
    expect(page.locator(".hl-photos-status.error")).to_have_text(
        "Only JPEG, PNG or WebP photos are accepted"
    )
    expect(page.locator(".hl-photos img")).to_have_count(0)
    assert page.evaluate("window.picked") == []
    page.close()


def test_the_console_shows_a_frequent_caller(browser: Any, urls: Urls) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{urls['intake']}/login?next=/console")
    page.fill("#username", "agent1")
    page.fill("#password", "agent1pass")
    page.keyboard.press("Enter")
    page.wait_for_selector("#who:not(:empty)")
    body = call_body(caller_phone="13600001234")
    for _ in range(2):
        page.evaluate("(body) => Hotline.api('/api/v1/calls', { method: 'POST', body })", body)
    page.reload()
    rows = page.locator("#recent tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator(".badge.frequent")).to_have_text("高频来电")
    expect(rows.nth(1).locator(".badge.frequent")).to_have_count(0)
    page.close()
