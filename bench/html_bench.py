"""report.html at scale: a 10,000-case x 3-model run of the mock (oracle, noisy, and
rules answering half the cases and failing a tenth), then the size of its report.html
and the time headless Chromium takes to open it (navigation to the first view drawn),
median and range over several rounds; then the same for the matrix view.

usage: python3 bench/html_bench.py BUILD_DIR [CASES] [ROUNDS]   (see bench/README.md)"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "browser"))
import cdp  # noqa: E402


def make_task(root, n):
    t = os.path.join(root, "tasks", "invoices")
    os.makedirs(os.path.join(t, "tests", "sources"))
    os.makedirs(os.path.join(t, "tests", "expected"))
    schema = {"type": "object", "required": ["number", "vendor", "total", "currency", "date", "lines"],
              "properties": {"number": {"type": "string"}, "vendor": {"type": "object", "properties": {
                  "name": {"type": "string"}, "city": {"type": "string"}}},
                  "total": {"type": "number"}, "currency": {"type": "string"}, "date": {"type": "string"},
                  "lines": {"type": "array", "items": {"type": "object", "properties": {
                      "item": {"type": "string"}, "qty": {"type": "integer"}, "price": {"type": "number"}}}}}}
    with open(os.path.join(t, "schema.json"), "w") as f:
        json.dump(schema, f)
    with open(os.path.join(t, "task.json"), "w") as f:
        json.dump({"description": "invoice headers and lines",
                   "prompt": "Extract the invoice number, vendor, total, currency, date and lines as JSON."}, f)
    for i in range(n):
        exp = {"number": "INV-%06d" % i, "vendor": {"name": "Vendor %d" % (i % 97), "city": "City %d" % (i % 13)},
               "total": round(10 + i * 0.37, 2), "currency": "EUR", "date": "2024-%02d-%02d" % (1 + i % 12, 1 + i % 28),
               "lines": [{"item": "Part %d" % (i % 50 + k), "qty": k + 1, "price": round(2.5 * (k + 1), 2)} for k in range(3)]}
        name = "inv%06d" % i
        with open(os.path.join(t, "tests", "sources", name + ".txt"), "w") as f:
            f.write("Invoice %s from %s, %s. Date %s. Total %.2f %s.\n" % (
                exp["number"], exp["vendor"]["name"], exp["vendor"]["city"], exp["date"], exp["total"], exp["currency"]))
            for ln in exp["lines"]:
                f.write("%d x %s at %.2f\n" % (ln["qty"], ln["item"], ln["price"]))
        with open(os.path.join(t, "tests", "expected", name + ".json"), "w") as f:
            json.dump(exp, f)
    rules = {"errors": [{"regex": "INV-\\d{5}0 ", "error": {"class": "server"}, "models": ["rules"]}],
             "rules": [{"regex": "INV-\\d{5}[13579] ", "reply": json.dumps({"number": "?", "total": 0, "currency": "EUR"})}],
             "default": {"reply": "not JSON"}}
    with open(os.path.join(root, "rules.json"), "w") as f:
        json.dump(rules, f)
    return os.path.join(root, "tasks"), os.path.join(root, "rules.json")


def open_times(b, url, rounds):
    out = []
    for _ in range(rounds):
        b.navigate("about:blank", ready="true")
        t0 = time.perf_counter()
        b.navigate(url)
        out.append(time.perf_counter() - t0)
    return out


def fmt(xs):
    return "median %.2f s (%.2f-%.2f s over %d rounds)" % (statistics.median(xs), min(xs), max(xs), len(xs))


def main():
    build = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 7
    work = tempfile.mkdtemp(prefix="llmt-html-bench-")
    try:
        tasks, rules = make_task(work, n)
        out = os.path.join(work, "out")
        env = dict(os.environ, LLMT_HISTORY_DB=os.path.join(work, "history.db"))
        t0 = time.perf_counter()
        p = subprocess.run([os.path.join(build, "llm-tester"), "run", "--tasks", tasks, "--models", "mock:oracle",
                            "--models", "mock:noisy", "--models", "mock:rules", "--mock-rules", rules, "--max-retries", "0",
                            "--seed", "1", "--output", out, "--format", "html", "-q"],
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        run_s = time.perf_counter() - t0
        report = os.path.join(out, "report.html")
        if not os.path.exists(report):
            raise SystemExit("no report.html (exit %d): %s" % (p.returncode, p.stderr[-500:]))
        with open(os.path.join(out, "results.jsonl")) as f:
            results = sum(1 for _ in f)
        t0 = time.perf_counter()
        subprocess.run([os.path.join(build, "llm-tester"), "report", os.path.join(out, "results.jsonl"),
                        "--format", "html", "--output", os.path.join(work, "re")], check=True, stdout=subprocess.DEVNULL)
        rerender_s = time.perf_counter() - t0
        size = os.path.getsize(report)
        b = cdp.Browser()
        try:
            url = "file://" + report
            overview = open_times(b, url, rounds)
            matrix = open_times(b, url + "#view=matrix", rounds)
            problems = b.problems()
        finally:
            b.close()
        print("cases %d, models 3, results %d" % (n, results))
        print("report.html: %.1f MB (%d bytes); results.jsonl %.1f MB" % (
            size / 1e6, size, os.path.getsize(os.path.join(out, "results.jsonl")) / 1e6))
        print("run with the report: %.2f s; report re-rendered from results.jsonl: %.2f s" % (run_s, rerender_s))
        print("open to the overview drawn: " + fmt(overview))
        print("open to the matrix drawn:   " + fmt(matrix))
        if problems:
            print("page problems: %s" % problems)
            return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
