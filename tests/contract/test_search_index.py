"""One contract for the search index port, run against SQLite FTS5 and a real
Elasticsearch-API server (osmem-server): same documents in, same hits out."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from services.search.adapters.elastic import NODE_CLASS_ENV, ElasticIndex, make_client, mappings
from services.search.adapters.fts import SCHEMA_VERSION, EmbeddedIndex
from services.search.adapters.generations import EmbeddedGenerations
from services.search.adapters.index import (
    ADDED_FIELDS,
    TIME_ZONE,
    Bucket,
    DateRange,
    Histogram,
    SearchIndex,
    SearchRequest,
    SearchResult,
    text_values,
)
from services.search.adapters.labels import LabelStore
from services.search.config import SearchSettings
from services.search.domain.query import QuerySyntaxError
from services.search.domain.tokenize import tokens
from services.search.handlers import insights
from services.search.handlers.context import SearchContext
from tests.support import es_compat
from tests.support.peers import Peer

CITY = "北京市"
# (id, description, category path, area path below the city, status, request type)
CORPUS_ROWS = [
    ("t01", "望京西园三区5号楼楼下工地夜间施工噪音扰民，凌晨两点还在打桩，严重影响休息。",
     "城市管理/施工噪音", "朝阳区/望京街道", "dispatched", "complaint"),
    ("t02", "小区内广场舞音响声音过大，每天晚上八点到十点噪音扰民，希望社区协调。",
     "城市管理/生活噪音", "海淀区/学院路街道", "created", "complaint"),
    ("t03", "15号楼2单元停水已经两天，物业说是管道爆裂，没有通知何时恢复供水。",
     "公共服务/供水", "丰台区/方庄街道", "dispatched", "complaint"),
    ("t04", "独居老人家中停了三样：水、电、燃气，请尽快派人查看。",
     "公共服务/供电", "西城区/德胜街道", "created", "help"),
    ("t05", "道路井盖缺失，位于建国路与东三环交叉口东南角，存在安全隐患。",
     "市政设施/井盖", "朝阳区/建外街道", "dispatched", "report"),
    ("t06", "咨询新生儿医保办理流程及所需材料。",
     "社会保障/医疗保险", "西城区/金融街街道", "created", "consultation"),
    ("t07", "楼上住户装修电钻噪音从早上七点开始，违反装修时间规定。",
     "城市管理/生活噪音", "东城区/东华门街道", "dispatched", "complaint"),
    ("t08", "公交站牌信息错误，300路末班车时间与实际不符。",
     "交通运输/公交", "海淀区/中关村街道", "created", "complaint"),
    ("t09", "小区垃圾分类桶长期满溢无人清运，夏天异味严重，招引蚊蝇。",
     "城市管理/垃圾清运", "通州区/永顺镇", "dispatched", "complaint"),
    ("t10", "投诉商场免费WiFi无法连接，工作人员态度差。",
     "商业服务/消费纠纷", "朝阳区/三里屯街道", "created", "complaint"),
    ("t11", "5号楼电梯频繁故障，困人两次，物业维修不及时。",
     "特种设备/电梯", "昌平区/回龙观街道", "dispatched", "complaint"),
    ("t12", "建议在学校门口增设人行横道和减速带，上下学时段车辆车速过快。",
     "交通运输/道路设施", "海淀区/学院路街道", "created", "suggestion"),
    ("t13", "暖气不热，室温只有14度，供暖公司一直未上门检修。",
     "公共服务/供暖", "石景山区/八角街道", "dispatched", "complaint"),
    ("t14", "餐馆油烟直排，住户窗户上全是油污，夜间还有排风机噪音。",
     "生态环境/油烟污染", "东城区/和平里街道", "created", "complaint"),
    ("t15", "拖欠农民工工资三个月，共计4.5万元，包工头联系不上。",
     "劳动保障/欠薪", "大兴区/亦庄镇", "dispatched", "complaint"),
    ("t16", "表扬：朝阳区环卫工人拾金不昧，归还了市民遗失的钱包。",
     "城市管理/环境卫生", "朝阳区/六里屯街道", "created", "praise"),
    ("t17", "共享单车乱停乱放堵塞地铁站B口，行人无法通行。",
     "交通运输/共享单车", "海淀区/海淀街道", "dispatched", "complaint"),
    ("t18", "路灯不亮，小区北门外一段路晚上漆黑一片，存在安全隐患。",
     "市政设施/路灯", "房山区/长阳镇", "created", "complaint"),
    ("t19", "举报无证经营的黑诊所，地址在天通苑北二区3号楼底商。",
     "卫生健康/非法行医", "昌平区/天通苑北街道", "dispatched", "report"),
    ("t20", "夜间施工噪音问题已反映多次，渣土车夜间运输，尘土飞扬。",
     "城市管理/施工噪音", "大兴区/旧宫镇", "dispatched", "complaint"),
    ("t21", "户籍迁移咨询：子女随迁落户需要哪些证明？",
     "公安/户籍", "顺义区/胜利街道", "created", "consultation"),
    ("t22", "燃气费缴费后未到账，营业厅让等待，已经三天无法做饭。",
     "公共服务/燃气", "通州区/梨园镇", "dispatched", "complaint"),
    ("t23", "宠物狗在小区内不拴绳，吓到小孩，业主之间发生纠纷。",
     "社区治理/文明养犬", "丰台区/卢沟桥街道", "created", "complaint"),
    ("t24", "楼道堆放杂物和电动自行车充电，存在消防隐患。",
     "应急管理/消防安全", "西城区/展览路街道", "dispatched", "report"),
    ("t25", "地铁10号线车厢空调温度过低，乘客普遍反映太冷。",
     "交通运输/轨道交通", "海淀区/北太平庄街道", "created", "complaint"),
    ("t26", "小区门口的菜市场早上五点开始卸货，噪音很大。",
     "城市管理/生活噪音", "通州区/北苑街道", "dispatched", "complaint"),
    ("t27", "出租车拒载，车牌号京B·12345，从首都机场T3航站楼打车。",
     "交通运输/出租车", "顺义区/首都机场街道", "created", "complaint"),
    ("t28", "供热管道漏水，楼下车库积水严重。",
     "公共服务/供暖", "门头沟区/大峪街道", "dispatched", "complaint"),
    ("t29", "老旧小区加装电梯意见征集，一楼住户反对，希望街道协调。",
     "住房城乡建设/老旧小区改造", "东城区/景山街道", "created", "suggestion"),
    ("t30", "12345热线回访时未接到电话，要求重新回访。",
     "热线服务/回访", "西城区/月坛街道", "dispatched", "complaint"),
]  # fmt: skip
# Query -> the tickets it must find, worked out by hand from the corpus above.
EXPECTED = {
    "噪音": {"t01", "t02", "t07", "t14", "t20", "t26"},
    "夜间施工噪音": {"t01", "t20"},
    "小区 噪音 扰民": {"t02"},
    "5号楼": {"t01", "t11"},
    "水": {"t04"},
    "WiFi": {"t10"},
    "ＷＩＦＩ": {"t10"},
    "朝阳区 噪音": {"t01"},
    "施工噪音": {"t01", "t20"},
    "电梯 故障": {"t11"},
    "12345": {"t27", "t30"},
    "T3航站楼": {"t27"},
    "安全隐患": {"t05", "t18"},
    "停水": {"t03"},
    "供暖": {"t13", "t28"},
    "地震": set(),
}


def make_doc(ticket_id: str, description: str, **fields: Any) -> dict[str, Any]:
    """A document shaped like the projection's, with overridable fields."""
    day = int(ticket_id.lstrip("tx") or 0) % 28 + 1
    doc: dict[str, Any] = {
        "ticket_id": ticket_id,
        "number": f"2405{day:02d}{int(ticket_id.lstrip('tx') or 0):05d}",
        "status": "created",
        "request_type": "complaint",
        "urgency": "general",
        "channel": "phone",
        "description": description,
        "category_code": "c-general",
        "category_path": ["城市管理"],
        "area_code": "a-110105",
        "area_path": [CITY, "朝阳区"],
        "department_code": None,
        "department_name": None,
        "has_phone": True,
        "calls": 1,
        "created_at": f"2024-05-{day:02d}T09:30:00+08:00",
        "updated_at": f"2024-05-{day:02d}T09:30:00+08:00",
        "timeline": [
            {"event_id": f"e-{ticket_id}", "type": "TicketCreated",
             "at": f"2024-05-{day:02d}T01:30:00+00:00", "by": "agent1",
             "summary": "受理来电"},
        ],
    }  # fmt: skip
    return doc | fields


def corpus() -> list[dict[str, Any]]:
    return [
        make_doc(
            tid, text, status=status, request_type=kind,
            category_code="c-" + category.split("/")[-1], category_path=category.split("/"),
            area_code="a-" + area.split("/")[0], area_path=[CITY, *area.split("/")],
        )
        for tid, text, category, area, status, kind in CORPUS_ROWS
    ]  # fmt: skip


def reference_hits(docs: list[dict[str, Any]], query: str) -> set[str]:
    """What any adapter must return: docs holding every query term in their text fields."""
    wanted = set(tokens(query))
    return {
        d["ticket_id"]
        for d in docs
        if wanted <= {t for value in text_values(d) for t in tokens(value)}
    }


def ids(page: SearchResult) -> set[str]:
    return {hit["ticket_id"] for hit in page.hits}


def find(
    index: SearchIndex,
    text: str = "",
    filters: dict[str, Any] | None = None,
    limit: int = 20,
    offset: int = 0,
    **options: Any,
) -> SearchResult:
    request = SearchRequest(text, filters or {}, limit=limit, offset=offset, **options)
    return index.search(request)


# A corpus with every searchable field set, for filters, ranges, facets and paging.
DEPARTMENTS = ["D-JXS", "D-ZGC", "U-WATER", "G-CY"]
AREAS = ["110105001001", "110105001002", "110105002001", "110108001001"]
CATEGORIES = ["010101", "010102", "020101"]
STATUSES = ["dispatched", "resolved", "closed", "in_progress", "returned"]
# Uneven on purpose (phone most), so a facet's order is by count, then by value.
CHANNELS = ["phone", "web", "phone", "app", "phone", "email", "web"]
TEXTS = [
    "夜间施工噪音扰民",
    "施工 噪音 白天也有",
    "广场舞噪音，不是施工",
    "停水三天",
    "wifi is bad",
]
# 23:30 in Beijing: documents 13 hours apart fall on both sides of local midnights.
BASE = datetime(2024, 4, 28, 15, 30, tzinfo=UTC)


def structured_docs() -> list[dict[str, Any]]:
    docs = []
    for n in range(40):
        area, category = AREAS[n % 4], CATEGORIES[n % 3]
        department, status = DEPARTMENTS[n % 4], STATUSES[n % 5]
        created = BASE + timedelta(hours=13 * n)
        docs.append(make_doc(
            f"x{100 + n}", TEXTS[n % len(TEXTS)], status=status,
            category_code=category, category_codes=[category[:2], category[:4], category],
            area_code=area, area_codes=[area[:6], area[:9], area],
            district_code=area[:6], street_code=area[:9],
            department_code=department, channel=CHANNELS[n % len(CHANNELS)],
            department_codes=sorted({department, DEPARTMENTS[(n + 1) % 4]}) if n % 3 == 0
            else [department],
            is_open=status in ("dispatched", "in_progress", "returned"),
            created_at=created.isoformat(),
            due_at=None if n % 5 == 0 else (created + timedelta(hours=7 * (n % 7))).isoformat(),
            calls=1 + n % 3, m_rated=n % 2, m_solved=int(n % 4 == 1),
        ))  # fmt: skip
    return docs


def _at(doc: dict[str, Any], name: str) -> datetime | None:
    value = doc.get(name)
    return datetime.fromisoformat(value) if value else None


def reference(docs: list[dict[str, Any]], request: SearchRequest) -> list[dict[str, Any]]:
    """The documents a request without text must find, in its sort order (newest, oldest
    or due), computed here without any index."""

    def keeps(doc: dict[str, Any]) -> bool:
        for name, wanted in request.filters.items():
            values = doc.get(name)
            have = {str(v).lower() if isinstance(v, bool) else str(v)
                    for v in (values if isinstance(values, list) else [values])}  # fmt: skip
            if not have & ({wanted} if isinstance(wanted, str) else set(wanted)):
                return False
        for name, bounds in request.ranges.items():
            moment = _at(doc, name)
            if moment is None or (bounds.gte and moment < bounds.gte):
                return False
            if bounds.lt and moment >= bounds.lt:
                return False
        return True

    field, descending = {"newest": ("created_at", True), "oldest": ("created_at", False),
                         "due": ("due_at", False)}[request.sort]  # fmt: skip
    found = [d for d in docs if keeps(d)]
    dated = sorted((d for d in found if _at(d, field)), key=lambda d: d["ticket_id"])
    dated.sort(key=lambda d: _at(d, field), reverse=descending)  # type: ignore[arg-type,return-value]
    undated = sorted((d for d in found if not _at(d, field)), key=lambda d: d["ticket_id"])
    return dated + undated


def walk(index: SearchIndex, request: SearchRequest) -> list[str]:
    """Every hit of `request`, page by page through cursors."""
    seen: list[str] = []
    after = None
    for _ in range(100):
        page = index.search(replace(request, after=after))
        seen += [hit["ticket_id"] for hit in page.hits]
        if len(page.hits) < request.limit:
            return seen
        after = page.cursor
    raise AssertionError("cursor paging does not end")


def local_day(doc: dict[str, Any], name: str) -> str:
    moment = _at(doc, name)
    assert moment is not None
    return moment.astimezone(TIME_ZONE).date().isoformat()


def load(index: SearchIndex, docs: list[dict[str, Any]]) -> None:
    assert index.put_many(docs) == len(docs)
    index.refresh()


class SearchIndexContract:
    """The behaviours every `SearchIndex` adapter must have; subclasses provide `index`."""

    @pytest.fixture
    def index(self) -> Iterator[SearchIndex]:
        raise NotImplementedError

    def test_round_trip_keeps_every_key(self, index: SearchIndex) -> None:
        doc = make_doc("t1", "路灯不亮", extra={"nested": [1, "二", None]}, versions={})
        index.put(doc)
        assert index.get("t1") == doc
        assert index.get("nobody") is None

    def test_put_replaces_the_whole_document(self, index: SearchIndex) -> None:
        index.put(make_doc("t1", "楼下噪音扰民", extra="old"))
        index.put(make_doc("t1", "小区停水三天", status="dispatched"))
        index.refresh()
        stored = index.get("t1")
        assert stored is not None and "extra" not in stored
        assert stored["status"] == "dispatched"
        assert ids(find(index, "噪音")) == set()
        assert ids(find(index, "停水")) == {"t1"}
        assert find(index, "").total == 1

    def test_a_word_finds_its_ticket_and_an_absent_word_does_not(self, index: SearchIndex) -> None:
        load(index, [make_doc("t1", "楼下餐馆夜里噪音很大"), make_doc("t2", "路灯不亮")])
        assert ids(find(index, "噪音")) == {"t1"}
        assert ids(find(index, "停电")) == set()

    def test_every_word_must_match(self, index: SearchIndex) -> None:
        load(index, [make_doc("t1", "夜间施工噪音"), make_doc("t2", "白天装修噪音")])
        assert ids(find(index, "噪音 夜间")) == {"t1"}
        assert ids(find(index, "噪音 装修")) == {"t2"}
        assert ids(find(index, "夜间 装修")) == set()

    def test_a_single_character_matches_only_where_it_stands_alone(
        self, index: SearchIndex
    ) -> None:
        # Bigram analysis indexes 停水 as one term: 水 alone does not find it.
        load(index, [make_doc("t1", "家中停了：水、电。"), make_doc("t2", "小区停水")])
        assert ids(find(index, "水")) == {"t1"}
        assert ids(find(index, "停水")) == {"t2"}

    def test_sentences_match_inside_longer_text(self, index: SearchIndex) -> None:
        load(index, corpus())
        assert ids(find(index, "小区 噪音 扰民")) == {"t02"}
        assert ids(find(index, "夜间施工噪音")) == {"t01", "t20"}

    def test_latin_letters_and_digits(self, index: SearchIndex) -> None:
        load(index, corpus())
        assert ids(find(index, "5号楼")) == {"t01", "t11"}  # not 15号楼 (t03)
        assert ids(find(index, "wifi")) == ids(find(index, "ＷｉＦｉ")) == {"t10"}
        assert ids(find(index, "4.5万元")) == {"t15"}

    def test_the_address_and_later_callers_words_are_searched(self, index: SearchIndex) -> None:
        later = ["十一点还在打桩"]
        load(index, [
            make_doc("t1", "夜间施工", address="建国路88号院", more_descriptions=later),
            make_doc("t2", "夜间施工"),
        ])  # fmt: skip
        assert ids(find(index, "88号院")) == {"t1"}
        assert ids(find(index, "打桩 施工")) == {"t1"}
        assert ids(find(index, '"施工十一"')) == set()  # a phrase never spans two values

    def test_number_category_and_area_are_searched(self, index: SearchIndex) -> None:
        load(index, corpus())
        number = corpus()[4]["number"]
        assert ids(find(index, number)) == {"t05"}
        assert ids(find(index, "朝阳区 噪音")) == {"t01"}
        assert ids(find(index, "文明养犬")) == {"t23"}

    def test_filters_are_exact_keyword_matches(self, index: SearchIndex) -> None:
        load(index, corpus())
        page = find(index, "噪音", {"status": "dispatched"})
        assert ids(page) == {"t01", "t07", "t20", "t26"}
        both = find(index, "", {"status": "created", "request_type": "consultation"})
        assert ids(both) == {"t06", "t21"}
        assert ids(find(index, "", {"category_code": "c-供暖"})) == {"t13", "t28"}
        assert find(index, "", {"status": "dispatch"}).total == 0
        with pytest.raises(ValueError, match="description"):
            find(index, "", {"description": "噪音"})

    def test_pages_are_stable_and_total_counts_all(self, index: SearchIndex) -> None:
        docs = [make_doc(f"x{n}", "路灯不亮") for n in range(1, 26)]
        load(index, docs)
        pages = [find(index, "路灯", limit=10, offset=offset) for offset in (0, 10, 20)]
        assert [page.total for page in pages] == [25, 25, 25]
        assert [len(page.hits) for page in pages] == [10, 10, 5]
        everything = [hit["ticket_id"] for page in pages for hit in page.hits]
        newest_first = sorted(docs, key=lambda d: (-int(d["number"][4:6]), d["ticket_id"]))
        assert everything == [d["ticket_id"] for d in newest_first]
        assert find(index, "路灯", limit=0).total == 25
        with pytest.raises(ValueError):
            find(index, "路灯", offset=-1)

    def test_newest_first_compares_instants_not_strings(self, index: SearchIndex) -> None:
        load(index, [
            make_doc("t1", "路灯", created_at="2024-05-01T09:00:00+08:00"),  # 01:00 UTC
            make_doc("t2", "路灯", created_at="2024-05-01T02:00:00Z"),
            make_doc("t3", "路灯", created_at="not a date"),
        ])  # fmt: skip
        assert [hit["ticket_id"] for hit in find(index, "").hits] == ["t2", "t1", "t3"]

    def test_blank_query_matches_all_and_punctuation_matches_none(self, index: SearchIndex) -> None:
        load(index, corpus())
        assert find(index, "").total == find(index, "   ").total == len(CORPUS_ROWS)
        assert find(index, "，。！").total == 0
        assert find(index, "the").total == 0  # a stop word of the cjk analyzer

    @pytest.mark.parametrize("query", sorted(EXPECTED))
    def test_corpus_queries(self, index: SearchIndex, query: str) -> None:
        docs = corpus()
        load(index, docs)
        assert reference_hits(docs, query) == EXPECTED[query]
        assert ids(find(index, query, limit=50)) == EXPECTED[query]

    def test_list_fields_match_any_of_their_values(self, index: SearchIndex) -> None:
        docs = structured_docs()
        load(index, docs)
        for filters in (
            {"area_codes": "110105"},  # a district
            {"area_codes": "110105001"},  # a street
            {"area_codes": "110105001002"},  # a community
            {"department_codes": "G-CY"},
            {"department_codes": ["U-WATER", "D-ZGC"], "category_codes": "01"},
            {"status": ["resolved", "closed"], "is_open": "false"},
            {"is_open": "true", "street_code": "110108001"},
        ):
            request = SearchRequest(filters=filters, sort="newest", limit=100)
            expected = [d["ticket_id"] for d in reference(docs, request)]
            assert expected, filters
            assert [h["ticket_id"] for h in index.search(request).hits] == expected, filters

    def test_date_ranges_include_the_start_and_exclude_the_end(self, index: SearchIndex) -> None:
        docs = structured_docs()
        load(index, docs)
        start, end = BASE + timedelta(hours=13 * 5), BASE + timedelta(hours=13 * 9)
        request = SearchRequest(ranges={"created_at": DateRange(start, end)}, sort="oldest")
        assert [h["ticket_id"] for h in index.search(request).hits] == [
            "x105", "x106", "x107", "x108"
        ]  # fmt: skip
        open_ended = SearchRequest(ranges={"due_at": DateRange(lt=end)}, sort="due", limit=100)
        expected = [d["ticket_id"] for d in reference(docs, open_ended)]
        assert [h["ticket_id"] for h in index.search(open_ended).hits] == expected

    def test_facets_count_and_sum_per_value(self, index: SearchIndex) -> None:
        docs = structured_docs()
        load(index, docs)
        request = SearchRequest(
            filters={"area_codes": "110105"}, facets=["department_code", "status"],
            sums=["calls", "m_rated", "m_solved"], limit=0,
        )  # fmt: skip
        result = index.search(request)
        chosen = [d for d in docs if "110105" in d["area_codes"]]
        assert result.total == len(chosen)
        assert result.sums == {
            name: sum(d[name] for d in chosen) for name in ("calls", "m_rated", "m_solved")
        }
        counts = Counter(d["department_code"] for d in chosen)
        assert [(b.key, b.count) for b in result.facets["department_code"]] == sorted(
            counts.items(), key=lambda kv: (-kv[1], kv[0])
        )
        jxs = next(b for b in result.facets["department_code"] if b.key == "D-JXS")
        assert jxs.sums["calls"] == sum(
            d["calls"] for d in chosen if d["department_code"] == "D-JXS"
        )
        assert sum(b.count for b in result.facets["status"]) == len(chosen)

    def test_the_dashboard_counts_suggestions_decided_in_its_month(
        self, index: SearchIndex
    ) -> None:
        decided = [
            ("accepted", "2026-11-03T02:00:00Z"),
            ("accepted", "2026-11-30T15:59:00Z"),  # 23:59 on 30 November in Beijing
            ("overridden", "2026-11-12T08:00:00+08:00"),
            ("accepted", "2026-10-31T15:59:00Z"),  # still October in Beijing
            ("overridden", "2026-11-30T16:00:00Z"),  # already December
        ]
        docs = [
            make_doc(f"x2{i:02d}", "停水", suggestion_outcome=outcome, suggestion_decided_at=at)
            for i, (outcome, at) in enumerate(decided)
        ]
        load(index, [*docs, make_doc("x299", "停水")])
        reader = SearchContext(index, nullcontext, LabelStore())
        november = DateRange(
            insights.month_start(date(2026, 11, 1)), insights.month_start(date(2026, 12, 1))
        )
        assert insights.suggestions(reader, november) == {
            "accepted": 2, "overridden": 1, "decided": 3, "acceptance": 2 / 3,
        }  # fmt: skip
        september = DateRange(
            insights.month_start(date(2026, 9, 1)), insights.month_start(date(2026, 10, 1))
        )
        assert insights.suggestions(reader, september)["acceptance"] is None

    def test_channels_are_a_facet_and_a_filter(self, index: SearchIndex) -> None:
        docs = structured_docs()
        load(index, docs)
        since = BASE + timedelta(days=5)
        request = SearchRequest(
            ranges={"created_at": DateRange(since)}, facets=["channel"], sums=["calls"], limit=0
        )
        result = index.search(request)
        chosen = [d for d in docs if datetime.fromisoformat(d["created_at"]) >= since]
        counts = Counter(d["channel"] for d in chosen)
        assert [(b.key, b.count) for b in result.facets["channel"]] == sorted(
            counts.items(), key=lambda kv: (-kv[1], kv[0])
        )
        assert len(counts) == 4 and result.facets["channel"][0].key == "phone"
        web = next(b for b in result.facets["channel"] if b.key == "web")
        assert web.sums["calls"] == sum(d["calls"] for d in chosen if d["channel"] == "web")
        written = find(index, "", {"channel": ["web", "email"]}, limit=100)
        assert ids(written) == {d["ticket_id"] for d in docs if d["channel"] in ("web", "email")}

    @pytest.mark.parametrize("interval", ["day", "week", "month"])
    def test_histograms_bucket_in_beijing_time(self, index: SearchIndex, interval: str) -> None:
        docs = structured_docs()
        load(index, docs)
        histogram = Histogram("created_at", interval)  # type: ignore[arg-type]
        request = SearchRequest(histogram=histogram, sums=["m_rated"], limit=0)
        buckets = index.search(request).histogram
        expected: dict[str, list[dict[str, Any]]] = {}
        for doc in docs:
            day = datetime.fromisoformat(local_day(doc, "created_at"))
            if interval == "week":
                day -= timedelta(days=day.weekday())
            elif interval == "month":
                day = day.replace(day=1)
            expected.setdefault(day.date().isoformat(), []).append(doc)
        assert buckets == [
            Bucket(key, len(group), {"m_rated": sum(d["m_rated"] for d in group)})
            for key, group in sorted(expected.items())
        ]

    @pytest.mark.parametrize("sort", ["newest", "oldest", "due"])
    def test_cursors_walk_every_hit_once_in_order(self, index: SearchIndex, sort: str) -> None:
        docs = structured_docs()
        load(index, docs)
        request = SearchRequest(filters={"area_codes": "110105"}, sort=sort, limit=4)  # type: ignore[arg-type]
        expected = [d["ticket_id"] for d in reference(docs, replace(request, limit=100))]
        assert walk(index, request) == expected

    def test_phrases_and_exclusions(self, index: SearchIndex) -> None:
        docs = structured_docs()[:5]
        load(index, docs)
        assert ids(find(index, '"施工噪音"')) == {"x100"}
        assert ids(find(index, "施工 噪音")) == {"x100", "x101", "x102"}
        assert ids(find(index, "噪音 -广场舞")) == {"x100", "x101"}
        assert ids(find(index, '噪音 -"白天也有"')) == {"x100", "x102"}
        assert ids(find(index, '"施工 噪音"')) == {"x101"}

    def test_requests_it_cannot_answer_raise_value_errors(self, index: SearchIndex) -> None:
        load(index, structured_docs()[:3])
        for text in ('"未闭合', "噪音 -", "-噪音"):
            with pytest.raises(QuerySyntaxError):
                find(index, text)
        for options in (
            {"facets": ["description"]},
            {"sums": ["status"]},
            {"ranges": {"status": DateRange()}},
            {"after": [1, "x"]},  # relevance cannot be paged by cursor
            {"limit": 10_001},
        ):
            with pytest.raises(ValueError):
                find(index, "噪音", **options)

    def test_drop_then_ensure_starts_empty(self, index: SearchIndex) -> None:
        load(index, corpus())
        index.ensure()  # again: harmless
        assert find(index, "").total == len(CORPUS_ROWS)
        index.drop()
        index.ensure()
        index.refresh()
        assert find(index, "").total == 0
        assert index.get("t01") is None

    def test_ping(self, index: SearchIndex) -> None:
        assert isinstance(index, SearchIndex)
        assert index.ping() is True


class RebuildContract:
    """A rebuild fills a generation beside the live index, then swaps it in at once."""

    @pytest.fixture
    def rebuildable(self) -> Iterator[Any]:
        raise NotImplementedError

    def test_a_new_generation_is_unseen_until_promoted(self, rebuildable: Any) -> None:
        live: SearchIndex = rebuildable
        load(live, corpus()[:3])
        fresh = rebuildable.next_generation()
        load(fresh, structured_docs()[:5])
        assert find(live, "").total == 3 and find(fresh, "").total == 5
        rebuildable.promote(fresh)
        live.refresh()
        assert find(live, "").total == 5
        assert live.get("t01") is None and live.get("x100") is not None
        live.put(make_doc("t99", "路灯不亮"))
        live.refresh()
        assert find(fresh, "路灯").total == 1  # writes go to the promoted generation
        again = rebuildable.next_generation()
        assert find(again, "").total == 0
        rebuildable.promote(again)
        assert find(live, "").total == 0

    def test_generations_stay_until_pruned_and_a_discarded_one_goes(self, rebuildable: Any) -> None:
        first = rebuildable.live_generation()
        second = rebuildable.next_generation()
        rebuildable.promote(second)
        third = rebuildable.next_generation()
        rebuildable.discard(third)  # a rebuild that gave up
        assert rebuildable.generations() == [first, second.name]
        assert rebuildable.live_generation() == second.name
        with pytest.raises(ValueError):
            rebuildable.discard(second)
        rebuildable.promote(rebuildable.next_generation())
        newest = rebuildable.live_generation()
        assert rebuildable.prune(1) == [first, second.name]
        assert rebuildable.generations() == [newest]


class TestEmbeddedIndex(SearchIndexContract):
    @pytest.fixture
    def index(self, tmp_path: Path) -> Iterator[SearchIndex]:
        index = EmbeddedIndex(tmp_path / "search" / "index.db")
        index.ensure()
        yield index
        index.close()

    def test_threads_share_one_index(self, index: SearchIndex) -> None:
        def writer(worker: int) -> None:
            for n in range(100):
                index.put(make_doc(f"x{worker * 1000 + n}", "路灯不亮"))
                find(index, "路灯", limit=5)

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert find(index, "路灯").total == 400

    def test_an_index_of_the_previous_layout_keeps_its_documents(self, tmp_path: Path) -> None:
        path = tmp_path / "old.db"
        old = EmbeddedIndex(path)
        old.ensure()
        old.put(make_doc("t1", "路灯不亮"))
        old.close()
        with sqlite3.connect(path) as db:  # as the layout before the suggestion's columns
            for column in ("suggestion_outcome", "suggestion_decided_ms"):
                db.execute(f"ALTER TABLE search_docs DROP COLUMN {column}")
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")
        index = EmbeddedIndex(path)
        index.ensure()
        assert find(index, "路灯").total == 1
        index.put(make_doc("t2", "路灯", suggestion_outcome="accepted"))
        counted = index.search(SearchRequest(facets=["suggestion_outcome"], limit=0))
        assert counted.facets["suggestion_outcome"] == [Bucket("accepted", 1)]
        index.close()

    def test_index_lives_in_its_own_wal_file(self, tmp_path: Path) -> None:
        index = EmbeddedIndex(tmp_path / "own.db")
        index.ensure()
        index.put(make_doc("t1", "路灯"))
        assert (tmp_path / "own.db-wal").exists()
        index.close()
        assert index.ping() is False


def _settings(url: str) -> SearchSettings:
    name = f"hotline-test-{uuid.uuid4().hex[:12]}"
    return SearchSettings(
        search_backend="elasticsearch", elasticsearch_url=url, elasticsearch_index=name
    )


class TestEmbeddedGenerations(RebuildContract):
    @pytest.fixture
    def rebuildable(self, tmp_path: Path) -> Iterator[Any]:
        index = EmbeddedGenerations(tmp_path / "search")
        index.ensure()
        yield index
        index.close()

    def test_another_process_follows_the_swap(self, tmp_path: Path) -> None:
        writer, reader = EmbeddedGenerations(tmp_path), EmbeddedGenerations(tmp_path)
        writer.ensure()
        load(writer, corpus()[:2])
        assert find(reader, "").total == 2
        fresh = writer.next_generation()
        load(fresh, corpus()[:7])
        writer.promote(fresh)
        assert find(reader, "").total == 7
        old = sorted(p.name for p in tmp_path.glob("search-index-g*.db"))
        assert old == ["search-index-g1.db", "search-index-g2.db"]
        writer.promote(writer.next_generation())
        kept = sorted(p.name for p in tmp_path.glob("search-index-g*.db"))
        assert kept == ["search-index-g1.db", "search-index-g2.db", "search-index-g3.db"]
        assert writer.prune(2) == ["search-index-g1.db"]
        kept = sorted(p.name for p in tmp_path.glob("search-index-g*.db"))
        assert kept == ["search-index-g2.db", "search-index-g3.db"]
        writer.close()
        reader.close()


@pytest.mark.peers
class TestElasticGenerations(RebuildContract):
    @pytest.fixture
    def rebuildable(self, elasticsearch: Peer) -> Iterator[Any]:
        client = es_compat.test_client(elasticsearch.url)
        settings = _settings(elasticsearch.url)
        index = ElasticIndex(settings, client=client)
        index.ensure()
        yield index
        aliased = client.indices.get_alias(name=settings.elasticsearch_index)
        assert list(aliased.body) == [f"{settings.elasticsearch_index}-v3"]
        index.drop()
        client.close()


@pytest.mark.peers
class TestElasticIndex(SearchIndexContract):
    @pytest.fixture
    def index(self, elasticsearch: Peer) -> Iterator[SearchIndex]:
        client = es_compat.test_client(elasticsearch.url)
        index = ElasticIndex(_settings(elasticsearch.url), client=client)
        index.ensure()
        yield index
        index.drop()
        client.close()

    def test_alias_points_at_a_versioned_index(self, elasticsearch: Peer) -> None:
        settings = _settings(elasticsearch.url)
        client = es_compat.test_client(elasticsearch.url)
        index = ElasticIndex(settings, client=client)
        index.ensure()
        aliased = client.indices.get_alias(name=settings.elasticsearch_index)
        assert list(aliased.body) == [f"{settings.elasticsearch_index}-v1"]
        index.drop()
        assert not client.indices.exists_alias(name=settings.elasticsearch_index)
        client.close()

    def test_an_index_made_before_the_suggestions_fields_gains_them(
        self, elasticsearch: Peer
    ) -> None:
        settings = _settings(elasticsearch.url)
        alias = settings.elasticsearch_index
        client = es_compat.test_client(elasticsearch.url)
        before = mappings(settings.elasticsearch_analyzer)
        before["properties"] = {
            k: v for k, v in before["properties"].items() if k not in ADDED_FIELDS
        }
        client.indices.create(index=f"{alias}-v1", mappings=before, aliases={alias: {}})
        index = ElasticIndex(settings, client=client)
        index.ensure()
        load(index, [make_doc("t2", "路灯", suggestion_outcome="accepted")])
        counted = index.search(SearchRequest(facets=["suggestion_outcome"], limit=0))
        assert counted.facets["suggestion_outcome"] == [Bucket("accepted", 1)]
        index.drop()
        client.close()

    def test_node_class_comes_from_the_environment(
        self, elasticsearch: Peer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv(NODE_CLASS_ENV, "tests.support.es_compat.CompatNode")
        index = ElasticIndex(_settings(elasticsearch.url))
        index.ensure()
        index.put(make_doc("t1", "路灯不亮"))
        assert index.get("t1") is not None
        index.drop()
        index.close()
        monkeypatch.setenv(NODE_CLASS_ENV, "tests.support.es_compat.NoSuchNode")
        with pytest.raises(ValueError, match=NODE_CLASS_ENV):
            make_client(_settings(elasticsearch.url))

    def test_unreachable_server_pings_false(self) -> None:
        client = Elasticsearch("http://127.0.0.1:9", request_timeout=0.5, max_retries=0)
        assert ElasticIndex(_settings("http://127.0.0.1:9"), client=client).ping() is False


@pytest.mark.peers
def test_both_backends_return_the_same_tickets(tmp_path: Path, elasticsearch: Peer) -> None:
    client = es_compat.test_client(elasticsearch.url)
    backends: list[SearchIndex] = [
        EmbeddedIndex(tmp_path / "index.db"),
        ElasticIndex(_settings(elasticsearch.url), client=client),
    ]
    for backend in backends:
        backend.ensure()
        load(backend, corpus())
    filters: list[dict[str, str]] = [{}, {"status": "dispatched"}, {"request_type": "complaint"}]
    for query in EXPECTED:
        for chosen in filters:
            embedded, elastic = (find(b, query, chosen, limit=50) for b in backends)
            assert ids(embedded) == ids(elastic), (query, chosen)
            assert embedded.total == elastic.total, (query, chosen)
    for backend in backends:
        backend.drop()
        backend.ensure()
        load(backend, structured_docs())
    requests = [
        SearchRequest("噪音", {"area_codes": "110105"}, facets=["status", "department_code"],
                      sums=["calls", "m_rated"], histogram=Histogram("created_at", "week")),
        SearchRequest('"施工噪音" -广场舞', {"is_open": "true"}, facets=["street_code", "channel"]),
        SearchRequest("", {"channel": ["app", "email"]}, facets=["channel", "status"], limit=5,
                      sort="newest"),
        SearchRequest("", {"department_codes": ["G-CY", "U-WATER"]}, sort="due", limit=3,
                      ranges={"created_at": DateRange(BASE + timedelta(days=3))}),
        SearchRequest("wifi", {}, sort="oldest", limit=2,
                      histogram=Histogram("due_at", "day"), sums=["m_solved"]),
    ]  # fmt: skip
    for request in requests:
        embedded, elastic = (b.search(request) for b in backends)
        assert ids(embedded) == ids(elastic), request
        assert (embedded.total, embedded.facets, embedded.histogram, embedded.sums) == (
            elastic.total, elastic.facets, elastic.histogram, elastic.sums
        ), request  # fmt: skip
        if request.sort != "relevance":
            assert walk(backends[0], request) == walk(backends[1], request)
    for backend in backends:
        backend.drop()
        backend.close()
    client.close()
