"""The category suggester on the labelled complaint corpus (benchmarks/suggest/corpus.jsonl):
the keyword baseline, the cold start and the trained model, each judged on the corpus's
fixed held-out split.

    python -m benchmarks.suggester                         # print the figures
    python -m benchmarks.suggester --out /tmp/suggest.json # and write them as JSON

For each model: top-1, top-3 and macro-F1 on the test split (also per style of text), the
suggestion latency p50/p95 of one text at a time after a warm-up, the training time, and
the learning curve (labelled texts per leaf 1, 2, 5, 10, 20, all → top-1/top-3, averaged
over a few draws). Every model chooses among all the catalogue's leaves, not only the 50
the corpus covers. The figures are written down in benchmarks/suggester.md.
"""

from __future__ import annotations

import json
import platform
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from services.intake.adapters.seed import load_categories, load_knowledge
from services.intake.adapters.suggester import Model, train
from services.intake.domain.catalogue import Catalogue
from services.intake.domain.suggest import evaluate, keyword_baseline, priors

CORPUS = Path(__file__).resolve().parent / "suggest" / "corpus.jsonl"
CURVE = (1, 2, 5, 10, 20)
WARM_UP = 20

app = typer.Typer(add_completion=False)
Predict = Callable[[str], list[str]]


def load(path: Path = CORPUS) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def codes(model: Model) -> Predict:
    return lambda text: [code for code, _ in model.top(text, 3)]


def latency_ms(predict: Predict, texts: Sequence[str]) -> dict[str, float]:
    for text in texts[:WARM_UP]:
        predict(text)
    times = []
    for text in texts:
        start = time.perf_counter()
        predict(text)
        times.append((time.perf_counter() - start) * 1000)
    cuts = statistics.quantiles(times, n=100)
    return {"p50": round(cuts[49], 2), "p95": round(cuts[94], 2), "n": len(times)}


def judged(predict: Predict, test: list[dict[str, str]]) -> dict[str, Any]:
    result = evaluate(predict, [r["text"] for r in test], [r["category"] for r in test])
    styles: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in test:
        styles[row["style"]].append(row)
    result["by_style"] = {
        style: {
            k: v
            for k, v in evaluate(
                predict, [r["text"] for r in rows], [r["category"] for r in rows]
            ).items()
            if k in ("top1", "top3", "n")
        }
        for style, rows in sorted(styles.items())
    }
    result["latency_ms"] = latency_ms(predict, [r["text"] for r in test])
    return result


def timed_train(rows: list[dict[str, str]], prior: list[tuple[str, str]]) -> tuple[Model, float]:
    start = time.perf_counter()
    model = train([r["text"] for r in rows], [r["category"] for r in rows], prior)
    return model, round(time.perf_counter() - start, 3)


def per_leaf(rows: list[dict[str, str]], n: int, rng: random.Random) -> list[dict[str, str]]:
    by_leaf: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_leaf[row["category"]].append(row)
    return [r for leaf in sorted(by_leaf) for r in rng.sample(by_leaf[leaf], n)]


def curve(
    train_rows: list[dict[str, str]],
    test: list[dict[str, str]],
    prior: list[tuple[str, str]],
    draws: int,
) -> list[dict[str, Any]]:
    texts, labels = [r["text"] for r in test], [r["category"] for r in test]
    smallest = min(
        sum(r["category"] == leaf for r in train_rows)
        for leaf in {r["category"] for r in train_rows}
    )
    points = []
    for n in CURVE:
        if n >= smallest:
            break
        scores = []
        for draw in range(draws):
            model, _ = timed_train(per_leaf(train_rows, n, random.Random(draw)), prior)
            scores.append(evaluate(codes(model), texts, labels))
        points.append(
            {
                "per_leaf": n,
                "draws": draws,
                "top1": round(statistics.mean(s["top1"] for s in scores), 4),
                "top3": round(statistics.mean(s["top3"] for s in scores), 4),
            }
        )
    model, _ = timed_train(train_rows, prior)
    final = evaluate(codes(model), texts, labels)
    points.append({"per_leaf": "all", "draws": 1, "top1": final["top1"], "top3": final["top3"]})
    return points


def run(draws: int) -> dict[str, Any]:
    rows = load()
    train_rows = [r for r in rows if r["split"] == "train"]
    test = [r for r in rows if r["split"] == "test"]
    catalogue = Catalogue.of(1, load_categories())
    prior = priors(catalogue, load_knowledge())

    models: dict[str, dict[str, Any]] = {}
    models["keyword"] = judged(keyword_baseline(catalogue), test) | {"train_s": 0.0}
    cold, cold_s = timed_train([], prior)
    models["cold_start"] = judged(codes(cold), test) | {"train_s": cold_s}
    trained, trained_s = timed_train(train_rows, prior)
    models["trained"] = judged(codes(trained), test) | {"train_s": trained_s}
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.platform()}",
        "corpus": {
            "texts": len(rows),
            "leaves": len({r["category"] for r in rows}),
            "train": len(train_rows),
            "test": len(test),
            "catalogue_leaves": len(catalogue.leaves()),
            "prior_documents": len(prior),
        },
        "models": models,
        "learning_curve": curve(train_rows, test, prior, draws),
    }


def table(report: dict[str, Any]) -> str:
    lines = [
        "| model | top-1 | top-3 | macro-F1 | p50 ms | p95 ms | training s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, m in report["models"].items():
        lat = m["latency_ms"]
        lines.append(
            f"| {name} | {m['top1']:.1%} | {m['top3']:.1%} | {m['macro_f1']:.3f} "
            f"| {lat['p50']} | {lat['p95']} | {m['train_s']} |"
        )
    lines += ["", "| model | " + " | ".join(report["models"]["trained"]["by_style"]) + " |"]
    lines.append("|---|" + "---:|" * len(report["models"]["trained"]["by_style"]))
    for name, m in report["models"].items():
        cells = [f"{s['top1']:.0%} / {s['top3']:.0%}" for s in m["by_style"].values()]
        lines.append(f"| {name} (top-1 / top-3) | " + " | ".join(cells) + " |")
    lines += ["", "| labelled texts per leaf | top-1 | top-3 |", "|---|---:|---:|"]
    for point in report["learning_curve"]:
        lines.append(f"| {point['per_leaf']} | {point['top1']:.1%} | {point['top3']:.1%} |")
    return "\n".join(lines)


@app.command()
def main(
    out: Annotated[Path | None, typer.Option(help="write the figures as JSON here")] = None,
    draws: Annotated[int, typer.Option(help="random draws per learning-curve point")] = 3,
) -> None:
    report = run(draws)
    corpus = report["corpus"]
    print(
        f"{report['date']} · {report['machine']}\n"
        f"corpus: {corpus['texts']} texts, {corpus['leaves']} leaves, "
        f"{corpus['train']} train / {corpus['test']} test; models choose among "
        f"{corpus['catalogue_leaves']} leaves\n"
    )
    print(table(report))
    if out is not None:
        out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    app()
