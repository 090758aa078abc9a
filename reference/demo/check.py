#!/usr/bin/env python3
"""Consistency check of the demo metadata in reference/demo/ (standard library only).

Run from the repository root:  python3 reference/demo/check.py
Exit status 0 when everything is consistent, 1 otherwise (every problem is listed).
"""
import csv
import datetime
import io
import json
import re
import sys
import unicodedata
from pathlib import Path

BASE = Path(__file__).resolve().parent
CAT = BASE / 'catalogue'
DIR = BASE / 'directives'

NUMBER_RE = re.compile(r'^\d+-(NQ|CT|KL|TB|QĐ|QĐi|CTr|KH|CV|HD)/(TW|TU|HU|ĐU)$')
CODE_RE = re.compile(r'^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$')
TERM_RE = re.compile(r'^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$')
LEVELS_RE = re.compile(r'^[123](;[123])*$')
OPERATORS = {'<=', '<', '=', '>=', '>'}
COMPARATORS = {'>=', '>', '=', '<=', '<', 'between'}
STATUSES = {'hieu_luc', 'het_hieu_luc', 'duoc_thay_the'}
MILESTONES = {'so_ket', 'tong_ket'}
KEYS = ['number', 'kind', 'issuer', 'issuing_body', 'issuing_unit', 'issued_on', 'title', 'status', 'replaced_by',
        'implements', 'number_is_assumed', 'text', 'tasks', 'targets', 'milestones']
# Documents the seeds cite that the registry must hold (see directives/NOTES.md).
REQUIRED = ['25-NQ/TW', '62-KL/TW', '217-QĐ/TW', '218-QĐ/TW', '11-QĐi/TW', '290-QĐ/TW', '114-KL/TW', '160-TB/TW',
            '158-TB/TW', '102-KL/TW', '120-KL/TW', '18-CT/TW', '49-CT/TW', '01-KL/TW', '05-CT/TW', '09-QĐ/TU',
            '11-CT/TU', '1823-TB/TU', '331-QĐ/TU', '184-QĐ/TU', '1548-QĐ/TU']

errors = []


def err(where, msg):
    errors.append(f'{where}: {msg}')


def check_text(where, s):
    """UTF-8 text in NFC (search and sorting rely on it), no leftover markdown or HTML."""
    if not isinstance(s, str):
        return
    if not unicodedata.is_normalized('NFC', s):
        err(where, 'text is not in Unicode NFC form')
    if '\r' in s:
        err(where, 'carriage return in text')
    if '**' in s or '<sup>' in s or re.search(r'^#+ ', s, re.M):
        err(where, 'markdown or HTML markup left in text')


def read_csv(name, header):
    path = CAT / name
    raw = path.read_bytes()
    if raw.startswith(b'\xef\xbb\xbf'):
        err(name, 'starts with a byte-order mark')
    if b'\r' in raw:
        err(name, 'CRLF line endings (LF expected)')
    if not raw.endswith(b'\n'):
        err(name, 'no final newline')
    try:
        text = raw.decode('utf-8')
    except UnicodeDecodeError as e:
        err(name, f'not UTF-8: {e}')
        return []
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or rows[0] != header:
        err(name, f'header must be {",".join(header)}')
        return []
    out = []
    for n, r in enumerate(rows[1:], start=2):
        if len(r) != len(header):
            err(f'{name}:{n}', f'{len(r)} fields, expected {len(header)}')
            continue
        for v in r:
            check_text(f'{name}:{n}', v)
        out.append(dict(zip(header, r), _line=n))
    codes = [r['code'] for r in out]
    for c in sorted({c for c in codes if codes.count(c) > 1}):
        err(name, f'duplicate code {c}')
    return out


def terms(expr):
    """Terms of an expression `A + B - C`; None when it is malformed."""
    toks = expr.split()
    if not toks or len(toks) % 2 == 0:
        return None
    for i, t in enumerate(toks):
        if i % 2 == 0 and not TERM_RE.match(t):
            return None
        if i % 2 == 1 and t not in ('+', '-'):
            return None
    return toks[0::2]


def check_expr(where, expr, elements, allow_empty=False):
    if expr == '':
        if not allow_empty:
            err(where, 'empty expression')
        return []
    ts = terms(expr)
    if ts is None:
        err(where, f'malformed expression {expr!r} (codes joined by " + " or " - ")')
        return []
    for t in ts:
        if t not in elements:
            err(where, f'unknown data element {t}')
    return ts


def is_date(s):
    try:
        datetime.date.fromisoformat(s)
        return isinstance(s, str) and len(s) == 10
    except (TypeError, ValueError):
        return False


def check_unit_ref(where, u):
    if not isinstance(u, dict) or set(u) != {'code', 'as_of'}:
        err(where, 'unit reference must be {"code": …, "as_of": …}')
        return
    if not (isinstance(u['code'], str) and re.fullmatch(r'\d{2,5}', u['code'])):
        err(where, f'unit code {u["code"]!r} is not an official numeric code')
    if not is_date(u['as_of']):
        err(where, f'as_of {u["as_of"]!r} is not a YYYY-MM-DD date')


def slug(number):
    return number.replace('Đ', 'D').replace('/', '-')


def main():
    # ------------------------------------------------------------ catalogue
    orgs = read_csv('organisations.csv', ['code', 'name', 'short_name', 'sort_order'])
    sections = read_csv('sections.csv', ['code', 'name', 'sort_order'])
    elements = read_csv('data_elements.csv', ['code', 'name', 'section', 'unit_of_measure', 'value_type', 'aggregation',
                                              'by_organisation', 'levels', 'description'])
    indicators = read_csv('indicators.csv', ['code', 'name', 'numerator', 'denominator', 'factor', 'decimals',
                                             'display', 'unit'])
    rules = read_csv('validation_rules.csv', ['code', 'left', 'operator', 'right', 'severity', 'message'])

    for table, rows in (('organisations.csv', orgs), ('sections.csv', sections)):
        for r in rows:
            w = f'{table}:{r["_line"]}'
            if not CODE_RE.match(r['code']):
                err(w, f'code {r["code"]!r} is not upper-case ASCII')
            if not r['name'].strip():
                err(w, 'empty name')
            if not r['sort_order'].isdigit():
                err(w, 'sort_order must be an integer')
    section_codes = {r['code'] for r in sections}
    el = {}
    for r in elements:
        w = f'data_elements.csv:{r["_line"]} {r["code"]}'
        el[r['code']] = r
        if not CODE_RE.match(r['code']):
            err(w, 'code must be upper-case ASCII snake case')
        if r['section'] not in section_codes:
            err(w, f'unknown section {r["section"]}')
        if r['value_type'] not in ('integer', 'decimal', 'boolean', 'text'):
            err(w, f'bad value_type {r["value_type"]}')
        if r['aggregation'] not in ('sum', 'last'):
            err(w, f'bad aggregation {r["aggregation"]}')
        if r['by_organisation'] not in ('true', 'false'):
            err(w, 'by_organisation must be true or false')
        if not LEVELS_RE.match(r['levels']):
            err(w, f'bad levels {r["levels"]!r}')
        else:
            lv = [int(x) for x in r['levels'].split(';')]
            if lv != sorted(set(lv)):
                err(w, 'levels must be ascending and distinct')
        if r['unit_of_measure'] == 'đồng' and r['value_type'] != 'integer':
            err(w, 'money in đồng must be an integer')
        if not r['name'].strip() or not r['description'].strip():
            err(w, 'empty name or description')
    used = set()
    ind = {}
    for r in indicators:
        w = f'indicators.csv:{r["_line"]} {r["code"]}'
        ind[r['code']] = r
        if not CODE_RE.match(r['code']):
            err(w, 'code must be upper-case ASCII snake case')
        used.update(check_expr(w + ' numerator', r['numerator'], el))
        used.update(check_expr(w + ' denominator', r['denominator'], el, allow_empty=True))
        try:
            if float(r['factor']) <= 0:
                err(w, 'factor must be positive')
        except ValueError:
            err(w, f'factor {r["factor"]!r} is not a number')
        if not r['decimals'].isdigit():
            err(w, 'decimals must be a non-negative integer')
        if r['display'] not in ('value', 'ratio'):
            err(w, f'bad display {r["display"]}')
        if r['display'] == 'ratio' and not r['denominator']:
            err(w, 'a ratio needs a denominator')
        for t in terms(r['numerator']) or []:
            if t in el and el[t]['value_type'] in ('text',):
                err(w, f'{t} is text and cannot be computed')
    for r in rules:
        w = f'validation_rules.csv:{r["_line"]} {r["code"]}'
        if not CODE_RE.match(r['code']):
            err(w, 'code must be upper-case ASCII snake case')
        used.update(check_expr(w + ' left', r['left'], el))
        used.update(check_expr(w + ' right', r['right'], el))
        if r['operator'] not in OPERATORS:
            err(w, f'bad operator {r["operator"]}')
        if r['severity'] not in ('error', 'warning'):
            err(w, f'bad severity {r["severity"]}')
        if not re.search(r'[ăâđêôơưáàảãạếềểễệốồổỗộớờởỡợứừửữựíìỉĩịýỳỷỹỵúùủũụóòỏõọéèẻẽẹ]', r['message'].lower()):
            err(w, 'message should be Vietnamese')

    # ------------------------------------------------------------ directives
    docs = {}
    for path in sorted(DIR.glob('*.json')):
        w = f'directives/{path.name}'
        raw = path.read_bytes()
        if b'\r' in raw:
            err(w, 'CRLF line endings')
        try:
            d = json.loads(raw.decode('utf-8'))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            err(w, f'does not parse: {e}')
            continue
        if not isinstance(d, dict) or list(d) != KEYS:
            err(w, f'keys must be, in order: {", ".join(KEYS)}')
            if not isinstance(d, dict):
                continue
        num = d.get('number', '')
        m = NUMBER_RE.match(num) if isinstance(num, str) else None
        if not m:
            err(w, f'number {num!r} does not match the số/ký hiệu pattern')
        else:
            if d.get('kind') != m.group(1):
                err(w, f'kind {d.get("kind")!r} disagrees with the number')
            if d.get('issuer') != m.group(2):
                err(w, f'issuer {d.get("issuer")!r} disagrees with the number')
            if path.name != slug(num) + '.json':
                err(w, f'file should be named {slug(num)}.json')
        if num in docs:
            err(w, f'number {num} used twice')
        docs[num] = d
        for k in ('issuing_body', 'title', 'text'):
            if not (isinstance(d.get(k), str) and d[k].strip()):
                err(w, f'{k} must be a non-empty string')
            check_text(f'{w} {k}', d.get(k))
        if d.get('issuer') == 'TW':
            if d.get('issuing_unit') is not None:
                err(w, 'a central (TW) document has no issuing_unit')
        else:
            check_unit_ref(f'{w} issuing_unit', d.get('issuing_unit'))
        if not is_date(d.get('issued_on')):
            err(w, 'issued_on must be YYYY-MM-DD')
        if d.get('status') not in STATUSES:
            err(w, f'bad status {d.get("status")!r}')
        if (d.get('status') == 'duoc_thay_the') != (d.get('replaced_by') is not None):
            err(w, 'status duoc_thay_the goes with replaced_by, and only then')
        if not isinstance(d.get('number_is_assumed'), bool):
            err(w, 'number_is_assumed must be true or false')
        if not isinstance(d.get('implements'), list):
            err(w, 'implements must be a list')
        nums = []
        for i, t in enumerate(d.get('tasks') or []):
            tw = f'{w} task {i + 1}'
            if set(t) != {'number', 'text', 'assigned_levels', 'assigned_units', 'deadline'}:
                err(tw, 'bad keys')
                continue
            nums.append(t['number'])
            if not (isinstance(t['text'], str) and t['text'].strip()):
                err(tw, 'empty text')
            check_text(tw, t['text'])
            if not (isinstance(t['assigned_levels'], list) and t['assigned_levels']
                    and all(x in (1, 2, 3) for x in t['assigned_levels'])):
                err(tw, 'assigned_levels must be a non-empty list of 1, 2, 3')
            for u in t['assigned_units']:
                check_unit_ref(tw, u)
            if t['deadline'] is not None and not is_date(t['deadline']):
                err(tw, 'deadline must be null or YYYY-MM-DD')
        if len(nums) != len(set(nums)):
            err(w, 'task numbers repeat')
        for i, t in enumerate(d.get('targets') or []):
            tw = f'{w} target {i + 1}'
            if set(t) != {'indicator', 'comparator', 'value', 'value_max', 'year', 'deadline', 'scope_level',
                          'scope_unit', 'per_unit', 'text'}:
                err(tw, 'bad keys')
                continue
            if t['indicator'] not in ind:
                err(tw, f'unknown indicator {t["indicator"]}')
            if t['comparator'] not in COMPARATORS:
                err(tw, f'bad comparator {t["comparator"]}')
            if not isinstance(t['value'], (int, float)) or isinstance(t['value'], bool):
                err(tw, 'value must be a number')
            if t['comparator'] == 'between':
                if not isinstance(t['value_max'], (int, float)) or t['value_max'] <= t['value']:
                    err(tw, 'between needs value_max greater than value')
            elif t['value_max'] is not None:
                err(tw, 'value_max only goes with between')
            if t['year'] is not None and not (isinstance(t['year'], int) and 1990 <= t['year'] <= 2100):
                err(tw, 'year must be null or a year')
            if t['deadline'] is not None and not is_date(t['deadline']):
                err(tw, 'deadline must be null or YYYY-MM-DD')
            if t['scope_level'] not in (None, 1, 2, 3, 4):
                err(tw, 'scope_level must be null or 1–4')
            if t['scope_unit'] is not None:
                check_unit_ref(tw, t['scope_unit'])
            if not isinstance(t['per_unit'], bool):
                err(tw, 'per_unit must be true or false')
            if not (isinstance(t['text'], str) and t['text'].strip()):
                err(tw, 'empty text')
        for i, ms in enumerate(d.get('milestones') or []):
            mw = f'{w} milestone {i + 1}'
            if set(ms) != {'kind', 'due_on', 'text'} or ms['kind'] not in MILESTONES or not is_date(ms['due_on']):
                err(mw, 'milestone needs kind so_ket|tong_ket, due_on YYYY-MM-DD and text')

    for num, d in docs.items():
        w = f'directives {num}'
        for p in d.get('implements') or []:
            if p not in docs:
                err(w, f'implements {p}, which is not in the registry')
            elif p == num:
                err(w, 'implements itself')
            elif docs[p].get('issued_on', '') > d.get('issued_on', ''):
                err(w, f'implements {p}, issued later')
        if d.get('replaced_by') and d['replaced_by'] not in docs:
            err(w, f'replaced_by {d["replaced_by"]} is not in the registry')

    def cyclic(start):
        seen, stack = set(), [start]
        while stack:
            for p in docs.get(stack.pop(), {}).get('implements') or []:
                if p == start:
                    return True
                if p not in seen:
                    seen.add(p)
                    stack.append(p)
        return False
    for num in docs:
        if cyclic(num):
            err(f'directives {num}', 'implements forms a cycle')

    for num in REQUIRED:
        if num not in docs:
            err('directives', f'{num} is missing from the registry')
    def fold(s):
        s = unicodedata.normalize('NFD', s.replace('đ', 'd').replace('Đ', 'D'))
        return ''.join(c for c in s if unicodedata.category(c) != 'Mn').lower()
    blob = {num: fold(d.get('title', '') + ' ' + d.get('text', '')) for num, d in docs.items()}
    for needle in ('dan van kheo', 'duc trong'):
        if not any(needle in b for b in blob.values()):
            err('directives', f'no directive is found by "{needle}"')
    if not any(d.get('targets') for d in docs.values()):
        err('directives', 'no directive has targets')

    unused = sorted(set(el) - used)
    n_tasks = sum(len(d.get('tasks') or []) for d in docs.values())
    n_targets = sum(len(d.get('targets') or []) for d in docs.values())
    if errors:
        print('\n'.join(errors))
        print(f'FAIL: {len(errors)} problem(s)')
        return 1
    print(f'ok: {len(orgs)} organisations, {len(sections)} sections, {len(el)} data elements, '
          f'{len(ind)} indicators, {len(rules)} validation rules; {len(docs)} directives, '
          f'{n_tasks} tasks, {n_targets} targets')
    if unused:
        print(f'note: data elements used by no indicator or rule (report-only figures): {", ".join(unused)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
