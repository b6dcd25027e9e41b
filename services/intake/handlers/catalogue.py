"""Admins change the category catalogue; every change is a new version saying who and
when, with each category it touched before and after, and an audit event in the same
transaction. A change may be kept for a later date: it is checked against today's catalogue
when asked and applied, when due, by the same code as an immediate one (`apply_scheduled`).
Retired categories stay readable (old tickets carry them) but refuse new calls."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.common import scheduled
from services.common.audit import record_change
from services.common.auth import Principal
from services.common.errors import Invalid, NotFound
from services.intake.adapters.pinyin import initials
from services.intake.domain.catalogue import (
    Catalogue,
    Category,
    Diff,
    Edit,
    as_of,
    changed,
    created,
    diff,
    moved,
    restored,
    retired,
)
from services.intake.handlers.context import IntakeContext
from services.intake.handlers.ports import UnitOfWork

KIND = "category"


def current(intake: IntakeContext) -> Catalogue:
    with intake.uow() as uow:
        return intake.catalogue.get(uow.catalogue)


def submit(
    intake: IntakeContext, payload: Mapping[str, Any], by: Principal, effective_at: datetime | None
) -> Edit | scheduled.ScheduledRead:
    """Applies the change now, or keeps it for `effective_at`; either way it must fit the
    catalogue as it is now (so a typo is refused when typed, not on the day)."""
    now = intake.clock()
    at = scheduled.when(effective_at, now)
    with intake.uow() as uow:
        catalogue = uow.catalogue.load()
        edit = plan(catalogue, payload)
        if at is None:
            write(uow, edit, catalogue.version + 1, by, now)
            uow.commit()
            return edit
        kept = scheduled.schedule(
            uow,
            kind=KIND,
            key=edit.code,
            payload=dict(payload),
            effective_at=at,
            by=by,
            now=now,
            summary=summary(edit),
        )
        uow.commit()
    return kept


def apply_scheduled(
    uow: UnitOfWork, payload: Mapping[str, Any], by: Principal, effective_at: datetime
) -> None:
    """A kept change, on its day, in the worker's transaction (the worker commits)."""
    catalogue = uow.catalogue.load()
    write(uow, plan(catalogue, payload), catalogue.version + 1, by, effective_at, effective_at)


def plan(catalogue: Catalogue, payload: Mapping[str, Any]) -> Edit:
    """The change a request body asks for (its `action`), against this catalogue."""
    version = catalogue.version + 1
    code, action = payload["code"], payload["action"]
    if action == "create":
        name, keywords = payload["name"], tuple(payload.get("keywords") or ())
        made = Category(code, name, payload.get("parent"), keywords, initials(name), version)
        return created(catalogue, made)
    if action == "change":
        name = payload.get("name")
        letters = initials(name) if name else ""
        return changed(catalogue, code, name, payload.get("keywords"), letters)
    if action == "move":
        return moved(catalogue, code, payload["parent"], version)
    if action == "retire":
        return retired(catalogue, code, version)
    if action == "restore":
        return restored(catalogue, code)
    raise Invalid("intake.category_action", field="action", action=action)


def write(
    uow: UnitOfWork,
    edit: Edit,
    version: int,
    by: Principal,
    at: datetime,
    effective_at: datetime | None = None,
) -> None:
    # The version row first: a second admin claiming the same number is refused (409)
    # before any of their categories is written.
    uow.catalogue.record(version, edit.action, edit.code, edit.before, edit.after, by.username, at)
    for before, after in edit.pairs:
        if before is None:
            uow.catalogue.insert(after)
        else:
            uow.catalogue.update(after)
    uow.catalogue.record_revisions(version, edit.pairs)
    record_change(
        uow,
        kind=KIND,
        key=edit.code,
        action=edit.action,
        by=by.username,
        at=at,
        before=edit.before,
        after=edit.after,
        version=version,
        summary=summary(edit),
        effective_at=effective_at,
    )


def summary(edit: Edit) -> str:
    """One line for the audit log, in the centre's language."""
    name = edit.after.name
    if edit.action == "move":
        return f"分类 {edit.code} {name} 移到 {edit.after.parent} 下，新编码 {edit.after.code}"
    if edit.action == "change" and edit.before and edit.before.name != name:
        return f"分类 {edit.code} 改名：{edit.before.name} → {name}"
    verbs = {"create": "新增", "change": "修改", "retire": "停用", "restore": "恢复"}
    count = f"（共 {len(edit.pairs)} 个）" if len(edit.pairs) > 1 else ""
    return f"{verbs.get(edit.action, edit.action)}分类 {edit.code} {name}{count}"


def tree(intake: IntakeContext, version: int | None) -> tuple[Catalogue, int]:
    """The whole tree as it stood after `version` (None: now), and the latest version."""
    with intake.uow() as uow:
        latest = intake.catalogue.get(uow.catalogue)
        if version is None or version == latest.version:
            return latest, latest.version
        if not 1 <= version <= latest.version:
            # A query parameter out of range: the input is wrong, no object is missing.
            key, found = "intake.catalogue_version_unknown", latest.version
            raise Invalid(key, field="version", version=version, latest=found)
        return as_of(latest, version, uow.catalogue.revisions_after(version)), latest.version


def versions_diff(intake: IntakeContext, older: int, newer: int) -> Diff:
    if older > newer:
        raise Invalid("intake.catalogue_version_order", field="b", a=older, b=newer)
    with intake.uow() as uow:
        latest = intake.catalogue.get(uow.catalogue)
        _known(newer, latest)
        later = uow.catalogue.revisions_after(older)
    return diff(as_of(latest, older, later), as_of(latest, newer, later))


def _known(version: int, latest: Catalogue) -> None:
    if not 1 <= version <= latest.version:
        raise NotFound("intake.catalogue_version_unknown", version=version, latest=latest.version)


def history(intake: IntakeContext, limit: int) -> list[dict[str, object]]:
    with intake.uow() as uow:
        return uow.catalogue.changes(limit)


def versions(intake: IntakeContext, limit: int) -> list[dict[str, Any]]:
    with intake.uow() as uow:
        return uow.catalogue.versions(limit)
