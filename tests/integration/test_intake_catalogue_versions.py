"""Two admins claiming the same catalogue version: the second is refused (409) by the store,
and nothing of its change stays."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.common.db import make_engine, uow_factory
from services.common.errors import Conflict
from services.intake.adapters import catalogue_store
from services.intake.adapters.orm import metadata
from services.intake.domain.catalogue import Category

T0 = datetime(2026, 12, 3, tzinfo=UTC)


def test_a_version_taken_meanwhile_is_a_conflict_and_the_change_is_not_kept(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'intake.db'}")
    metadata.create_all(engine)
    uow = uow_factory(engine, metadata, "intake")
    first = Category("01", "城乡建设", None, (), "cxjs", 1)
    with uow() as u:
        catalogue_store.seed(u.session, [first], T0)
        u.commit()
    late = Category("02", "交通运输", None, (), "jtys", 2)
    with uow() as u:
        catalogue_store.record(u.session, 2, "create", "01", None, first, "admin1", T0)
        u.commit()
    with pytest.raises(Conflict), uow() as u:
        catalogue_store.insert_category(u.session, late)
        catalogue_store.record(u.session, 2, "create", "02", None, late, "admin2", T0)
        u.commit()
    with uow() as u:
        assert sorted(catalogue_store.load(u.session).categories) == ["01"]
        assert catalogue_store.version(u.session) == 2
