"""Admins change the category catalogue; every change is a new version saying who and
when. Retired categories stay readable (old tickets carry them) but refuse new calls."""

from __future__ import annotations

from dataclasses import replace

from services.common.auth import Principal
from services.common.errors import Conflict, Invalid, NotFound
from services.intake.adapters.pinyin import initials
from services.intake.domain.catalogue import (
    Catalogue,
    CatalogueError,
    Category,
    check_new,
    subtree,
)
from services.intake.handlers.context import IntakeContext


def current(intake: IntakeContext) -> Catalogue:
    with intake.uow() as uow:
        return intake.catalogue.get(uow.catalogue)


def create(
    intake: IntakeContext,
    code: str,
    name: str,
    parent: str | None,
    keywords: list[str],
    by: Principal,
) -> Category:
    now = intake.clock()
    with intake.uow() as uow:
        catalogue = uow.catalogue.load()
        try:
            check_new(catalogue, code, parent)
        except CatalogueError as exc:
            raise Invalid(exc.key, field=exc.field, **exc.params) from None
        version = catalogue.version + 1
        made = Category(code, name, parent, tuple(keywords), initials(name), version)
        uow.catalogue.insert(made)
        uow.catalogue.record(version, "create", code, None, made, by.username, now)
        uow.commit()
    return made


def change(
    intake: IntakeContext, code: str, name: str | None, keywords: list[str] | None, by: Principal
) -> Category:
    """Renames or re-keywords a category; tickets keep the path they were logged with."""
    now = intake.clock()
    with intake.uow() as uow:
        catalogue = uow.catalogue.load()
        before = _existing(catalogue, code)
        after = replace(
            before,
            name=name or before.name,
            initials=initials(name or before.name),
            keywords=tuple(keywords) if keywords is not None else before.keywords,
        )
        version = catalogue.version + 1
        uow.catalogue.update(after)
        uow.catalogue.record(version, "change", code, before, after, by.username, now)
        uow.commit()
    return after


def retire(intake: IntakeContext, code: str, by: Principal) -> list[Category]:
    """Retires the category and everything below it that is still active."""
    return _set_retired(intake, code, by, retire=True)


def restore(intake: IntakeContext, code: str, by: Principal) -> list[Category]:
    """Brings back a retired category (and its retired parents, so its path is usable)."""
    return _set_retired(intake, code, by, retire=False)


def _set_retired(intake: IntakeContext, code: str, by: Principal, retire: bool) -> list[Category]:
    now = intake.clock()
    with intake.uow() as uow:
        catalogue = uow.catalogue.load()
        _existing(catalogue, code)
        version = catalogue.version + 1
        touched = _retiring(catalogue, code, version) if retire else _restoring(catalogue, code)
        if not touched:
            raise Conflict("intake.category_unchanged", code=code)
        for _, after in touched:
            uow.catalogue.update(after)
        action = "retire" if retire else "restore"
        first_before, first_after = touched[0]
        uow.catalogue.record(version, action, code, first_before, first_after, by.username, now)
        uow.commit()
    return [after for _, after in touched]


def _retiring(catalogue: Catalogue, code: str, version: int) -> list[tuple[Category, Category]]:
    below = sorted(subtree(catalogue, code), key=lambda c: c.code)
    return [(c, replace(c, retired_in=version)) for c in below if not c.retired]


def _restoring(catalogue: Catalogue, code: str) -> list[tuple[Category, Category]]:
    chain = [c for c in catalogue.categories.values() if code.startswith(c.code)]
    chain.sort(key=lambda c: -len(c.code))
    return [(c, replace(c, retired_in=None)) for c in chain if c.retired]


def _existing(catalogue: Catalogue, code: str) -> Category:
    found = catalogue.get(code)
    if found is None:
        raise NotFound("intake.category_not_found", code=code)
    return found


def history(intake: IntakeContext, limit: int) -> list[dict[str, object]]:
    with intake.uow() as uow:
        return uow.catalogue.changes(limit)
