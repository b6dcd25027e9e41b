"""`hotline train-suggester` and `hotline suggester list|serve`: the category suggester's
versions in the configured intake database. Running instances pick up a new serving
version on their next suggestion."""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from services.common.clock import utcnow
from services.common.db import make_engine, uow_factory
from services.common.migrations import upgrade
from services.common.settings import Settings
from services.intake.adapters.orm import metadata
from services.intake.adapters.seed import load_categories, load_knowledge
from services.intake.adapters.unit_of_work import IntakeUnitOfWork
from services.intake.domain.suggest import Labelled
from services.intake.handlers.ports import CatalogueCache
from services.intake.handlers.suggest import Suggester, Trained


@contextmanager
def suggester(settings: Settings) -> Iterator[Suggester]:
    url = settings.database_url_for("intake")
    upgrade("intake", url)
    engine = make_engine(url)
    try:
        uow = uow_factory(engine, metadata, "intake", IntakeUnitOfWork)
        with uow() as work:
            # A database intake never started on: the catalogue it would seed.
            if not work.catalogue.version():
                work.catalogue.seed(load_categories(), utcnow())
                work.knowledge.seed(load_knowledge(), utcnow())
                work.commit()
        yield Suggester(uow, CatalogueCache())
    finally:
        engine.dispose()


def read_corpus(path: Path) -> list[Labelled]:
    """JSON lines of {"id", "text", "category"} and optionally "split" ("train"/"test");
    raises ValueError naming the line at fault."""
    items: list[Labelled] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ValueError(f"{path}: {exc.strerror}") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            split = row.get("split")
            test = None if split is None else split == "test"
            items.append(Labelled(str(row["id"]), str(row["text"]), str(row["category"]), test))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"{path}:{number}: {exc!r}") from exc
    return items


def train(settings: Settings, corpus: Path | None, serve: bool) -> Trained:
    items = read_corpus(corpus) if corpus else None
    source = f"corpus:{corpus.name}" if corpus else "tickets"
    with suggester(settings) as models:
        return models.train(f"cli:{getpass.getuser()}", source, items, serve)


def report(trained: Trained, serve: bool) -> str:
    e = trained.evaluation
    lines = [
        f"version {trained.version}: trained on {trained.trained_on}, "
        f"held out {e['n_test']}: top-1 {e['top1']:.1%}, top-3 {e['top3']:.1%}, "
        f"macro-F1 {e['macro_f1']:.3f}, p95 {e['p95_ms']} ms; keyword baseline "
        f"top-1 {e['baseline_top1']:.1%}, top-3 {e['baseline_top3']:.1%}"
    ]
    if trained.serving:
        lines.append(f"version {trained.version} now serves")
    elif not serve:
        lines.append(f"version {trained.version} kept, not serving (--no-serve)")
    else:
        lines.append(
            f"version {trained.version} kept, not serving: its top-3 {e['top3']:.1%} is "
            f"worse than the serving model's {trained.serving_top3:.1%} on the same tickets"
        )
    return "\n".join(lines)
