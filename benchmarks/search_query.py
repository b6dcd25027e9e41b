"""Query latency of the embedded search index at scale: a typical filtered full-text search
with facets, over N synthetic tickets (default 1,000,000).

    python -m benchmarks.search_query --docs 1000000 --queries 400
    python -m benchmarks.search_query --reuse          # query an index built before

Documents are made by folding synthetic ticket stories through the real projection, then
varying their ticket fields (text, category, area, date) and deriving again, so they have
the shape and size the service stores. The typical query: one common word, a district,
the last 90 days, facets on status, urgency, category, district and department, 20 hits by
relevance. Results go to stdout; the figures are written down in benchmarks/search.md.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from benchmarks import search_corpus
from services.search.adapters.fts import EmbeddedIndex
from services.search.adapters.index import DateRange, SearchRequest
from services.search.domain import derive
from services.search.domain.projection import apply

DISTRICTS = ["东城区", "西城区", "朝阳区", "丰台区", "石景山区", "海淀区", "门头沟区",
             "房山区", "通州区", "顺义区", "昌平区", "大兴区", "怀柔区", "平谷区", "密云区",
             "延庆区"]  # fmt: skip
TOPICS = {
    "01": ("城乡建设", ["噪音", "施工", "垃圾", "违建", "占道", "油烟", "绿化", "井盖"]),
    "02": ("公共服务", ["停水", "停电", "燃气", "供暖", "水压", "电梯", "物业", "维修"]),
    "03": ("交通出行", ["公交", "地铁", "停车", "拥堵", "信号灯", "出租车", "单车", "路面"]),
    "04": ("社会保障", ["医保", "社保", "养老", "工资", "欠薪", "退休", "低保", "就业"]),
    "05": ("市场监管", ["价格", "食品", "商场", "退款", "快递", "虚假", "质量", "维权"]),
}
FILLERS = ["小区", "楼下", "附近", "门口", "昨天晚上", "多次反映", "严重影响生活", "希望尽快处理",
           "已经三天", "老人孩子", "无人管理", "存在安全隐患", "要求相关部门", "一直没有解决",
           "号楼", "单元", "路口", "市场", "学校", "医院"]  # fmt: skip
NOW = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)
app = typer.Typer(add_completion=False)


def templates(count: int = 400) -> list[dict[str, Any]]:
    """Whole documents folded from synthetic stories: every stage from dispatched to closed."""
    docs: dict[str, dict[str, Any]] = {}
    for envelope in search_corpus.history(count, NOW, days=60, spike=0):
        docs[envelope.ticket_id] = apply(
            docs.get(envelope.ticket_id), envelope, _event(envelope), NOW
        )
    return list(docs.values())


def _event(envelope: Any) -> Any:
    from proto.registry import event_class

    return event_class(envelope.type, envelope.schema_version).model_validate(envelope.payload)


def _text(rng: random.Random, words: list[str]) -> str:
    parts = [rng.choice(FILLERS), rng.choice(words), rng.choice(FILLERS), rng.choice(words)]
    parts.insert(2, f"{rng.randint(1, 40)}号楼")
    return "，".join(["".join(parts[:3]), "".join(parts[3:]), rng.choice(FILLERS)])


def documents(total: int, seed: int = 11) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    shapes = templates()
    for n in range(total):
        doc = dict(rng.choice(shapes))
        top = rng.choice(list(TOPICS))
        name, words = TOPICS[top]
        district = rng.randrange(len(DISTRICTS))
        street, community = rng.randrange(12), rng.randrange(6)
        area = f"1101{district + 1:02d}{street + 1:03d}{community + 1:03d}"
        middle, leaf = rng.randrange(4), rng.randrange(5)
        created = NOW - timedelta(days=rng.uniform(0, 365))
        ticket = dict(doc["ticket"])
        ticket |= {
            "number": f"{created:%y%m%d}{n % 100000:05d}",
            "description": _text(rng, words),
            "category_code": f"{top}{middle + 1:02d}{leaf + 1:02d}",
            "category_path": [name, f"{name}{middle + 1}", f"{words[leaf]}问题"],
            "area_code": area,
            "area_path": [DISTRICTS[district], f"第{street + 1}街道", f"第{community + 1}社区"],
            "created_at": created.isoformat(),
        }
        doc |= {"ticket": ticket, "ticket_id": f"bench-{n:07d}"}
        yield derive.derive(doc)


def typical(rng: random.Random) -> SearchRequest:
    words = TOPICS[rng.choice(list(TOPICS))][1]
    district = f"1101{rng.randrange(len(DISTRICTS)) + 1:02d}"
    return SearchRequest(
        text=rng.choice(words),
        filters={"area_codes": [district]},
        ranges={"created_at": DateRange(NOW - timedelta(days=90), NOW)},
        facets=["status", "urgency", "category_code", "district_code", "department_code"],
        limit=20,
    )


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(index: EmbeddedIndex, queries: int, make: Any, seed: int = 3) -> dict[str, Any]:
    rng = random.Random(seed)
    for _ in range(20):  # warm the page cache and the statement cache
        index.search(make(rng))
    times, cpu, hits = [], [], []
    for _ in range(queries):
        request = make(rng)
        started, used = time.perf_counter(), time.process_time()
        result = index.search(request)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - used) * 1000)
        hits.append(result.total)
    # CPU time too: on a shared machine, wall time also counts the waits for a core.
    return {
        "queries": queries,
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(_percentile(times, 0.95), 1),
        "max_ms": round(max(times), 1),
        "cpu_p50_ms": round(statistics.median(cpu), 1),
        "cpu_p95_ms": round(_percentile(cpu, 0.95), 1),
        "median_total_hits": statistics.median(hits),
    }


@app.command()
def main(
    docs: Annotated[int, typer.Option(help="Tickets in the index")] = 1_000_000,
    queries: Annotated[int, typer.Option(help="Queries timed per kind")] = 400,
    path: Annotated[Path, typer.Option(help="Index file")] = Path("/tmp/hotline-bench/index.db"),
    reuse: Annotated[bool, typer.Option(help="Query the index already at --path")] = False,
) -> None:
    if not reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    index = EmbeddedIndex(path)
    index.ensure()
    report: dict[str, Any] = {"docs": docs}
    if not reuse:
        started = time.perf_counter()
        written = index.put_many(documents(docs))
        seconds = time.perf_counter() - started
        report["build"] = {"docs": written, "seconds": round(seconds, 1),
                           "docs_per_s": round(written / seconds)}  # fmt: skip
    report["file_mb"] = round(path.stat().st_size / 2**20)
    report["typical"] = measure(index, queries, typical)

    def words_only(rng: random.Random) -> SearchRequest:
        return SearchRequest(text=typical(rng).text, limit=20)

    def facets_only(rng: random.Random) -> SearchRequest:
        return SearchRequest(filters=typical(rng).filters, facets=typical(rng).facets, limit=20)

    def everything(rng: random.Random) -> SearchRequest:
        return SearchRequest(facets=typical(rng).facets, limit=20, sort="newest")

    report["word_only"] = measure(index, queries // 4, words_only)
    report["district_facets_no_text"] = measure(index, queries // 4, facets_only)
    report["no_text_no_filter_facets"] = measure(index, max(5, queries // 40), everything)
    index.close()
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    app()
