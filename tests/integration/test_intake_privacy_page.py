"""The privacy page in Chromium against a running intake: an admin exports and erases what
one email sender left, by the address, as they do a caller's by the number."""

from __future__ import annotations

import json
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from services.common.db import make_engine, uow_factory
from services.intake.adapters.orm import metadata
from services.intake.adapters.seed import load_addresses
from services.intake.adapters.unit_of_work import IntakeUnitOfWork
from services.intake.adapters.vault import PhoneVault
from services.intake.config import IntakeSettings
from services.intake.domain.mail import Place, read_letter
from services.intake.handlers import mail
from services.intake.handlers.context import IntakeContext
from tests.support.harness import PASSWORDS, Cluster

pytestmark = pytest.mark.peers


@pytest.fixture(scope="module")
def intake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Cluster, Path]]:
    data_dir = tmp_path_factory.mktemp("privacy-page")
    cluster = Cluster({"HOTLINE_DATA_DIR": str(data_dir)}, data_dir)
    try:
        cluster.start("intake")
        yield cluster, data_dir
    finally:
        cluster.stop()


def _mail_from(data_dir: Path, sender: str) -> str:
    """A message read by the inbox (its own use case, on intake's database and keys)."""
    engine = make_engine(f"sqlite:///{data_dir / 'intake.db'}")
    options = IntakeSettings()
    context = IntakeContext(
        uow=uow_factory(engine, metadata, "intake", IntakeUnitOfWork),
        addresses=load_addresses(),
        vault=PhoneVault(options.phone_keys, options.caller_key_secret),
    )
    message = EmailMessage()
    message["From"], message["Subject"] = sender, "楼道灯坏了"
    message["Message-ID"] = "<page-1@example.com>"
    message.set_content("三单元楼道灯坏了一周。")
    accepted = mail.accept(context, Place("INBOX", 1, 1), read_letter(message.as_bytes()), [], [])
    engine.dispose()
    assert accepted.ticket_number
    return accepted.ticket_number


def test_an_admin_exports_and_erases_an_email_senders_data(
    intake: tuple[Cluster, Path], browser: Any
) -> None:
    cluster, data_dir = intake
    number = _mail_from(data_dir, "li.ming@example.com")
    base = cluster.url("intake")
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page.goto(f"{base}/login?next=/privacy")
    page.fill("#username", "admin")
    page.fill("#password", PASSWORDS["admin"])
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/privacy")
    page.fill("#phone", "Li.Ming@example.com")
    with page.expect_download() as download:
        page.click("button[value=export]")
    copy = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert copy["email"] == "li.ming@example.com"
    assert [m["ticket_number"] for m in copy["messages"]] == [number]
    page.fill("#phone", "li.ming@example.com")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button[value=erase]")
    expect(page.locator("#done")).to_have_text("已删除 1 封来信中的邮箱地址。")
    expect(page.locator("#audit tbody tr").first).to_contain_text("admin")
    page.fill("#phone", "li.ming@example.com")
    page.click("button[value=export]")  # nothing is left to export
    expect(page.locator("#request .error[data-for='_']")).not_to_be_empty()
    page.close()
