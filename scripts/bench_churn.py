#!/usr/bin/env python3
"""The churn phases of `scripts/bench` (called by it; stdlib only).

Usage: bench_churn.py URL SECONDS PASSWORD ENTRY:CODE:REVIEWER [ENTRY:CODE:REVIEWER ...]
(the first commune's district, province and the country are the dashboards measured; pick
communes whose synthetic 2024-Q4 report passes the validation rules, or submissions fail)

1. First view after an acceptance: the national, province, district and commune dashboards are
   warmed, then a commune's 2024-Q4 report is reopened, changed, submitted and accepted through
   the web forms, and each dashboard is timed on its first view after it (five rounds).
2. Churn: every commune's report goes through that cycle over and over, one thread per commune,
   while wrk measures the baseline page and each dashboard at 32 connections; the latency of
   every save, submission, acceptance and reopening is recorded.
Prints one table; exits 1 when a cycle fails. With CHURN_SERVER_LOG=FILE (the server's JSON log,
`DANVAN_LOG_FORMAT=json` with `danvan::http` at info), also the same posts as the server timed
them, matched by the `x-request-id` of each answer.
"""
import html
import json
import os
import http.cookiejar
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

URL, SECS, PASSWORD = sys.argv[1], int(sys.argv[2]), sys.argv[3]
COMMUNES = [triple.split(":") for triple in sys.argv[4:]]
PERIOD = "2024-Q4"
CONNECTIONS = 32
# The server's JSON log (`DANVAN_LOG_FORMAT=json`, `danvan::http` at info), when given: the posts'
# latencies as the server measured them are printed beside the client's.
SERVER_LOG = os.environ.get("CHURN_SERVER_LOG")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """A form's answer is timed on its own: the 303 is not followed to the next page."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def session(user):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())
    call(opener, "/login")
    form = urllib.parse.urlencode({"username": user, "password": PASSWORD}).encode()
    status, _ = call(opener, "/login", form)
    if status not in (200, 303):
        sys.exit(f"{user} could not sign in ({status})")
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return opener, cookie


def call(opener, path, data=None, ids=None):
    """GET (or POST `data`) and read the answer; `ids` collects the server's request id."""
    request = urllib.request.Request(URL + path, data=data)
    try:
        response = opener.open(request)
    except urllib.error.HTTPError as error:
        response = error
    if ids is not None:
        ids.append(response.headers.get("x-request-id"))
    status = response.code if isinstance(response, urllib.error.HTTPError) else response.status
    return status, response.read().decode()


def fields_of(page, marker):
    """Named inputs and textareas of the form whose opening tag contains `marker`."""
    for form in re.findall(r"<form[^>]*>.*?</form>", page, re.S):
        if marker not in form[: form.find(">") + 1]:
            continue
        found = []
        for attrs in re.findall(r"<input([^>]*)>", form):
            name = re.search(r'name="([^"]*)"', attrs)
            value = re.search(r'value="([^"]*)"', attrs)
            kind = re.search(r'type="([^"]*)"', attrs)
            if name and (not kind or kind.group(1) not in ("checkbox", "radio", "submit", "file", "button")):
                found.append((html.unescape(name.group(1)), html.unescape(value.group(1)) if value else ""))
        for name, body in re.findall(r'<textarea[^>]*name="([^"]*)"[^>]*>(.*?)</textarea>', form, re.S):
            found.append((name, html.unescape(body)))
        return found
    return None


latencies = {"save": [], "submit": [], "accept": [], "reopen": []}
# The server's request id of each timed post, by action, to look up its own latency afterwards.
request_ids = {kind: [] for kind in latencies}
failures = []
lock = threading.Lock()


def timed_post(kind, opener, path, fields):
    ids = []
    start = time.perf_counter()
    status, page = call(opener, path, urllib.parse.urlencode(fields).encode(), ids)
    elapsed = (time.perf_counter() - start) * 1000
    with lock:
        latencies[kind].append(elapsed)
        request_ids[kind].extend(ids)
    return status, page


def review(reviewer, path, action, remarks):
    status, page = call(reviewer, path)
    fields = fields_of(page, f'action="{path}/review"')
    if fields is None:
        return False
    fields = [(n, v) for n, v in fields if n not in ("remarks", "action")] + [("remarks", remarks), ("action", action)]
    status, _ = timed_post(action, reviewer, path + "/review", fields)
    return status in (200, 303)


def cycle(entry, reviewer, code, k):
    """Reopen the accepted report, change a figure, save, submit, accept. True when accepted."""
    path = f"/reports/{code}/{PERIOD}"
    review(reviewer, path, "reopen", "Sửa số liệu")
    status, page = call(entry, path)
    fields = fields_of(page, 'id="report-form"')
    if fields is None:
        failures.append(f"{code}: no report form ({status})")
        return False
    fields = [(n, str(100 + k % 500) if n == "v.TD_DINH_KY" else v) for n, v in fields if n != "action"]
    status, page = timed_post("save", entry, path, fields + [("action", "save")])
    # The form again, with the version the save gave.
    status, page = call(entry, path)
    fields = [(n, v) for n, v in (fields_of(page, 'id="report-form"') or fields) if n != "action"]
    status, page = timed_post("submit", entry, path, fields + [("action", "submit")])
    if status == 422:
        # Warnings want a note before the report can be sent: give one and send again.
        fields = fields_of(page, 'id="report-form"') or fields
        fields = [(n, "Số liệu đã kiểm tra lại" if n.startswith("note.") and not v else v) for n, v in fields if n != "action"]
        status, page = timed_post("submit", entry, path, fields + [("action", "submit")])
    if status not in (200, 303):
        failures.append(f"{code}: submit answered {status}")
        return False
    return review(reviewer, path, "accept", "")


def ms(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def wrk(cookie, path, secs):
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{secs}s", "--timeout", "30s", "--latency", "-H", f"Cookie: {cookie}", URL + path],
        capture_output=True, text=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    def latency(q):
        m = re.search(rf"\s{q}%\s+([\d.]+)(us|ms|s)\b", out)
        return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)] if m else float("inf")
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rps, latency(50), latency(99), int(errors.group(1)) if errors else 0


def main():
    reviewers = {name: session(name)[0] for _, _, name in COMMUNES}
    entries = [(session(user)[0], code, reviewers[name]) for user, code, name in COMMUNES]
    first_code = COMMUNES[0][1]
    viewers = {}
    for name, user, path in DASHBOARDS:
        opener, cookie = session(user)
        viewers[name] = (opener, cookie, path.format(commune=first_code))
    # Phase 1: the first view of each dashboard right after an acceptance that changes it.
    for opener, _, path in viewers.values():
        status, _ = call(opener, path)
        if status != 200:
            sys.exit(f"{path} answered {status}")
    first = {name: [] for name in viewers}
    for k in range(5):
        if not cycle(entries[0][0], entries[0][2], first_code, k):
            sys.exit(f"correction cycle failed: {failures[-3:]}")
        for name, (opener, _, path) in viewers.items():
            start = time.perf_counter()
            call(opener, path)
            first[name].append((time.perf_counter() - start) * 1000)
    print("first view after an acceptance (median / max of 5, ms):")
    for name, values in first.items():
        print(f"  {name:<9} {statistics.median(values):7.1f} / {max(values):7.1f}")
    for values in (*latencies.values(), *request_ids.values()):
        values.clear()

    # Phase 2: the churn.
    stop = threading.Event()
    cycles = [0]
    def churn(entry, code, reviewer, k):
        while not stop.is_set():
            if cycle(entry, reviewer, code, k):
                with lock:
                    cycles[0] += 1
            k += 1
    threads = [
        threading.Thread(target=churn, args=(entry, code, reviewer, 10 * i), daemon=True)
        for i, (entry, code, reviewer) in enumerate(entries)
    ]
    for thread in threads:
        thread.start()
    time.sleep(1)
    results = {"baseline": wrk(viewers["province"][1], "/about", SECS)}
    for name, (_, cookie, path) in viewers.items():
        results[name] = wrk(cookie, path, SECS)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    base = results["baseline"][0]
    print(f"during the churn ({len(entries)} communes, {cycles[0]} correction cycles; {CONNECTIONS} connections):")
    print(f"  {'page':<9} {'req/s':>8} {'p50':>8} {'p99':>8} {'ratio':>7} {'non-2xx':>8}")
    for name, (rps, p50, p99, errors) in results.items():
        print(f"  {name:<9} {rps:8.0f} {p50:6.1f}ms {p99:6.1f}ms {rps / base:6.2f}x {errors:8d}")
    print("  action     count      p50      p99")
    for kind, values in latencies.items():
        print(f"  {kind:<9} {len(values):6d} {ms(values, 0.5):6.1f}ms {ms(values, 0.99):6.1f}ms")
    if SERVER_LOG:
        server_times()
    bad = [name for name, (rps, _, p99, _) in results.items() if name != "baseline" and (rps < 0.5 * base or p99 > 50)]
    if latencies["save"] and ms(latencies["save"], 0.99) > 30:
        bad.append("save p99")
    print("churn budget: " + ("ok" if not bad else "over for " + ", ".join(bad)))
    if failures:
        print(f"{len(failures)} failed cycles, e.g. {failures[:3]}")
        sys.exit(1)


def server_times():
    """The same posts as the server timed them (its log line per request: `latency_ms` from the
    first byte of the request to the answer), to tell the server's time from the client's own
    (this client's threads share one interpreter lock, and wrk keeps both cores busy)."""
    served = {}
    with open(SERVER_LOG, encoding="utf-8", errors="replace") as log:
        for line in log:
            start = line.find("{")
            if start < 0 or "latency_ms" not in line:
                continue
            try:
                record = json.loads(line[start:])
            except ValueError:
                continue
            request_id = record.get("request_id")
            if request_id is not None and "latency_ms" in record:
                served[request_id] = float(record["latency_ms"])
    print("  as the server timed them (its log):")
    for kind, ids in request_ids.items():
        values = [served[i] for i in ids if i in served]
        print(f"  {kind:<9} {len(values):6d} {ms(values, 0.5):6.1f}ms {ms(values, 0.99):6.1f}ms")


DASHBOARDS = [
    ("national", "bench.tw", "/dashboards/TW?period=2024"),
    ("province", "bench.tinh", "/dashboards/91?period=2024"),
    ("district", "bench.huyen", "/dashboards/905?period=2024"),
    ("commune", "bench.xa", "/dashboards/{commune}?period=2024"),
]

if __name__ == "__main__":
    main()
