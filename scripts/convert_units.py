#!/usr/bin/env python3
"""Convert the GSO administrative-unit lists into danvan's reference files.

Usage (from the repository root):

    python3 scripts/convert_units.py ../shared/data/units

The argument is the folder holding the GSO exports (as kept in the public
repository sunshine-tech/VietnamProvinces):

    gso-communes-2021-02-03.csv     tree as of 3 Feb 2021
    gso-communes-2025-01-04.csv     tree as of 4 Jan 2025 (last before the reform)
    gso-conversion-2025-07-01.csv   official conversion table old commune -> new commune
    communes-2025-07-01.json        two-tier tree from 1 Jul 2025

It (re)writes, relative to the repository root (the parent of scripts/):

    reference/units/tree-2021-02-03.csv
    reference/units/tree-2025-01-04.csv
    reference/units/tree-2025-07-01.csv
    reference/units/lineage-2025-07-01.csv
    reference/units/NOTES.md
    reference/units/SOURCE.md

Python 3.11 standard library only. The script asserts the expected counts and
fails loudly on any value it does not know how to map.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = REPO_ROOT / "reference" / "units"

TREE_COLUMNS = ["code", "name", "kind", "level", "parent_code"]
LINEAGE_COLUMNS = ["level", "old_code", "new_code", "merge_kind", "note"]
LEVEL1_NOTE = "Suy ra từ bảng chuyển đổi xã"

# categories of findings reported in NOTES.md
CAT_CAP = "Cấp column contradicts the name (kind taken from the name)"
CAT_STRAY = "Conversion table: lines that are neither data nor a province heading"
CAT_JSON = "New tree: communes-2025-07-01.json vs the conversion table"
CAT_LEFT = "Conversion table: rows left out of the lineage"
CAT_MISS = "Pre-reform communes (tree-2025-01-04) absent from the conversion table"
CAT_COV = "Coverage"
CAT_REMAP = "Conversion table: old codes relinked by name (code slips in the table)"
CAT_COL = "Conversion table: old province column disagrees with the tree"
CAT_NAME = (
    "Conversion table: old commune name differs from the tree for the same "
    "code (spelling variants or renames between Jan and Jul 2025; code kept)"
)


class ConversionError(Exception):
    pass


def fail(msg: str) -> None:
    raise ConversionError(msg)


def clean(text: str) -> str:
    """NFC, trim, collapse internal whitespace (including newlines)."""
    return " ".join(unicodedata.normalize("NFC", text).split())


# --------------------------------------------------------------------------
# kinds
# --------------------------------------------------------------------------

# name prefix (lower-cased) -> kind, per level. Longest prefix first.
PROVINCE_PREFIXES = [("thành phố ", "thành phố"), ("tỉnh ", "tỉnh")]
DISTRICT_PREFIXES = [
    ("thành phố ", "thành phố"),
    ("thị xã ", "thị xã"),
    ("huyện ", "huyện"),
    ("quận ", "quận"),
]
COMMUNE_PREFIXES = [
    ("thị trấn ", "thị trấn"),
    ("phường ", "phường"),
    ("đặc khu ", "đặc khu"),
    ("xã ", "xã"),
]
# values of the "Cấp" column of the GSO commune lists -> kind
CAP_KINDS = {"xã": "xã", "phường": "phường", "thị trấn": "thị trấn"}
# "Cấp" value allowed on the rows of island districts that have no commune
CAP_EMPTY_COMMUNE = {"huyện"}


def kind_from_name(name: str, prefixes, what: str) -> str:
    low = name.lower()
    for prefix, kind in prefixes:
        if low.startswith(prefix):
            return kind
    fail(f"unknown {what} kind for name {name!r}")
    return ""  # unreachable


def kind_from_name_or_none(name: str, prefixes) -> str | None:
    low = name.lower()
    for prefix, kind in prefixes:
        if low.startswith(prefix):
            return kind
    return None


# --------------------------------------------------------------------------
# merge kinds (conversion-table notes)
# --------------------------------------------------------------------------

# key: note after clean() and lower-casing; value: slug
NOTE_SLUGS = {
    "nhập toàn bộ": "toan_bo",
    "nhập toàn bộ diện tích": "toan_bo_dien_tich",
    "nhập một phần": "mot_phan",
    "nhập một phần diện tích": "mot_phan_dien_tich",
    "nhâp một phần diện tích": "mot_phan_dien_tich",  # typo in the source
    "nhập một phần diện tích, toàn bộ dân số": "mot_phan_dien_tich_toan_bo_dan_so",
    "nhập một phần dân số": "mot_phan_dan_so",
    "giữ nguyên": "giu_nguyen",
    "đổi loại hình": "doi_loai_hinh",
    "đổi tên": "doi_ten",
}
NOTE_PATTERNS = [
    (re.compile(r"^sắp xếp toàn bộ (huyện|xã) .+ thành đặc khu .+$"), "sap_xep_dac_khu"),
    (re.compile(r"^phần còn lại sau khi tách một phần vào .+$"), "phan_con_lai"),
    (re.compile(r"^đổi tên từ một phần .+$"), "doi_ten_mot_phan"),
    (re.compile(r"^đổi tên, đổi loại hình từ một phần .+$"), "doi_ten_doi_loai_hinh_mot_phan"),
]
# what each slug means, for SOURCE.md ("whole": the whole old unit went into the new one)
SLUG_MEANING = {
    "toan_bo": "whole: all of the old unit went into the new one (Nhập toàn bộ)",
    "giu_nguyen": "whole: unchanged (Giữ nguyên)",
    "doi_loai_hinh": "whole: same unit, kind changed, e.g. thị trấn → xã (Đổi loại hình)",
    "doi_ten": "whole: same unit, renamed (Đổi tên)",
    "sap_xep_dac_khu": "whole: an island district or commune made into a đặc khu (Sắp xếp toàn bộ … thành đặc khu …)",
    "toan_bo_dien_tich": "whole area, but part of the population went elsewhere (Nhập toàn bộ diện tích)",
    "mot_phan": "part: only part of the old unit went into the new one (Nhập một phần)",
    "mot_phan_dien_tich": "part of the area (Nhập một phần diện tích)",
    "mot_phan_dan_so": "part of the population (Nhập một phần dân số)",
    "mot_phan_dien_tich_toan_bo_dan_so": "part of the area, all of the population (Nhập một phần diện tích, toàn bộ dân số)",
    "phan_con_lai": "part: what remained after part was split off to another commune (Phần còn lại sau khi tách …)",
    "doi_ten_mot_phan": "part, renamed (Đổi tên từ một phần …)",
    "doi_ten_doi_loai_hinh_mot_phan": "part, renamed and kind changed (Đổi tên, đổi loại hình từ một phần …)",
}


def note_slug(note: str) -> str:
    key = note.lower()
    if key in NOTE_SLUGS:
        return NOTE_SLUGS[key]
    for pattern, slug in NOTE_PATTERNS:
        if pattern.match(key):
            return slug
    fail(f"unknown conversion note {note!r}: add it to NOTE_SLUGS or NOTE_PATTERNS")
    return ""


# --------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


GSO_HEADER = ["Tỉnh Thành Phố", "Mã TP", "Quận Huyện", "Mã QH", "Phường Xã", "Mã PX", "Cấp"]


class Tree:
    def __init__(self, label: str):
        self.label = label
        self.units: dict[tuple[int, str], dict] = {}  # (level, code) -> row dict
        self.cap_values: Counter = Counter()
        self.kind_conflicts: list[str] = []
        self.island_districts: list[str] = []

    def add(self, level: int, code: str, name: str, kind: str, parent: str) -> None:
        key = (level, code)
        row = {"code": code, "name": name, "kind": kind, "level": level, "parent_code": parent}
        old = self.units.get(key)
        if old is not None:
            if old != row:
                fail(f"{self.label}: conflicting rows for level {level} code {code}: {old} vs {row}")
            return
        self.units[key] = row

    def level(self, level: int) -> list[dict]:
        return sorted((u for (lv, _), u in self.units.items() if lv == level), key=lambda u: u["code"])

    def get(self, level: int, code: str) -> dict | None:
        return self.units.get((level, code))

    def rows(self) -> list[dict]:
        return self.level(1) + self.level(2) + self.level(3)


def read_gso_tree(path: Path, label: str) -> Tree:
    rows = read_csv(path)
    header = [clean(h) for h in rows[0]]
    if header[: len(GSO_HEADER)] != GSO_HEADER:
        fail(f"{path.name}: unexpected header {header}")
    tree = Tree(label)
    for lineno, raw in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in raw):
            continue
        if len(raw) < 7:
            fail(f"{path.name}:{lineno}: short row {raw}")
        pname, pcode, dname, dcode, cname, ccode, cap = (clean(c) for c in raw[:7])
        if not re.fullmatch(r"\d{2}", pcode) or not re.fullmatch(r"\d{3}", dcode):
            fail(f"{path.name}:{lineno}: bad province/district code {raw}")
        tree.cap_values[cap] += 1
        tree.add(1, pcode, pname, kind_from_name(pname, PROVINCE_PREFIXES, "province"), "")
        tree.add(2, dcode, dname, kind_from_name(dname, DISTRICT_PREFIXES, "district"), pcode)
        if not ccode and not cname:
            if cap.lower() not in CAP_EMPTY_COMMUNE:
                fail(f"{path.name}:{lineno}: empty commune with Cấp {cap!r}")
            tree.island_districts.append(f"{dcode} {dname} ({pname})")
            continue
        if not re.fullmatch(r"\d{5}", ccode) or not cname:
            fail(f"{path.name}:{lineno}: bad commune {raw}")
        if cap.lower() not in CAP_KINDS:
            fail(f"{path.name}:{lineno}: unknown Cấp value {cap!r}")
        kind = CAP_KINDS[cap.lower()]
        by_name = kind_from_name_or_none(cname, COMMUNE_PREFIXES)
        if by_name is None:
            fail(f"{path.name}:{lineno}: commune name without a kind prefix: {cname!r}")
        if by_name != kind:
            # The name is the official designation; the Cấp column is wrong here.
            tree.kind_conflicts.append(f"{ccode} {cname} ({dname}): Cấp={cap!r}, kept kind {by_name!r} from the name")
            kind = by_name
        tree.add(3, ccode, cname, kind, dcode)
    return tree


PAREN_CODE = re.compile(r"^(.*\S)\s*\((\d+)\)$")


def split_paren(text: str, digits: int, what: str, lineno: int) -> tuple[str, str]:
    m = PAREN_CODE.match(text)
    if not m or len(m.group(2)) != digits:
        fail(f"conversion:{lineno}: cannot read {what} from {text!r}")
    return m.group(1), m.group(2)


def read_conversion(path: Path) -> tuple[list[dict], list[str], list[str]]:
    """Return the data rows (dicts), the province separator lines and stray lines seen."""
    rows = read_csv(path)
    # find the column-header line: the one naming the new and old commune codes
    header_idx = None
    for i, raw in enumerate(rows[:10]):
        cells = [clean(c).lower() for c in raw]
        if "mã xã mới" in cells and "mã xã cũ" in cells:
            header_idx = i
            break
    if header_idx is None:
        fail(f"{path.name}: column header line not found")
    cells = [clean(c).lower() for c in rows[header_idx]]
    want = {
        "new_province": "tỉnh, thành phố",
        "new_name": "tên xã mới",
        "new_code": "mã xã mới",
        "old_name": "tên xã cũ",
        "old_code": "mã xã cũ",
        "note": "ghi chú",
        "old_district": "quận/huyện",
        "old_province": "tỉnh cũ",
    }
    col = {}
    for key, title in want.items():
        if title not in cells:
            fail(f"{path.name}: column {title!r} missing from header {cells}")
        col[key] = cells.index(title)
    data, separators, stray = [], [], []
    for lineno, raw in enumerate(rows[header_idx + 1 :], start=header_idx + 2):
        raw = raw + [""] * (len(cells) - len(raw))
        vals = {k: clean(raw[i]) for k, i in col.items()}
        if not any(vals.values()):
            continue
        others = [v for k, v in vals.items() if k != "new_province"]
        if not any(others):
            # province separator line, e.g. "THÀNH PHỐ HÀ NỘI  ,,,,"; anything else with only
            # the first cell filled (e.g. "Tỉnh Bắc Ninh (24),,,,") carries no pair: note it, skip it
            if vals["new_province"] == vals["new_province"].upper():
                separators.append(vals["new_province"])
            else:
                stray.append(f"{path.name}:{lineno}: line with only {vals['new_province']!r}, skipped")
            continue
        vals["lineno"] = lineno
        vals["new_province_name"], vals["new_province_code"] = split_paren(
            vals["new_province"], 2, "new province", lineno
        )
        vals["old_province_name"], vals["old_province_code"] = split_paren(
            vals["old_province"], 2, "old province", lineno
        )
        vals["old_district_name"], vals["old_district_code"] = split_paren(
            vals["old_district"], 3, "old district", lineno
        )
        if not re.fullmatch(r"\d{5}", vals["new_code"]):
            fail(f"{path.name}:{lineno}: bad new commune code {vals['new_code']!r}")
        if vals["old_code"] and not re.fullmatch(r"\d{5}", vals["old_code"]):
            fail(f"{path.name}:{lineno}: bad old commune code {vals['old_code']!r}")
        data.append(vals)
    return data, separators, stray


# --------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------


# Outputs are collected here and written only once every check has passed, so that a failed
# run leaves the previous files untouched.
PENDING: dict[Path, str] = {}


def write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([r[c] for c in columns])
    PENDING[path] = buf.getvalue()


def write_text(path: Path, text: str) -> None:
    PENDING[path] = text if text.endswith("\n") else text + "\n"


def flush_outputs() -> None:
    for path, text in PENDING.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="\n") as f:
            f.write(text)


def expect(label: str, got: int, want: int) -> None:
    status = "ok" if got == want else "MISMATCH"
    print(f"  {label}: {got} (expected {want}) {status}")
    if got != want:
        fail(f"{label}: got {got}, expected {want}")


# --------------------------------------------------------------------------
# comparing two trees (2021 vs 2025-01-04)
# --------------------------------------------------------------------------

TONE_FIX = {  # old-style tone placement -> new style, for "cosmetic" name changes
    "oà": "òa", "oá": "óa", "oả": "ỏa", "oã": "õa", "oạ": "ọa",
    "oè": "òe", "oé": "óe", "oẻ": "ỏe", "oẽ": "õe", "oẹ": "ọe",
    "uỳ": "ùy", "uý": "úy", "uỷ": "ủy", "uỹ": "ũy", "uỵ": "ụy",
}


def fold(name: str) -> str:
    s = name.lower()
    for a, b in TONE_FIX.items():
        s = s.replace(a, b)
    s = re.sub(r"\b0+(\d)", r"\1", s)  # "Phường 05" = "Phường 5"
    s = s.replace("\u2019", "'")  # typographic apostrophe
    return " ".join(s.split())


def strip_kind(name: str, level: int) -> str:
    prefixes = {1: PROVINCE_PREFIXES, 2: DISTRICT_PREFIXES, 3: COMMUNE_PREFIXES}[level]
    low = fold(name)
    for prefix, _ in prefixes:
        if low.startswith(prefix):
            return low[len(prefix) :]
    return low


def compare_trees(old: Tree, new: Tree, old_label: str, new_label: str) -> tuple[str, dict]:
    """Compare two pre-reform trees code by code; return a Markdown report and the numbers."""
    lines = []
    stats = {}
    names = {1: "provinces", 2: "districts", 3: "communes"}
    lines.append(
        f"| level | in {old_label} | in {new_label} | identical (code, name, parent) | only in {old_label} "
        f"| only in {new_label} | name changed | …cosmetic (case, spacing, tone placement, leading 0) "
        f"| …kind only, same base name | …took the name of a unit dissolved since {old_label} "
        f"| …other rename | parent changed |"
    )
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    examples = defaultdict(list)
    for level in (1, 2, 3):
        o = {u["code"]: u for u in old.level(level)}
        n = {u["code"]: u for u in new.level(level)}
        both = o.keys() & n.keys()
        identical = sum(1 for c in both if (o[c]["name"], o[c]["parent_code"]) == (n[c]["name"], n[c]["parent_code"]))
        only_old = sorted(o.keys() - n.keys())
        only_new = sorted(n.keys() - o.keys())
        name_changed = [c for c in sorted(both) if o[c]["name"] != n[c]["name"]]
        cosmetic = [c for c in name_changed if fold(o[c]["name"]) == fold(n[c]["name"])]
        kind_only = [
            c for c in name_changed
            if c not in cosmetic and strip_kind(o[c]["name"], level) == strip_kind(n[c]["name"], level)
        ]
        dissolved_names = defaultdict(set)  # (parent, base name) of units only in old
        for c in only_old:
            dissolved_names[(o[c]["parent_code"], strip_kind(o[c]["name"], level))].add(c)
        took_name = [
            c for c in name_changed
            if c not in cosmetic and c not in kind_only
            and (o[c]["parent_code"], strip_kind(n[c]["name"], level)) in dissolved_names
        ]
        other = [c for c in name_changed if c not in cosmetic and c not in kind_only and c not in took_name]
        parent_changed = [c for c in sorted(both) if o[c]["parent_code"] != n[c]["parent_code"]]
        stats[level] = dict(
            old=len(o), new=len(n), identical=identical, only_old=len(only_old), only_new=len(only_new),
            name_changed=len(name_changed), cosmetic=len(cosmetic), kind_only=len(kind_only),
            took_name=len(took_name), other=len(other), parent_changed=len(parent_changed),
        )
        if level == 3:
            # does any commune code move to another province?
            stats["province_moves"] = sum(
                1 for c in both
                if old.get(2, o[c]["parent_code"])["parent_code"] != new.get(2, n[c]["parent_code"])["parent_code"]
            )
        lines.append(
            f"| {level} {names[level]} | {len(o)} | {len(n)} | {identical} | {len(only_old)} | {len(only_new)} "
            f"| {len(name_changed)} | {len(cosmetic)} | {len(kind_only)} | {len(took_name)} | {len(other)} "
            f"| {len(parent_changed)} |"
        )
        for c in only_old[:5]:
            examples[f"level {level}, only in {old_label}"].append(f"{c} {o[c]['name']}")
        for c in only_new[:5]:
            examples[f"level {level}, only in {new_label}"].append(f"{c} {n[c]['name']}")
        for label, codes in (("cosmetic", cosmetic), ("kind changed", kind_only),
                             ("took a dissolved unit's name", took_name), ("other rename", other)):
            for c in codes[:5]:
                examples[f"level {level}, {label}"].append(f"{c} {o[c]['name']} → {n[c]['name']}")
        for c in parent_changed[:5]:
            examples[f"level {level}, parent changed"].append(
                f"{c} {n[c]['name']}: {o[c]['parent_code']} → {n[c]['parent_code']}"
            )
    lines.append("")
    lines.append("Examples (at most five each):")
    lines.append("")
    for key, vals in examples.items():
        lines.append(f"- {key}: " + "; ".join(vals))
    return "\n".join(lines), stats


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        print("error: give the source folder, e.g. ../shared/data/units", file=sys.stderr)
        return 2
    src = Path(argv[1])
    exceptions: dict[str, list[str]] = defaultdict(list)  # category -> findings; reported, not fatal

    # ---- 1. tree 2025-01-04 --------------------------------------------------
    print("== tree-2025-01-04")
    t25 = read_gso_tree(src / "gso-communes-2025-01-04.csv", "2025-01-04")
    print(f"  Cấp values: {dict(t25.cap_values)}")
    expect("provinces", len(t25.level(1)), 63)
    expect("districts", len(t25.level(2)), 696)
    expect("communes", len(t25.level(3)), 10051)
    expect("island districts without communes", len(t25.island_districts), 5)
    for k in t25.kind_conflicts:
        exceptions[CAT_CAP].append(f"tree-2025-01-04: {k}")
    write_csv(OUT_DIR / "tree-2025-01-04.csv", TREE_COLUMNS, t25.rows())

    # ---- 4. tree 2021-02-03 --------------------------------------------------
    print("== tree-2021-02-03")
    t21 = read_gso_tree(src / "gso-communes-2021-02-03.csv", "2021-02-03")
    print(f"  Cấp values: {dict(t21.cap_values)}")
    expect("provinces", len(t21.level(1)), 63)
    expect("districts", len(t21.level(2)), 705)
    expect("communes", len(t21.level(3)), 10603)
    expect("island districts without communes", len(t21.island_districts), 5)
    for k in t21.kind_conflicts:
        exceptions[CAT_CAP].append(f"tree-2021-02-03: {k}")
    write_csv(OUT_DIR / "tree-2021-02-03.csv", TREE_COLUMNS, t21.rows())

    # ---- conversion table ----------------------------------------------------
    print("== gso-conversion-2025-07-01")
    conv, separators, stray = read_conversion(src / "gso-conversion-2025-07-01.csv")
    print(f"  data rows: {len(conv)}, province separator lines: {len(separators)}, stray lines: {len(stray)}")
    exceptions[CAT_STRAY].extend(stray)
    # 33 upper-case province headings; where PHÚ THỌ's should be the file has "Tỉnh Bắc Ninh (24),,,,"
    expect("province separator lines + stray lines", len(separators) + len(stray), 34)
    raw_notes = Counter(r["note"] for r in conv)
    note_values = sorted(raw_notes)

    # ---- 2. tree 2025-07-01 --------------------------------------------------
    print("== tree-2025-07-01")
    with (src / "communes-2025-07-01.json").open(encoding="utf-8") as f:
        jcommunes = json.load(f)
    new_prov_name: dict[str, str] = {}  # code -> name (from the conversion table)
    commune_prov: dict[str, str] = {}  # new commune code -> new province code (conversion table)
    commune_name_conv: dict[str, set] = defaultdict(set)
    for r in conv:
        pc, pn = r["new_province_code"], r["new_province_name"]
        if new_prov_name.setdefault(pc, pn) != pn:
            fail(f"conversion:{r['lineno']}: province {pc} named both {new_prov_name[pc]!r} and {pn!r}")
        if commune_prov.setdefault(r["new_code"], pc) != pc:
            fail(f"conversion:{r['lineno']}: new commune {r['new_code']} in provinces {commune_prov[r['new_code']]} and {pc}")
        commune_name_conv[r["new_code"]].add(r["new_name"])
    prov_code_by_name = {n: c for c, n in new_prov_name.items()}
    if len(prov_code_by_name) != len(new_prov_name):
        fail("two new provinces share a name")

    t_new = Tree("2025-07-01")
    for code, name in new_prov_name.items():
        t_new.add(1, code, name, kind_from_name(name, PROVINCE_PREFIXES, "province"), "")
    json_codes = set()
    cosmetic_name_diffs = 0
    for item in jcommunes:
        if not isinstance(item.get("code"), int):
            fail(f"JSON commune with a non-integer code: {item}")
        code = f"{item['code']:05d}"
        if code in json_codes:
            fail(f"JSON: duplicate code {code}")
        json_codes.add(code)
        name = clean(item["name"])
        kind = kind_from_name(name, COMMUNE_PREFIXES, "new commune")
        if kind not in ("xã", "phường", "đặc khu"):
            fail(f"JSON: commune {code} {name!r} has kind {kind!r}")
        if not name[0].isupper():
            exceptions[CAT_JSON].append(f"JSON name not capitalised: {code} {name!r} (kept as in the file)")
        jprov = clean(item["province_name"])
        if jprov not in prov_code_by_name:
            fail(f"JSON: commune {code} has unknown province_name {jprov!r}")
        conv_prov = commune_prov.get(code)
        if conv_prov is None:
            exceptions[CAT_JSON].append(f"new commune {code} {name} is in the JSON but not in the conversion table")
            parent = prov_code_by_name[jprov]
        else:
            parent = conv_prov
            if prov_code_by_name[jprov] != conv_prov:
                exceptions[CAT_JSON].append(
                    f"province disagreement for new commune {code} {name}: conversion table {conv_prov}, "
                    f"JSON province_name {jprov!r} ({prov_code_by_name[jprov]}); kept the table's"
                )
            conv_names = commune_name_conv[code]
            if {fold(n) for n in conv_names} == {fold(name)}:
                if conv_names != {name}:
                    cosmetic_name_diffs += 1
            elif conv_names != {name}:
                exceptions[CAT_JSON].append(f"new commune {code}: JSON name {name!r}, conversion table {sorted(conv_names)}")
        t_new.add(3, code, name, kind, parent)
    if cosmetic_name_diffs:
        exceptions[CAT_JSON].append(
            f"{cosmetic_name_diffs} new communes spelled differently only by case, tone placement (Hoà/Hòa) "
            f"or apostrophe (’/') in the JSON and the table; the JSON's spelling is kept"
        )
    for code in sorted(set(commune_prov) - json_codes):
        exceptions[CAT_JSON].append(f"new commune {code} is in the conversion table but not in the JSON")
    expect("provinces", len(t_new.level(1)), 34)
    expect("communes", len(t_new.level(3)), 3321)
    new_kinds = Counter(u["kind"] for u in t_new.level(3))
    print(f"  commune kinds: {dict(new_kinds)}")
    write_csv(OUT_DIR / "tree-2025-07-01.csv", TREE_COLUMNS, t_new.rows())

    # ---- 3. lineage ----------------------------------------------------------
    print("== lineage-2025-07-01")
    lineage: list[dict] = []
    seen_pairs = set()
    skipped_rows = []
    unknown_old = []
    province_links: dict[str, Counter] = defaultdict(Counter)  # old province -> new province -> n
    old_name_mismatch = []
    old_prov_col_mismatch = []
    old_dist_col_mismatch = []
    slug_by_note: dict[str, str] = {}
    remapped: list[str] = []
    raw_old_codes = {r["old_code"] for r in conv if r["old_code"]}
    expect("distinct old codes as given in the conversion table", len(raw_old_codes), 10033)
    # tree codes the table refers to with a matching name: these are never the target of a remap
    referenced_old = {
        r["old_code"] for r in conv
        if r["old_code"] and t25.get(3, r["old_code"]) is not None
        and base_name(t25.get(3, r["old_code"])["name"]) == base_name(r["old_name"])
    }
    for r in conv:
        slug = note_slug(r["note"])
        slug_by_note[r["note"]] = slug
        new = t_new.get(3, r["new_code"])
        if new is None:
            exceptions[CAT_LEFT].append(f"conversion:{r['lineno']}: new code {r['new_code']} not in tree-2025-07-01")
            continue
        if r["old_code"]:
            level = 3
            old, how = resolve_old_commune(t25, r, referenced_old)
            if old is None:
                unknown_old.append(
                    f"conversion:{r['lineno']}: old commune {r['old_code']} {r['old_name']} "
                    f"({r['old_district']}) → {r['new_code']} {r['new_name']}: "
                    f"code not in tree-2025-01-04 and no unique commune of that name in the district; row left out"
                )
                continue
            if how == "remapped":
                remapped.append(
                    f"conversion:{r['lineno']}: {r['old_name']} ({r['old_district']}) given as {r['old_code']}"
                    + (f" (= {t25.get(3, r['old_code'])['name']} in the tree)" if t25.get(3, r["old_code"]) else
                       " (not in the tree)")
                    + f"; linked by name to {old['code']} {old['name']}"
                )
            elif how == "name_differs":
                old_name_mismatch.append(
                    f"{r['old_code']} tree {old['name']!r} / table {r['old_name']!r} ({r['old_district_name']})"
                )
            district = t25.get(2, old["parent_code"])
        else:
            # no old commune code: either an island district without communes that became a
            # đặc khu (its old district is the old unit), or an area that was no unit at all
            district = t25.get(2, r["old_district_code"])
            if not r["old_name"] and district is not None and not t25_has_communes(t25, district["code"]):
                level, old = 2, district
            else:
                skipped_rows.append(
                    f"conversion:{r['lineno']}: no old code for {r['old_name'] or '(empty)'!r} "
                    f"→ {r['new_code']} {r['new_name']} ({r['note']}); not a unit, left out"
                )
                continue
        province = t25.get(1, district["parent_code"])
        if r["old_district_code"] != district["code"]:
            old_dist_col_mismatch.append(
                f"conversion:{r['lineno']}: old unit {old['code']} {old['name']}: table district "
                f"{r['old_district']!r}, tree {district['code']} {district['name']}"
            )
        if r["old_province_code"] != province["code"] or fold(r["old_province_name"]) != fold(province["name"]):
            old_prov_col_mismatch.append(
                f"conversion:{r['lineno']}: old unit {old['code']} {old['name']}: table old province "
                f"{r['old_province']!r}, tree {province['code']} {province['name']}"
            )
        pair = (level, old["code"], new["code"])
        if pair in seen_pairs:
            fail(f"conversion:{r['lineno']}: duplicate pair {pair}")
        seen_pairs.add(pair)
        lineage.append(dict(level=level, old_code=old["code"], new_code=new["code"], merge_kind=slug, note=r["note"]))
        province_links[province["code"]][new["parent_code"]] += 1

    level1 = []
    for old_p in sorted(province_links):
        targets = province_links[old_p]
        kind = "toan_bo" if len(targets) == 1 else "mot_phan"
        for new_p in sorted(targets):
            level1.append(dict(level=1, old_code=old_p, new_code=new_p, merge_kind=kind, note=LEVEL1_NOTE))
    lineage_rows = sorted(level1 + lineage, key=lambda x: (x["level"], x["old_code"], x["new_code"]))

    # coverage checks
    l3 = [x for x in lineage if x["level"] == 3]
    old_covered = {x["old_code"] for x in l3}
    new_covered = {x["new_code"] for x in lineage}
    missing_old = [u for u in t25.level(3) if u["code"] not in old_covered]
    missing_new = [u for u in t_new.level(3) if u["code"] not in new_covered]
    missing_old_prov = [u for u in t25.level(1) if u["code"] not in province_links]
    for e in unknown_old:
        print("  " + e)
    expect("level-3 pairs", len(l3), len(conv) - len(skipped_rows) - len(unknown_old)
           - sum(1 for x in lineage if x["level"] == 2))
    print(f"  distinct old commune codes in the lineage (after linking by name): {len(old_covered)}")
    print(f"  rows relinked by name: {len(remapped)}; rows whose old name differs from the tree: {len(old_name_mismatch)}")
    expect("distinct new commune codes in the lineage", len(new_covered), 3321)
    print(f"  level-2 rows (island district → đặc khu): {sum(1 for x in lineage if x['level'] == 2)}")
    print(f"  level-1 rows: {len(level1)} ({Counter(x['merge_kind'] for x in level1)})")
    expect("old provinces covered", len(province_links), 63)
    expect("new provinces reached", len({x['new_code'] for x in level1}), 34)
    write_csv(OUT_DIR / "lineage-2025-07-01.csv", LINEAGE_COLUMNS, lineage_rows)

    for u in missing_old:
        district = t25.get(2, u["parent_code"])
        exceptions[CAT_MISS].append(f"{u['code']} {u['name']} ({district['code']} {district['name']})")
    for u in missing_new:
        exceptions[CAT_COV].append(f"new commune without any predecessor: {u['code']} {u['name']}")
    for u in missing_old_prov:
        exceptions[CAT_COV].append(f"old province without successor: {u['code']} {u['name']}")
    exceptions[CAT_REMAP].extend(remapped)
    exceptions[CAT_LEFT].extend(unknown_old)
    exceptions[CAT_LEFT].extend(skipped_rows)
    exceptions[CAT_COL].extend(old_prov_col_mismatch)
    exceptions[CAT_COL].extend(old_dist_col_mismatch)
    exceptions[CAT_NAME].extend(old_name_mismatch)

    # ---- 4b. compare 2021 and 2025-01-04 ------------------------------------
    print("== 2021-02-03 vs 2025-01-04")
    table, stats = compare_trees(t21, t25, "2021", "2025-01-04")
    print(table)

    # ---- print exceptions ----------------------------------------------------
    print("== exceptions (not fatal)")
    for cat, items in exceptions.items():
        print(f"  -- {cat}: {len(items)}")
        for e in items:
            print("     " + e)
    print("== distinct notes in the conversion table (after trimming) → merge_kind")
    for n in note_values:
        print(f"  {raw_notes[n]:5d}  {n!r} → {slug_by_note[n]}")

    # ---- NOTES.md and SOURCE.md ----------------------------------------------
    s3 = stats[3]
    notes_md = f"""# Notes on the unit trees (generated by scripts/convert_units.py)

## 2021-02-03 vs 2025-01-04

Compared by GSO code, level by level. "parent changed" means the code of the district (or province)
above differs.

{table}

Reading (communes): {s3['identical']} of {s3['old']} communes of 2021 are identical by code, name and
district in 2025-01-04. {s3['only_old']} codes of 2021 are gone (units dissolved by the 2019–2024
mergers) and {s3['only_new']} codes are new. Of the {s3['name_changed']} codes whose name changed,
{s3['cosmetic']} are spelling only and {s3['kind_only']} a change of kind (xã → phường/thị trấn), but
{s3['took_name']} now carry the name of a unit dissolved since 2021 and {s3['other']} have another
name: the 2025 unit behind an old code is often a merger of several 2021 units, under a new name
(e.g. 27379 Phường 03 → Phường 1 in Quận 6). {s3['parent_changed']} communes moved to another
district (new districts such as 224 Thị xã Chũ); {stats['province_moves']} moved to another province.

Conclusion: the 2021 state links cleanly at province level (same 63 codes; one rename, 46 Tỉnh
Thừa Thiên Huế → Thành phố Huế) and almost cleanly at district level ({stats[2]['identical']} of
{stats[2]['old']} identical, {stats[2]['only_old']} dissolved). At commune level a code link
(2021 code → the 2025-01-04 unit with that code, and from there through lineage-2025-07-01.csv)
is right for the {s3['identical']} identical communes and for the cosmetic and kind-only changes,
but the {s3['only_old']} dissolved communes have no successor in these files (which commune
absorbed each is in the Standing Committee resolutions of 2019–2024, not here), and a renamed
code often denotes a merger that contains the old unit rather than the old unit itself. A 2021 →
2025-01-04 lineage would need another source.

## Exceptions found while converting

The conversion table describes the communes as they stood on 30 June 2025, the tree the state of
4 January 2025: units changed in between (e.g. Thị xã Mộc Châu, formed from Huyện Mộc Châu with new
phường) explain most of the communes absent from the table, the old codes not in the tree and the
renamed old communes below. Where the table's name and code point at two different communes of the
tree (e.g. Thị trấn Yên Châu given with code 04075, which is Xã Viêng Lán in the tree; probably the
two merged in 2025 under that code) the script keeps the code unless the commune the code names is
listed elsewhere in the table under its own name; then the code is a slip and the row is relinked
by name. Nothing here is fixed by hand: rerun the script after correcting a source.

""" + "\n".join(
        f"### {cat} ({len(items)})\n\n" + "\n".join(f"- {e}" for e in items) + "\n"
        for cat, items in exceptions.items()
    )
    write_text(OUT_DIR / "NOTES.md", notes_md)

    n_l1 = len(level1)
    n_l2 = sum(1 for x in lineage if x["level"] == 2)
    slug_counts = Counter(x["merge_kind"] for x in lineage)
    slug_lines = "\n".join(
        f"| `{s}` | {slug_counts.get(s, 0)} | {SLUG_MEANING[s]} |" for s in SLUG_MEANING
    )
    note_lines = "\n".join(f"| {n} | {raw_notes[n]} | `{slug_by_note[n]}` |" for n in note_values)

    def kind_counts(tree: Tree, level: int) -> str:
        c = Counter(u["kind"] for u in tree.level(level))
        return ", ".join(f"{k} {v}" for k, v in sorted(c.items()))

    source_md = f"""# Administrative units: reference files

Source: the official lists of the General Statistics Office of Viet Nam (GSO, *danh mục đơn vị
hành chính*) and the official commune conversion table of 1 July 2025, as kept in the public
repository [sunshine-tech/VietnamProvinces](https://github.com/sunshine-tech/VietnamProvinces)
(dev/seed-data and vietnam_provinces/data). Converted by `scripts/convert_units.py`
(`python3 scripts/convert_units.py <folder with the GSO files>`); do not edit these files by hand.
All files are UTF-8, LF, with a header line.

Codes are GSO codes kept as text with their zero padding: provinces 2 digits (`01`), districts 3
(`001`), communes 5 (`00001`). Codes are reused across the 2025 reform (new An Giang is `91`, the code
of old Kiên Giang; new Xã Đức Trọng is `24958`, the code of old Thị trấn Liên Nghĩa): a unit is a
code *within one tree*, never a code alone.

## Trees: `tree-2021-02-03.csv`, `tree-2025-01-04.csv`, `tree-2025-07-01.csv`

Columns `code,name,kind,level,parent_code`; rows sorted provinces, then districts, then communes,
each by code.

- `name`: full official name as in the GSO file, whitespace trimmed and collapsed
  ("Tỉnh Kiên Giang", "Huyện Đức Trọng", "Thị trấn Liên Nghĩa").
- `kind`: `tỉnh`, `thành phố` (a centrally-run city at level 1 or a provincial city at level 2),
  `huyện`, `quận`, `thị xã`, `xã`, `phường`, `thị trấn`, `đặc khu`.
- `level`: 1 province, 2 district, 3 commune. `parent_code`: empty for provinces; a commune's
  parent is its district before the reform and its province from 1 July 2025 (no level 2).

| file | state | provinces | districts | communes | kinds |
|---|---|---|---|---|---|
| tree-2021-02-03.csv | 3 Feb 2021 | {len(t21.level(1))} | {len(t21.level(2))} | {len(t21.level(3))} | L1: {kind_counts(t21, 1)}; L2: {kind_counts(t21, 2)}; L3: {kind_counts(t21, 3)} |
| tree-2025-01-04.csv | 4 Jan 2025, last before the reform | {len(t25.level(1))} | {len(t25.level(2))} | {len(t25.level(3))} | L1: {kind_counts(t25, 1)}; L2: {kind_counts(t25, 2)}; L3: {kind_counts(t25, 3)} |
| tree-2025-07-01.csv | from 1 Jul 2025, two tiers | {len(t_new.level(1))} | 0 | {len(t_new.level(3))} | L1: {kind_counts(t_new, 1)}; L3: {kind_counts(t_new, 3)} |

The five island districts without communes (Bạch Long Vĩ, Cồn Cỏ, Hoàng Sa, Lý Sơn, Côn Đảo) are
districts with no commune rows in the two old trees. Kinds of old communes come from the GSO `Cấp`
column; where it contradicts the name (one commune per file, see NOTES.md) the name wins.

## Lineage: `lineage-2025-07-01.csv`

Columns `level,old_code,new_code,merge_kind,note`: which unit of tree-2025-01-04 went (wholly or in
part) into which unit of tree-2025-07-01. {len(lineage_rows)} rows, sorted by level, old_code, new_code.

- level 3 ({len(l3)} rows): one row per (old commune, new commune) pair of the conversion table;
  {len(old_covered)} old communes → {len({x['new_code'] for x in l3})} new communes. An old commune with
  several rows was split.
- level 2 ({n_l2} rows): the island districts that had no communes → their new đặc khu
  (`old_code` is a district code, `new_code` a commune-level code).
- level 1 ({n_l1} rows): old province → new province, derived: whenever a commune (or island
  district) of the old province went into a commune of the new province. `merge_kind` is `toan_bo`
  if everything of the old province went to that one new province, else `mot_phan`;
  `note` is "{LEVEL1_NOTE}".
- `note`: the conversion table's note, whitespace trimmed and collapsed (source typos kept).

| merge_kind | rows | meaning |
|---|---|---|
{slug_lines}

Distinct notes of the conversion table and their `merge_kind`:

| note | rows | merge_kind |
|---|---|---|
{note_lines}

Known gaps (details in NOTES.md): {len(missing_old)} communes of tree-2025-01-04 do not appear in the
conversion table (probably units merged between January and July 2025) and have no lineage row;
{len(exceptions[CAT_LEFT])} rows of the table are left out (old code unknown to the tree, or an area that is no
unit); {len(exceptions[CAT_REMAP])} rows whose old code is a slip were relinked by name.
"""
    write_text(OUT_DIR / "SOURCE.md", source_md)

    flush_outputs()
    print("== written")
    for name in ["tree-2021-02-03.csv", "tree-2025-01-04.csv", "tree-2025-07-01.csv",
                 "lineage-2025-07-01.csv", "NOTES.md", "SOURCE.md"]:
        print(f"  {(OUT_DIR / name).relative_to(REPO_ROOT)}")
    return 0


def base_name(name: str) -> str:
    """Name without its kind prefix, folded, numbers without leading zeros ("Phường 02" = "Phường 2")."""
    low = fold(name)
    for prefix, _ in COMMUNE_PREFIXES:
        if low.startswith(prefix):
            low = low[len(prefix):]
            break
    return re.sub(r"\b0+(\d)", r"\1", low)


def resolve_old_commune(tree: Tree, r: dict, referenced: set) -> tuple[dict | None, str]:
    """Find the tree-2025-01-04 commune a conversion row means.

    Returns (unit, how) with how one of "ok" (code and name agree), "remapped" (the code is
    absent from the tree, or names another commune that the table lists elsewhere under its own
    name, and exactly one commune of the row's district has the row's name: a code slip in the
    table),
    "name_differs" (code kept, names differ: spelling variant or rename), or (None, "unknown").
    """
    by_code = tree.get(3, r["old_code"])
    want = base_name(r["old_name"])
    if by_code is not None and base_name(by_code["name"]) == want:
        return by_code, "ok"
    if by_code is not None and by_code["code"] not in referenced:
        # the commune this code names appears nowhere else in the table: the code may well be
        # right and the name that of a unit formed between Jan and Jul 2025; keep the code
        return by_code, "name_differs"
    district_code = r["old_district_code"]
    if tree.get(2, district_code) is None and by_code is not None:
        district_code = by_code["parent_code"]
    candidates = [
        u for u in tree.level(3)
        if u["parent_code"] == district_code and base_name(u["name"]) == want
    ]
    if len(candidates) == 1:
        return candidates[0], "remapped"
    if by_code is not None:
        return by_code, "name_differs"
    return None, "unknown"


def t25_has_communes(tree: Tree, district_code: str) -> bool:
    return any(u["parent_code"] == district_code for u in tree.level(3))


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except ConversionError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
