"""Signing in and out on the pages, in real Chromium against the platform as real
processes (embedded profile): the cookie works on every service until 退出, after which
the same token is refused by all four; a guessed password is throttled on the page too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from services.common.auth import TOKEN_COOKIE
from tests.support.harness import PASSWORDS, SERVICES, Cluster, embedded_env, eventually


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    data_dir: Path = tmp_path_factory.mktemp("sign-out")
    cluster = Cluster(embedded_env(data_dir), data_dir)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def _login_page(browser: Any, platform: Cluster, user: str, password: str) -> Any:
    page = browser.new_page()
    page.goto(f"{platform.url('dispatch')}/login?next=/workbench")
    page.fill("#username", user)
    page.fill("#password", password)
    page.keyboard.press("Enter")
    return page


def _me(platform: Cluster, service: str, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.get(f"{platform.url(service)}/api/v1/auth/me", headers=headers).status_code


def test_signing_out_on_a_page_revokes_its_token_everywhere(
    browser: Any, platform: Cluster
) -> None:
    page = _login_page(browser, platform, "water", PASSWORDS["water"])
    page.wait_for_url(lambda url: url.endswith("/workbench") and "/login" not in url)
    token = next(c["value"] for c in page.context.cookies() if c["name"] == TOKEN_COOKIE)
    assert [_me(platform, s, token) for s in SERVICES] == [200] * 4
    page.click("#logout")
    page.wait_for_url(lambda url: url.endswith("/login"))
    eventually(lambda: [_me(platform, s, token) for s in SERVICES] == [401] * 4, timeout=5)
    page.goto(f"{platform.url('dispatch')}/workbench")  # the cookie is gone: sign in again
    page.wait_for_url("**/login?next=*")
    page.close()


def test_the_login_page_says_when_to_try_again(browser: Any, platform: Cluster) -> None:
    page = _login_page(browser, platform, "haidian-zgc", "wrong-1")
    error = page.locator(".error[data-for='_']")
    expect(error).to_contain_text("用户名或密码错误")
    statuses = []
    for attempt in range(2, 7):
        page.fill("#password", f"wrong-{attempt}")
        with page.expect_response("**/api/v1/auth/token") as answer:
            page.keyboard.press("Enter")
        statuses.append(answer.value.status)
    assert statuses == [401] * 4 + [429]
    expect(error).to_contain_text("登录失败次数过多")
    page.close()
