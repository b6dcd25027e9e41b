"""Writes benchmarks/suggest/corpus.jsonl: labelled complaint texts for 50 leaves of the
intake catalogue, composed from the hand-written phrase banks in banks.txt with a fixed seed.

    python -m benchmarks.suggest.make_corpus            # rewrite corpus.jsonl
    python -m benchmarks.suggest.make_corpus --check    # fail if corpus.jsonl differs

Each text is one caller's words in one of six styles (colloquial, rambling, short, typos,
places, several); README.md beside this file says how and what it cannot show. The output
depends only on banks.txt, the shared phrases below, the address seed and SEED.
"""

from __future__ import annotations

import json
import random
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED_DIR = HERE.parents[1] / "services" / "intake" / "seed"
CORPUS = HERE / "corpus.jsonl"
SEED = 20261203
PER_LEAF = 44
TEST_SHARE = 0.2
STYLES = ("colloquial", "rambling", "short", "typos", "places", "several")

OPENERS = (
    "喂你好，",
    "你好，",
    "喂，是热线吗？",
    "你好我想反映个事儿，",
    "我要投诉，",
    "同志你好，",
    "那个，我说一下啊，",
    "你好你好，",
    "我打电话是想问问，",
    "我想反映个情况，",
    "",
    "",
    "",
)
DURATIONS = (
    "好几天了",
    "都快一个月了",
    "从上礼拜就这样",
    "这都第三回了",
    "从去年到现在一直这样",
    "前天开始的",
    "今天早上才发现",
    "有小半年了",
    "天天这样",
    "每年都这样",
)
FEELINGS = (
    "实在受不了了",
    "家里老人孩子都受影响",
    "真是没办法了才打的电话",
    "打了好几次都没人管",
    "太气人了",
    "我们整个楼的人都有意见",
    "说了多少回了也没用",
    "心里特别着急",
    "这叫什么事儿啊",
    "我都快急死了",
)
FILLERS = (
    "我跟你说啊，",
    "反正就是，",
    "怎么说呢，",
    "你听我说，",
    "就是那个，",
    "说白了，",
    "唉，",
    "我再说一遍啊，",
)
CLOSERS = ("谢谢啊。", "麻烦你们了。", "你们给个回复。", "我等你们电话。", "就这事儿。", "")
SEVERAL = ("还有个事儿，", "顺便再说一下，", "另外啊，", "对了还有，", "还有就是，")
MAIN_AGAIN = ("主要还是", "最主要的是", "我今天打电话主要是说", "关键是")
# Homophones and near-forms callers' typed or transcribed words carry (错别字/同音字).
TYPOS = (
    ("已经", "以经"),
    ("反映", "反应"),
    ("投诉", "头诉"),
    ("处理", "处里"),
    ("物业", "务业"),
    ("小区", "小曲"),
    ("暖气", "暖器"),
    ("电梯", "电题"),
    ("垃圾", "拉圾"),
    ("停车", "挺车"),
    ("工资", "公资"),
    ("施工", "失工"),
    ("幼儿园", "幼儿圆"),
    ("燃气", "然气"),
    ("下水道", "下水到"),
    ("漏水", "露水"),
    ("油烟", "油咽"),
    ("烧烤", "烧考"),
    ("井盖", "井概"),
    ("信号灯", "信号登"),
    ("路灯", "路登"),
    ("邻居", "邻局"),
    ("培训", "陪训"),
    ("拖欠", "拖歉"),
    ("赶紧", "赶进"),
    ("麻烦", "麻凡"),
    ("受不了", "受不料"),
    ("厉害", "利害"),
    ("一直", "一只"),
    ("知道", "只道"),
    ("现在", "现再"),
    ("怎么", "咋么"),
    ("辞退", "辞腿"),
    ("老鼠", "老树"),
    ("噪音", "燥音"),
    ("停水", "亭水"),
    ("停电", "亭电"),
    ("公交", "公角"),
    ("出租车", "出组车"),
    ("扬尘", "杨尘"),
    ("装修", "装休"),
    ("违建", "违见"),
    ("群租", "群组"),
    ("广场舞", "广场午"),
    ("挂号", "挂好"),
    ("健身", "建身"),
    ("充电", "冲电"),
    ("遛狗", "溜狗"),
    ("的", "得"),
    ("在", "再"),
    ("没有", "没由"),
    ("楼道", "楼到"),
    ("开发商", "开发上"),
    ("辅导", "付导"),
    ("价格", "价隔"),
    ("单车", "单车子"),
    ("积水", "集水"),
    ("堵", "赌"),
    ("漏", "露"),
)
ROADS = (
    "路口",
    "地铁站旁边",
    "公交站那儿",
    "菜市场边上",
    "小学门口",
    "超市后头",
    "十字路口东北角",
    "过街天桥底下",
    "辅路上",
    "胡同口",
)
BUILDING = ("{n}号楼", "{n}号楼{u}单元", "{n}栋", "{n}号院", "{n}号楼{u}门")


@dataclass(frozen=True)
class Bank:
    code: str
    name: str
    what: tuple[str, ...]
    detail: tuple[str, ...]
    ask: tuple[str, ...]
    short: tuple[str, ...]


def banks(path: Path = HERE / "banks.txt") -> list[Bank]:
    result: list[Bank] = []
    head: tuple[str, str] | None = None
    parts: dict[str, tuple[str, ...]] = {}

    def flush() -> None:
        if head is not None:
            result.append(Bank(head[0], head[1], parts["W"], parts["D"], parts["A"], parts["S"]))

    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("= "):
            flush()
            code, name = line[2:].split()
            head, parts = (code, name), {}
        else:
            kind, phrases = line.split(" ", 1)
            parts[kind] = tuple(p.strip() for p in phrases.split("/") if p.strip())
    flush()
    return result


@dataclass(frozen=True)
class Places:
    districts: dict[str, str]
    streets: list[tuple[str, str]]  # (district code, street name)
    communities: list[tuple[str, str, str]]  # (district, street, community) names

    @classmethod
    def load(cls) -> Places:
        top = tomllib.loads((SEED_DIR / "addresses.toml").read_text(encoding="utf-8"))["areas"]
        names = {a["code"]: a["name"] for a in top}
        for part in sorted((SEED_DIR / "addresses").glob("*.toml")):
            for area in tomllib.loads(part.read_text(encoding="utf-8"))["areas"]:
                names[area["code"]] = area["name"]
        districts = {c: n for c, n in names.items() if len(c) == 6}
        streets = sorted((c[:6], n) for c, n in names.items() if len(c) == 9)
        communities = sorted(
            (names[c[:6]], names[c[:9]], n)
            for c, n in names.items()
            if len(c) == 12 and c[:9] in names
        )
        return cls(districts, streets, communities)

    def phrase(self, rng: random.Random, full: bool) -> str:
        district, street, community = rng.choice(self.communities)
        building = rng.choice(BUILDING).format(n=rng.randint(1, 28), u=rng.randint(1, 6))
        street_short = street.removesuffix("街道").removesuffix("地区")
        if full:
            return rng.choice(
                (
                    f"我是{district}{street}{community}的，住{building}，",
                    f"地址是{district}{street_short}{community}{building}，",
                    f"{district}{street}，{community}，{building}，",
                    f"我在{street_short}这边，{community}{rng.choice(ROADS)}，",
                )
            )
        return rng.choice(
            (
                f"我住{community}，",
                f"{street_short}{rng.choice(ROADS)}，",
                f"在{district}{street_short}，",
                f"{community}{building}，",
                "",
                "",
            )
        )


def pick(rng: random.Random, items: tuple[str, ...], n: int = 1) -> list[str]:
    return rng.sample(items, min(n, len(items)))


def misspell(text: str, rng: random.Random, rate: float) -> str:
    candidates = [(a, b) for a, b in TYPOS if a in text]
    rng.shuffle(candidates)
    changed = text
    for count, (right, wrong) in enumerate(candidates):
        if count == 0 or rng.random() < rate:
            changed = changed.replace(right, wrong, 1)
    return changed


def compose(style: str, bank: Bank, others: list[Bank], places: Places, rng: random.Random) -> str:
    what = pick(rng, bank.what, 2)
    if style == "short":
        text = rng.choice(bank.short)
        if rng.random() < 0.5:
            text = places.phrase(rng, full=False) + text
        if rng.random() < 0.4:
            text += rng.choice(("，", "。", "，")) + rng.choice(bank.ask)
        return text.strip("，") + rng.choice(("", "。", "！", "，快来人看看"))
    if style == "rambling":
        parts = [
            rng.choice(OPENERS),
            places.phrase(rng, full=rng.random() < 0.5),
            rng.choice(FILLERS),
            what[0] + "，",
            rng.choice(DURATIONS) + "，",
            *(d + "，" for d in pick(rng, bank.detail, 3)),
            rng.choice(FILLERS),
            what[1] + "，" if rng.random() < 0.5 else "",
            rng.choice(FEELINGS) + "，",
            rng.choice(bank.ask) + "，",
            rng.choice(CLOSERS),
        ]
        return "".join(parts).rstrip("，") + ("" if parts[-1] else "。")
    if style == "places":
        return (
            places.phrase(rng, full=True)
            + what[0]
            + "，"
            + (rng.choice(bank.detail) + "，" if rng.random() < 0.5 else "")
            + rng.choice(bank.ask)
            + "。"
        )
    if style == "several":
        other = rng.choice([b for b in others if b.code != bank.code])
        parts = [
            rng.choice(OPENERS),
            places.phrase(rng, full=False),
            what[0] + "，",
            rng.choice(bank.detail) + "，",
            rng.choice(SEVERAL),
            rng.choice(other.what) + "，",
            rng.choice(other.detail) + "。" if rng.random() < 0.3 else "",
            rng.choice(MAIN_AGAIN) + rng.choice(bank.short) + "的事，",
            rng.choice(bank.ask) + "。",
        ]
        return "".join(parts)
    parts = [
        rng.choice(OPENERS),
        what[0] + "，",
        rng.choice(DURATIONS) + "，" if rng.random() < 0.7 else "",
        rng.choice(bank.detail) + "，" if rng.random() < 0.6 else "",
        rng.choice(FEELINGS) + "，" if rng.random() < 0.5 else "",
        rng.choice(bank.ask) + "。",
    ]
    text = "".join(parts)
    if style == "typos":
        text = misspell(text, rng, rate=0.6)
        if rng.random() < 0.5:
            text = text.replace("，", " ").replace("。", "")
    return text


def held_out(bank: Bank, rng: random.Random) -> tuple[Bank, Bank]:
    """(train, test) banks: the test texts are written from phrases no training text uses,
    so a model is judged on new wordings of a problem, not on sentences it has seen."""

    def cut(items: tuple[str, ...], n: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
        held = set(rng.sample(range(len(items)), n))
        keep = tuple(p for i, p in enumerate(items) if i not in held)
        return keep, tuple(p for i, p in enumerate(items) if i in held)

    what, what_test = cut(bank.what, 2)
    detail, detail_test = cut(bank.detail, 1)
    ask, ask_test = cut(bank.ask, 1)
    short, short_test = cut(bank.short, 1)
    train = Bank(bank.code, bank.name, what, detail, ask, short)
    return train, Bank(bank.code, bank.name, what_test, detail_test, ask_test, short_test)


def texts(
    bank: Bank, others: list[Bank], places: Places, rng: random.Random, count: int
) -> list[tuple[str, str]]:
    seen: set[str] = set()
    rows: list[tuple[str, str]] = []
    attempts = 0
    while len(rows) < count:
        attempts += 1
        if attempts > count * 50:
            raise RuntimeError(f"{bank.code}: phrase bank too small for {count} texts")
        style = STYLES[len(rows) % len(STYLES)]
        text = compose(style, bank, others, places, rng).strip()
        if text not in seen:
            seen.add(text)
            rows.append((style, text))
    return rows


def generate() -> Iterator[dict[str, str]]:
    rng = random.Random(SEED)
    places = Places.load()
    halves = [held_out(bank, rng) for bank in banks()]
    # The other problem mentioned in a "several" call comes from training phrases only.
    others = [train for train, _ in halves]
    n_test = round(PER_LEAF * TEST_SHARE)
    number = 0
    for train, test in halves:
        rows = [("train", *row) for row in texts(train, others, places, rng, PER_LEAF - n_test)]
        rows += [("test", *row) for row in texts(test, others, places, rng, n_test)]
        for split, style, text in rows:
            number += 1
            yield {
                "id": f"c{number:04d}",
                "text": text,
                "category": train.code,
                "split": split,
                "style": style,
            }


def render() -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in generate())


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        same = CORPUS.exists() and CORPUS.read_text(encoding="utf-8") == text
        print("corpus.jsonl is up to date" if same else "corpus.jsonl differs from make_corpus")
        return 0 if same else 1
    CORPUS.write_text(text, encoding="utf-8")
    print(f"wrote {text.count(chr(10))} texts to {CORPUS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
