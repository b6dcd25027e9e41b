"""The terms Elasticsearch's built-in `cjk` analyzer makes of a text, computed in Python.

The embedded search index stores and queries these terms so that it returns the same hits as
Elasticsearch does with `"analyzer": "cjk"`. That analyzer is the standard tokenizer (Unicode
word boundaries, UAX #29), `cjk_width`, `lowercase`, `cjk_bigram` and an English stop list.
What that means for the texts a hotline sees:

- a run of adjacent Han, Hiragana, Katakana or Hangul characters becomes its overlapping
  bigrams ("夜间施工" -> 夜间, 间施, 施工); a character with no CJK neighbour stays a unigram.
  A one-character query therefore finds only characters that stand alone in the text;
- a run of letters and digits is one lowercased term; "." and "'" join letters or digits on
  both sides ("v1.2", "don't"), "," and ";" join digits ("12,345"), ":" and "·" join letters;
- full-width forms are folded to their usual width ("ＡＢ１" -> "ab1", "ｶﾞ" -> "ガ");
- an emoji (with its modifiers) is a term of its own;
- punctuation, other symbols and the English stop words of the analyzer are dropped.

Rare corners are not modelled and the two backends may disagree there: Thai and other scripts
written without spaces, Hebrew punctuation, variation selectors on emoji, and characters newer
than Python's Unicode database.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["STOP_WORDS", "tokens"]

# Lucene's CJKAnalyzer default stop set; Elasticsearch's `cjk` analyzer uses it unchanged.
STOP_WORDS = frozenset({
    "a", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
    "no", "not", "of", "on", "or", "s", "such", "t", "that", "the", "their", "then", "there",
    "these", "they", "this", "to", "was", "will", "with", "www",
})  # fmt: skip
MAX_TOKEN_LENGTH = 255  # the standard tokenizer cuts longer words into pieces of this size

# Character classes, named after the UAX #29 word-break properties they stand for. Each is one
# character so that a text's classes form a string that regular expressions can scan.
_OTHER, _HAN, _KATAKANA, _HANGUL, _LETTER, _DIGIT, _EXTEND_NUM_LET = "oHKGLDX"
_MID_LETTER, _MID_NUM, _MID_NUM_LET, _EXTEND, _EMOJI, _REGIONAL, _MODIFIER = "mnbEJRM"
_EMOJI_PARTS = frozenset({_EMOJI, _REGIONAL, _MODIFIER})
_ATTACHED = frozenset({_EXTEND, _MODIFIER})  # skin tones attach like combining marks
_WORD_PARTS = frozenset({_KATAKANA, _HANGUL, _LETTER, _DIGIT, _EXTEND_NUM_LET})
_ALETTER = frozenset({_LETTER, _HANGUL})
_ALNUM = frozenset({_LETTER, _HANGUL, _DIGIT})
_PURE_CJK_WORDS = ({_KATAKANA}, {_HANGUL})
_CJK_UNITS = re.compile("[HEM]*")  # what may follow an ideograph inside a bigram run
_NOTHING = re.compile("[omnbE]*")  # what starts no term

# (first, last, class) code point ranges, checked before the general category.
_RANGES = (
    # Ideographs and Hiragana: every character is its own token before bigramming.
    (0x2E80, 0x2FDF, _HAN), (0x3007, 0x3007, _HAN), (0x3021, 0x3029, _HAN),
    (0x3038, 0x303A, _HAN), (0x3041, 0x3096, _HAN), (0x309D, 0x309F, _HAN),
    (0x3400, 0x4DBF, _HAN), (0x4E00, 0x9FFF, _HAN), (0xF900, 0xFAFF, _HAN),
    (0x1B001, 0x1B11F, _HAN), (0x20000, 0x323AF, _HAN),
    (0x3031, 0x3035, _KATAKANA), (0x309B, 0x309C, _KATAKANA), (0x30A0, 0x30FA, _KATAKANA),
    (0x30FC, 0x30FF, _KATAKANA), (0x31F0, 0x31FF, _KATAKANA), (0x32D0, 0x32FE, _KATAKANA),
    (0x3300, 0x3357, _KATAKANA), (0x1B000, 0x1B000, _KATAKANA),
    (0x1100, 0x11FF, _HANGUL), (0x3131, 0x318E, _HANGUL), (0xA960, 0xA97F, _HANGUL),
    (0xAC00, 0xD7A3, _HANGUL), (0xD7B0, 0xD7FF, _HANGUL), (0xFFA0, 0xFFBE, _HANGUL),
    (0xFFC2, 0xFFC7, _HANGUL), (0xFFCA, 0xFFCF, _HANGUL), (0xFFD2, 0xFFD7, _HANGUL),
    (0xFFDA, 0xFFDC, _HANGUL),
    # Enclosed letters count as letters (Ⓐ, 🄰).
    (0x24B6, 0x24E9, _LETTER), (0x1F130, 0x1F149, _LETTER), (0x1F150, 0x1F169, _LETTER),
    (0x1F170, 0x1F189, _LETTER),
    (0x1F1E6, 0x1F1FF, _REGIONAL), (0x1F3FB, 0x1F3FF, _MODIFIER),
    # Emoji and pictographs (Extended_Pictographic): one token each, with their modifiers.
    (0x00A9, 0x00A9, _EMOJI), (0x00AE, 0x00AE, _EMOJI), (0x203C, 0x203C, _EMOJI),
    (0x2049, 0x2049, _EMOJI), (0x2122, 0x2122, _EMOJI), (0x2139, 0x2139, _EMOJI),
    (0x2194, 0x2199, _EMOJI), (0x21A9, 0x21AA, _EMOJI), (0x231A, 0x231B, _EMOJI),
    (0x2328, 0x2328, _EMOJI), (0x2388, 0x2388, _EMOJI), (0x23CF, 0x23CF, _EMOJI),
    (0x23E9, 0x23F3, _EMOJI), (0x23F8, 0x23FA, _EMOJI), (0x24C2, 0x24C2, _EMOJI),
    (0x25AA, 0x25AB, _EMOJI), (0x25B6, 0x25B6, _EMOJI), (0x25C0, 0x25C0, _EMOJI),
    (0x25FB, 0x25FE, _EMOJI), (0x2600, 0x2605, _EMOJI), (0x2607, 0x2612, _EMOJI),
    (0x2614, 0x2685, _EMOJI), (0x2690, 0x2705, _EMOJI), (0x2708, 0x2712, _EMOJI),
    (0x2714, 0x2714, _EMOJI), (0x2716, 0x2716, _EMOJI), (0x271D, 0x271D, _EMOJI),
    (0x2721, 0x2721, _EMOJI), (0x2728, 0x2728, _EMOJI), (0x2733, 0x2734, _EMOJI),
    (0x2744, 0x2744, _EMOJI), (0x2747, 0x2747, _EMOJI), (0x274C, 0x274C, _EMOJI),
    (0x274E, 0x274E, _EMOJI), (0x2753, 0x2755, _EMOJI), (0x2757, 0x2757, _EMOJI),
    (0x2763, 0x2767, _EMOJI), (0x2795, 0x2797, _EMOJI), (0x27A1, 0x27A1, _EMOJI),
    (0x27B0, 0x27B0, _EMOJI), (0x27BF, 0x27BF, _EMOJI), (0x2934, 0x2935, _EMOJI),
    (0x2B05, 0x2B07, _EMOJI), (0x2B1B, 0x2B1C, _EMOJI), (0x2B50, 0x2B50, _EMOJI),
    (0x2B55, 0x2B55, _EMOJI), (0x3030, 0x3030, _EMOJI), (0x303D, 0x303D, _EMOJI),
    (0x3297, 0x3297, _EMOJI), (0x3299, 0x3299, _EMOJI), (0x1F000, 0x1F0FF, _EMOJI),
    (0x1F10D, 0x1F10F, _EMOJI), (0x1F12F, 0x1F12F, _EMOJI), (0x1F16C, 0x1F16F, _EMOJI),
    (0x1F18A, 0x1F1E5, _EMOJI), (0x1F200, 0x1F3FA, _EMOJI), (0x1F400, 0x1F53D, _EMOJI),
    (0x1F546, 0x1F64F, _EMOJI), (0x1F680, 0x1F6FF, _EMOJI), (0x1F774, 0x1F77F, _EMOJI),
    (0x1F7D5, 0x1F7FF, _EMOJI), (0x1F80C, 0x1F80F, _EMOJI), (0x1F848, 0x1F84F, _EMOJI),
    (0x1F85A, 0x1F85F, _EMOJI), (0x1F888, 0x1F88F, _EMOJI), (0x1F8AE, 0x1F8FF, _EMOJI),
    (0x1F90C, 0x1F93A, _EMOJI), (0x1F93C, 0x1F945, _EMOJI), (0x1F947, 0x1FAFF, _EMOJI),
    (0x1FC00, 0x1FFFD, _EMOJI),
)  # fmt: skip
_PUNCTUATION_CLASSES = {
    **dict.fromkeys(":\u00b7\u0387\u05f4\u2027\ufe13\ufe55", _MID_LETTER),
    **dict.fromkeys(
        ",;\u037e\u0589\u060c\u060d\u066c\u07f8\u2044\ufe10\ufe14\ufe50\ufe54", _MID_NUM
    ),
    **dict.fromkeys(".'\u2018\u2019\u2024\ufe52", _MID_NUM_LET),
    "\u202f": _EXTEND_NUM_LET,
    # Word-break property Other although Unicode files them as letters or format characters.
    **dict.fromkeys("\u200b\u3006\u31bb\u31bc\u31bd\u31be\u31bf", _OTHER),
    "\u3005": _LETTER,
    "\u303b": _LETTER,
}
_BY_CATEGORY = {
    "Lu": _LETTER, "Ll": _LETTER, "Lt": _LETTER, "Lm": _LETTER, "Lo": _LETTER, "Nl": _LETTER,
    "Nd": _DIGIT, "Pc": _EXTEND_NUM_LET, "Mn": _EXTEND, "Mc": _EXTEND, "Me": _EXTEND,
    "Cf": _EXTEND,
}  # fmt: skip
# What `cjk_width` folds: full-width ASCII and half-width Katakana (not half-width Hangul).
_FULL_OR_HALF_WIDTH = re.compile("[\uff01-\uff5e\uff65-\uff9f]+")


class _ClassTable(dict[int, str]):
    """Code point -> class, filled on first sight; `str.translate` reads it."""

    def __missing__(self, code: int) -> str:
        cls = self[code] = _classify(chr(code))
        return cls


_CLASSES = _ClassTable()


def tokens(text: str) -> list[str]:
    """The terms of `text` in order, repeats kept; [] for a text with nothing searchable."""
    text = _FULL_OR_HALF_WIDTH.sub(_fold_width, text)
    classes = text.translate(_CLASSES)
    out: list[str] = []
    run_start = run_end = -1  # the CJK run waiting to become bigrams: text[run_start:run_end]
    i, n = 0, len(text)
    while i < n:
        cls = classes[i]
        end = i + 1
        if cls == _HAN or (cls in _ATTACHED and i == run_end):
            end = _scan(_CJK_UNITS, classes, end)
        elif cls in _WORD_PARTS:
            end, kinds = _word_end(classes, i)
            if kinds not in _PURE_CJK_WORDS:
                if not kinds <= {_EXTEND_NUM_LET}:  # underscores alone are not a word
                    _flush(text[run_start:run_end], out)
                    run_start = run_end = -1
                    _add_word(text[i:end], out)
                i = end
                continue
        elif cls in _EMOJI_PARTS:
            _flush(text[run_start:run_end], out)
            run_start = run_end = -1
            i = _emoji_end(text, classes, i)
            out.append(text[end - 1 : i])
            continue
        else:
            i = _scan(_NOTHING, classes, end)
            continue
        # Adjacent CJK characters, whatever their script, extend one run.
        if i != run_end:
            _flush(text[run_start:run_end], out)
            run_start = i
        i = run_end = end
    _flush(text[run_start:run_end], out)
    return out


def _scan(pattern: re.Pattern[str], classes: str, pos: int) -> int:
    """Where a run of `pattern`'s classes starting at `pos` ends (`pos` if there is none)."""
    found = pattern.match(classes, pos)
    return found.end() if found else pos


def _fold_width(match: re.Match[str]) -> str:
    # NFKC only on the half/full-width block, like `cjk_width`: over the whole text it would
    # also turn ① into 1 and ㎡ into m2, which Elasticsearch does not.
    return unicodedata.normalize("NFKC", match.group())


def _classify(ch: str) -> str:
    code = ord(ch)
    for first, last, cls in _RANGES:
        if first <= code <= last:
            return cls
    if ch in _PUNCTUATION_CLASSES:
        return _PUNCTUATION_CLASSES[ch]
    return _BY_CATEGORY.get(unicodedata.category(ch), _OTHER)


def _joins(before: str, after: str) -> bool:
    """Whether no word boundary falls between two adjacent word parts (UAX #29 WB5-WB13b)."""
    if before in _ALNUM and after in _ALNUM:
        return True
    if before == _KATAKANA and after == _KATAKANA:
        return True
    if after == _EXTEND_NUM_LET:
        return before in _WORD_PARTS
    return before == _EXTEND_NUM_LET and after in _WORD_PARTS


def _joins_across(before: str, mid: str, after: str) -> bool:
    """Whether punctuation `mid` stays inside a word (WB6/WB7 and WB11/WB12)."""
    if before in _ALETTER and after in _ALETTER:
        return mid in (_MID_LETTER, _MID_NUM_LET)
    if before == _DIGIT and after == _DIGIT:
        return mid in (_MID_NUM, _MID_NUM_LET)
    return False


def _word_end(classes: str, start: int) -> tuple[int, set[str]]:
    """Where the word starting at `start` ends, and the classes of its parts."""
    last = classes[start]
    kinds = {last}
    j, n = start + 1, len(classes)
    while j < n:
        cls = classes[j]
        if cls in _ATTACHED:
            j += 1
        elif _joins(last, cls):
            last = cls
            kinds.add(cls)
            j += 1
        else:
            after = _skip_attached(classes, j + 1)
            if after == n or not _joins_across(last, cls, classes[after]):
                break
            last = classes[after]
            kinds.update((cls, last))
            j = after + 1
    return j, kinds


def _skip_attached(classes: str, j: int) -> int:
    # Combining marks and format characters never separate anything (WB4).
    while j < len(classes) and classes[j] in _ATTACHED:
        j += 1
    return j


def _emoji_end(text: str, classes: str, start: int) -> int:
    """Where the emoji sequence (modifiers, ZWJ sequences, flag pairs) at `start` ends."""
    paired = classes[start : start + 2] == _REGIONAL * 2
    j = _skip_attached(classes, start + (2 if paired else 1))
    while classes[start] == _EMOJI and j < len(classes) and classes[j] == _EMOJI:
        if text[j - 1] != "\u200d":
            break
        j = _skip_attached(classes, j + 1)
    return j


def _flush(run: str, out: list[str]) -> None:
    if not run:
        return
    if len(run) == 1:
        out.append(run)
    else:
        out.extend([run[k : k + 2] for k in range(len(run) - 1)])


def _add_word(word: str, out: list[str]) -> None:
    for k in range(0, len(word), MAX_TOKEN_LENGTH):
        term = _lower(word[k : k + MAX_TOKEN_LENGTH])
        if term not in STOP_WORDS:
            out.append(term)


def _lower(word: str) -> str:
    if word.isascii():
        return word.lower()
    # One code point at a time, as Lucene does: no final sigma, "İ" -> "i".
    return "".join(ch.lower()[0] for ch in word)
