#!/usr/bin/env python3
"""The load and the checks of `scripts/cluster drill` (called by it; stdlib only).

Usage: cluster_drill.py URL PASSWORD CLUSTER_SCRIPT

Through nginx (URL), as Kiên Giang's accounts drill.nhaplieu (data entry) and drill.lanhdao
(leader), for about a minute:
- savers: one thread per quarter of 2016-2018 saves the province's report through the JSON API
  (GET for the version, then PUT), over and over, noting every acknowledged value; every few
  saves it reads its own save back in the values export, a routed read (read-your-writes: the
  export must show the value just acknowledged, whichever app server answers);
- readers: dashboards, drill-downs, the aggregates API and exports (all routed to the replica).
Meanwhile, in phases: app server 1 is killed (SIGKILL) and started again; then the replica is
stopped (pg_ctl stop -m immediate) and started again.

Exits 1 unless: no GET failed as clients saw it (nginx retries them on the other server, the
app retries routed reads on the primary); routed reads answered 200 while the replica was gone;
no read missed the reader's own save; every acknowledged save is stored afterwards (read back
through the report API, which reads the primary). Failed saves (a PUT in flight on the killed
server answers 502, never retried by nginx) are counted, not failures: the client knows.
"""
import csv
import io
import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import http.cookiejar

URL, PASSWORD, CLUSTER = sys.argv[1], sys.argv[2], sys.argv[3]
PERIODS = [f"{y}-Q{q}" for y in (2016, 2017, 2018) for q in (1, 2, 3, 4)]
READS = [
    "/dashboards/91?period=2021",
    "/api/v1/aggregates/91?period=2021-Q4",
    "/dashboards/91/drill?period=2021&key=DON_TIEP_NHAN",
    "/exports/values/91/2021.csv",
    "/exports/annual/91/2021.docx",
]
TIMEOUT = 30

lock = threading.Lock()
stop = threading.Event()
phase = ["steady"]
# (phase, kind of request, outcome) -> count; outcome is the status code or the exception's name.
counts = {}
acked = {p: 0 for p in PERIODS}
tried = {p: 0 for p in PERIODS}
ryw = {"checked": 0, "stale": [], "failed": 0}


def note(kind, outcome):
    with lock:
        key = (phase[0], kind, outcome)
        counts[key] = counts.get(key, 0) + 1


sessions = {}
sessions_lock = threading.Lock()


def session(user):
    """One signed-in session per account, shared by the threads: sixteen sign-ins of two
    accounts from one address (nginx) at once ran into the login throttle (5 attempts per
    account, 20 per address in 15 minutes), and the refused retries kept it full."""
    with sessions_lock:
        if user not in sessions:
            sessions[user] = sign_in(user)
        return sessions[user]


def sign_in(user):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    for attempt in range(20):
        try:
            opener.open(URL + "/login", timeout=TIMEOUT).read()
            data = urllib.parse.urlencode({"username": user, "password": PASSWORD}).encode()
            opener.open(urllib.request.Request(URL + "/login", data=data), timeout=TIMEOUT).read()
            if any(c.name == "danvan_session" for c in jar):
                return opener
        except Exception:
            pass
        time.sleep(0.5)
    sys.exit(f"drill: FAIL: cannot sign in as {user}")


def request(opener, kind, path, method="GET", body=None):
    """One request; returns (status or None, body bytes or None), noting its outcome."""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    req = urllib.request.Request(URL + path, data=body, method=method, headers=headers)
    try:
        with opener.open(req, timeout=TIMEOUT) as response:
            data = response.read()
            note(kind, response.status)
            return response.status, data
    except urllib.error.HTTPError as error:
        error.read()
        note(kind, error.code)
        return error.code, None
    except Exception as error:  # refused, reset, timed out: the client saw a failure
        note(kind, type(error).__name__)
        return None, None


def exported_value(csv_bytes, period):
    """TD_DINH_KY of the province's report for `period` in a values export (None: absent)."""
    text = csv_bytes.decode("utf-8-sig")
    for row in csv.reader(io.StringIO(text), delimiter=";"):
        if len(row) >= 5 and row[0] == "91" and row[1] == period and row[2] == "TD_DINH_KY":
            return float(row[4].replace(".", "").replace(",", "."))
    return None


def saver(period):
    opener = session("drill.nhaplieu")
    year = period[:4]
    version, n = None, 0
    while not stop.is_set():
        if version is None:
            status, data = request(opener, "GET", f"/api/v1/reports/91/{period}")
            if status != 200:
                time.sleep(0.2)
                continue
            version = json.loads(data)["version"]
        n += 1
        with lock:
            tried[period] = n
        body = json.dumps({"version": version, "values": {"TD_DINH_KY": str(n)}}).encode()
        status, data = request(opener, "PUT", f"/api/v1/reports/91/{period}", "PUT", body)
        if status != 200:
            version = None
            time.sleep(0.2)
            continue
        version = json.loads(data)["version"]
        with lock:
            acked[period] = n
        if n % 4 == 0:
            # Read-your-writes through a routed read, on whichever server nginx picks.
            status, data = request(opener, "GET", f"/exports/values/91/{year}.csv")
            if status == 200:
                seen = exported_value(data, period)
                with lock:
                    ryw["checked"] += 1
                    if seen is None or seen < n:
                        ryw["stale"].append(f"{period}: saved {n}, read {seen}")
            else:
                with lock:
                    ryw["failed"] += 1
        time.sleep(0.05)


def reader(offset):
    opener = session("drill.lanhdao")
    i = offset
    while not stop.is_set():
        path = READS[i % len(READS)]
        request(opener, "GET routed", path)
        i += 1
        time.sleep(0.02)


def step(*args):
    started = time.time()
    result = subprocess.run([CLUSTER, *args], capture_output=True, text=True)
    took = time.time() - started
    print(f"  {time.strftime('%H:%M:%S')} {' '.join(args)} ({took:.1f} s){'' if result.returncode == 0 else ' FAILED'}")
    if result.returncode != 0:
        print(result.stdout + result.stderr)
    return result.returncode == 0


def main():
    threads = [threading.Thread(target=saver, args=(p,), daemon=True) for p in PERIODS]
    threads += [threading.Thread(target=reader, args=(i,), daemon=True) for i in range(4)]
    started = time.time()
    for t in threads:
        t.start()
    problems = []
    plan = [
        ("steady", 8, None),
        ("app server 1 killed", 10, ("kill-app", "1")),
        ("app server 1 back", 6, ("start-app", "1")),
        ("replica stopped", 15, ("stop-replica",)),
        ("replica back", 10, ("start-replica",)),
    ]
    print("drill: load through nginx (12 savers, 4 readers)")
    for name, seconds, action in plan:
        if action and not step(*action):
            problems.append(f"step {' '.join(action)} failed")
        with lock:
            phase[0] = name
        time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(timeout=TIMEOUT + 5)
    elapsed = time.time() - started

    # Every acknowledged save is stored: read back through the report API (the primary).
    check = session("drill.nhaplieu")
    lost = []
    for p in PERIODS:
        status, data = request(check, "readback", f"/api/v1/reports/91/{p}")
        if status != 200:
            lost.append(f"{p}: unreadable ({status})")
            continue
        value = json.loads(data)["values"].get("TD_DINH_KY")
        value = None if value is None else float(value)
        if acked[p] and (value is None or not acked[p] <= value <= tried[p]):
            lost.append(f"{p}: acknowledged {acked[p]}, stored {value}")

    # The summary.
    total = sum(counts.values())
    print(f"drill: {total} requests in {elapsed:.0f} s")
    phases = [name for name, _, _ in plan]
    for name in phases:
        row = {k: v for (ph, k, o), v in counts.items() if ph == name and o == 200}
        bad = {f"{k} {o}": v for (ph, k, o), v in counts.items() if ph == name and o != 200}
        print(f"  {name:22} ok {sum(row.values()):6}  " + (f"failed {bad}" if bad else "no failure"))
    failed_gets = {(ph, k, o): v for (ph, k, o), v in counts.items() if k.startswith("GET") and o != 200}
    failed_puts = {(ph, o): v for (ph, k, o), v in counts.items() if k == "PUT" and o != 200}
    routed_while_gone = sum(v for (ph, k, o), v in counts.items() if ph == "replica stopped" and k == "GET routed" and o == 200)
    acknowledged = sum(acked.values())
    print(f"  saves acknowledged {acknowledged}, failed {sum(failed_puts.values())} "
          f"{dict(failed_puts) if failed_puts else ''}")
    if any(o == 409 for (_, o) in failed_puts):
        print("    (409: a save nginx sent again to the other server after the first had committed on the "
              "killed one: refused by its version, never applied twice, not acknowledged)")
    print(f"  read-your-writes checks {ryw['checked']}, stale {len(ryw['stale'])}")
    print(f"  routed reads answered while the replica was stopped: {routed_while_gone}")

    if failed_gets:
        problems.append(f"{sum(failed_gets.values())} GET requests failed as clients saw them: {failed_gets}")
    if routed_while_gone == 0:
        problems.append("no dashboard/aggregates/export read answered 200 while the replica was stopped")
    if ryw["stale"]:
        problems.append(f"{len(ryw['stale'])} reads missed the reader's own save, e.g. {ryw['stale'][0]}")
    if ryw["checked"] == 0:
        problems.append("no read-your-writes check ran")
    if acknowledged == 0:
        problems.append("no save was acknowledged")
    if lost:
        problems.append(f"{len(lost)} acknowledged saves missing, e.g. {lost[0]}")
    print("checked: no failed GET (nginx retries, replica fallback), routed reads 200 with the replica gone, "
          "read-your-writes, every acknowledged save stored (read back from the primary)")
    if problems:
        print("drill: FAIL: " + "; ".join(problems))
        return 1
    print("drill: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
