"""report.html in a real browser (headless Chromium over the DevTools protocol):
the page loads from file:// with no console error, failed or outside request; every
table sorts (the order is checked); a matrix cell opens its case; filters and the URL
hash work; hostile case names and values stay text; the comparison pages load.
A screenshot of the overview is kept in the build folder (report-overview.png).

usage: test_report_html.py LLM_TESTER SOURCE_DIR BUILD_DIR
Exit 77 (skipped) only when no Chromium can be found."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdp  # noqa: E402

BIN, SRC, BUILD = sys.argv[1], sys.argv[2], sys.argv[3]
FAILS = []
PASSED = [0]


def check(desc, cond, detail=""):
    if cond:
        PASSED[0] += 1
    else:
        FAILS.append(desc)
        print("FAIL: %s %s" % (desc, detail), file=sys.stderr)


def run(*args, env=None):
    p = subprocess.run([BIN] + list(args), capture_output=True, text=True, env=env)
    if p.returncode not in (0, 1, 3):
        print(p.stdout, p.stderr, file=sys.stderr)
        raise SystemExit("llm-tester %s exited %d" % (" ".join(args), p.returncode))
    return p


# Checks a table's order after a click on column `col` from the cells' data-v values:
# numbers compared as numbers, text with localeCompare, empty values last.
SORT_CHECK = r"""
(function (id, col) {
  var t = document.getElementById(id), th = t.querySelector('th[data-col="' + col + '"]');
  th.click();
  t = document.getElementById(id); th = t.querySelector('th[data-col="' + col + '"]');
  var dir = th.getAttribute('aria-sort'), idx = Array.prototype.indexOf.call(th.parentNode.children, th);
  var num = th.classList.contains('num');
  var vals = Array.prototype.map.call(t.querySelectorAll('tbody tr:not([aria-hidden])'), function (tr) { return tr.children[idx].getAttribute('data-v'); });
  for (var i = 1; i < vals.length; i++) {
    var a = vals[i - 1], b = vals[i];
    if (b === '') continue;
    if (a === '') return 'empty value before ' + b;
    var c = num ? parseFloat(a) - parseFloat(b) : a.localeCompare(b);
    if (dir === 'ascending' ? c > 0 : c < 0) return 'out of order at ' + i + ': ' + a + ', ' + b + ' (' + dir + ')';
  }
  return vals.length ? 'ok ' + dir : 'no rows';
})(%s, %s)
"""


def sort_all(b, table_id, view):
    cols = b.eval("Array.prototype.map.call(document.querySelectorAll('#%s th'), function (t) { return t.getAttribute('data-col'); })" % table_id)
    check("%s: table %s present" % (view, table_id), bool(cols))
    for col in cols or []:
        for _ in range(2):  # both directions
            r = b.eval(SORT_CHECK % (json.dumps(table_id), json.dumps(col)))
            check("%s: %s sorted by %s" % (view, table_id, col), r.startswith("ok"), r)


def click(b, selector):
    b.eval("document.querySelector(%s).click()" % json.dumps(selector))


def set_filter(b, fid, value):
    b.eval("(function(){var e=document.getElementById(%s); e.value=%s; e.dispatchEvent(new Event(%s));})()"
           % (json.dumps(fid), json.dumps(value), json.dumps("input" if fid == "f-q" else "change")))


def matrix_rows(b):
    return b.eval("document.querySelectorAll('#matrix tbody tr:not([aria-hidden])').length")


def hostile_task(root):
    """A task whose case names and answers are made to break out of the page."""
    t = os.path.join(root, "tasks", "hostile")
    os.makedirs(os.path.join(t, "tests", "sources"))
    os.makedirs(os.path.join(t, "tests", "expected"))
    with open(os.path.join(t, "schema.json"), "w") as f:
        json.dump({"type": "object", "properties": {"name": {"type": "string"}, "note": {"type": "string"},
                                                    "items": {"type": "array", "items": {"type": "object"}}},
                   "required": ["name"]}, f)
    names = {
        "q\"'<img src=x onerror=window.pwned=1>": "hostile one",
        "\u05e9\u05dc\u05d5\u05dd \u202eRTL \u0645\u0631\u062d\u0628\u0627": "rtl one",
        "long": "long one",
        "teapot": "teapot one",
        "garbage": "garbage one",
    }
    for name, src in names.items():
        with open(os.path.join(t, "tests", "sources", name + ".txt"), "w") as f:
            f.write(src + "\n")
        with open(os.path.join(t, "tests", "expected", name + ".json"), "w") as f:
            json.dump({"name": "Bob", "note": "plain", "items": [{"k": "a"}, {"k": "b"}]}, f)
    long_value = "x" * 10240
    rules = {
        "errors": [{"contains": "teapot", "error": {"class": "quota", "message": "I am a teapot <b>"}, "models": ["rules"]}],
        "rules": [
            {"contains": "hostile", "reply": json.dumps({"name": "</script><script>window.pwned=2</script><!--",
                                                         "note": "'\"&amp; <i>x</i>", "items": [{"k": "a"}, {"k": "<b onmouseover=x>"}]})},
            {"contains": "rtl", "reply": json.dumps({"name": "\u202e\u0645\u0631\u062d\u0628\u0627 Bob", "note": "plain"})},
            {"contains": "long", "reply": json.dumps({"name": "Bob", "note": long_value, "items": []})},
            {"contains": "garbage", "reply": "not JSON at all <script>window.pwned=3</script>"},
        ]}
    with open(os.path.join(root, "rules.json"), "w") as f:
        json.dump(rules, f)
    return os.path.join(root, "tasks"), os.path.join(root, "rules.json"), long_value


def main():
    chromium = cdp.find_chromium()
    if not chromium:
        print("SKIP: no Chromium found (install the 'chromium' package: scripts/install-deps.sh does)")
        return 77
    work = tempfile.mkdtemp(prefix="llmt-browser-")
    env = dict(os.environ, LLMT_HISTORY_DB=os.path.join(work, "history.db"))
    b = None
    try:
        tasks = os.path.join(SRC, "examples", "tasks")
        run_a, run_b = os.path.join(work, "a"), os.path.join(work, "b")
        run("run", "--tasks", tasks, "--models", "mock:oracle", "--models", "mock:noisy", "--repeat", "2",
            "--fallback", "mock:oracle", "--seed", "42", "--output", run_a, "--format", "html,json,md", env=env)
        run("run", "--tasks", tasks, "--models", "mock:oracle", "--models", "mock:noisy",
            "--seed", "7", "--output", run_b, "--format", "html,json,md", env=env)
        b = cdp.Browser(chromium)
        page = "file://" + os.path.join(run_a, "report.html")

        # -- overview -----------------------------------------------------------
        b.navigate(page)
        check("overview: no console error, failed or outside request", not b.problems(), b.problems())
        check("overview is the first view", b.eval("location.hash").startswith("#view=overview"))
        check("overview: one row per model", b.eval("document.querySelectorAll('#models tbody tr').length") == 2)
        check("overview: two charts with a Pareto front", b.eval("document.querySelectorAll('svg.chart').length") == 2
              and b.eval("document.querySelectorAll('svg.chart circle.on').length") >= 2)
        b.screenshot(os.path.join(BUILD, "report-overview.png"))
        check("screenshot kept", os.path.getsize(os.path.join(BUILD, "report-overview.png")) > 1000)
        pdf = b.call("Page.printToPDF", {})
        check("overview prints", len(pdf.get("data", "")) > 1000 and not b.problems(), b.problems())
        sort_all(b, "models", "overview")
        sort_all(b, "tasks", "overview")
        check("sort state in the URL hash", "sort=" in b.eval("location.hash"))
        set_filter(b, "f-model", "mock:noisy")
        check("overview: model filter", b.eval("document.querySelectorAll('#models tbody tr').length") == 1
              and b.eval("document.querySelectorAll('#tasks tbody tr').length") == 2)
        set_filter(b, "f-model", "")

        # -- matrix -------------------------------------------------------------
        click(b, "#tab-matrix")
        check("matrix: one row per case", matrix_rows(b) == 8, matrix_rows(b))
        check("matrix: cells coloured", b.eval("document.querySelector('td.cell').getAttribute('style') || ''").startswith("background:hsl"))
        # mock:noisy keeps three answers in four to the schema (strict output); the rest break it
        check("matrix: invalid answers marked", b.eval("document.querySelectorAll('td .mk.i').length") >= 2)
        sort_all(b, "matrix", "matrix")
        click(b, "th[data-col=case]")  # back to name order
        b.eval("document.querySelector('td.cell[data-model=\"1\"] .mk.i').closest('td').click()")
        check("cell opens its case", b.eval("!!document.getElementById('case')"))
        check("case: lost fields highlighted", b.eval("document.querySelectorAll('#case .j-lost').length") > 0)
        # the cell is marked for one repeat at least: one of the repeat tabs lists the violations
        check("case: schema violations listed", b.eval(
            "(() => { const c = document.getElementById('case'); if (c.textContent.indexOf('Schema violations') >= 0) return true;"
            " for (const t of c.querySelectorAll('.tabs button')) { t.click();"
            " if (document.getElementById('case').textContent.indexOf('Schema violations') >= 0) return true; }"
            " return false; })()"))
        check("case: prompt and source shown", b.eval("document.querySelector('#case').textContent.indexOf('Prompt sent') >= 0"))
        check("case: repeats as tabs", b.eval("document.querySelectorAll('#case .tabs button').length") == 2)
        sort_all(b, "lost", "case")
        hash_open = b.eval("location.hash")
        check("open case in the URL hash", "open=" in hash_open, hash_open)
        click(b, "#close")
        check("case closes", b.eval("!document.getElementById('case')"))

        # -- filters ------------------------------------------------------------
        set_filter(b, "f-model", "mock:oracle")
        set_filter(b, "f-only", "fail")
        check("filter: the oracle never fails", matrix_rows(b) == 0, matrix_rows(b))
        set_filter(b, "f-model", "")
        set_filter(b, "f-only", "")
        set_filter(b, "f-task", "job_ads")
        check("filter: task", matrix_rows(b) == 4, matrix_rows(b))
        set_filter(b, "f-task", "")
        set_filter(b, "f-q", "nurse")
        b.wait("document.querySelectorAll('#matrix tbody tr').length === 1")
        check("filter: free text over names", matrix_rows(b) == 1)
        set_filter(b, "f-q", "Hearthstone")
        b.wait("location.hash.indexOf('q=Hearthstone') >= 0")
        check("filter: free text over values", matrix_rows(b) == 1, matrix_rows(b))
        # the hash alone restores the view
        h = "#view=matrix&q=engineer&sort=matrix.case.d"
        b.navigate("about:blank", ready="true")
        b.navigate(page + h)
        check("hash: view restored", b.eval("document.getElementById('tab-matrix').getAttribute('aria-selected')") == "true")
        names = b.eval("Array.prototype.map.call(document.querySelectorAll('#matrix tbody tr:not([aria-hidden]) td:nth-child(2)'), function (t) { return t.textContent; })")
        check("hash: filter and sort restored", names == ["senior_backend_engineer", "ml_engineer_remote"], names)

        # -- field heat map -----------------------------------------------------
        b.navigate("about:blank", ready="true")
        b.navigate(page + "#view=fields")
        check("fields: rows for the schema's fields", b.eval("document.querySelectorAll('#fields tbody tr').length") > 10)
        check("fields: list items folded", b.eval("document.querySelector('#fields').textContent.indexOf('/0') < 0"))
        sort_all(b, "fields", "fields")
        b.eval("Array.prototype.filter.call(document.querySelectorAll('#fields td.cell[data-model=\"1\"]'), function (t) { return parseFloat(t.getAttribute('data-v')) < 100; })[0].click()")
        check("fields: click lists the cases that lost points", b.eval("document.querySelectorAll('#fieldcases tbody tr').length") > 0)
        sort_all(b, "fieldcases", "fields")
        click(b, "#fieldcases a")
        check("fields: a listed case opens", b.eval("!!document.getElementById('case')"))
        check("no error after all that", not b.problems(), b.problems())

        # -- hostile names and values -------------------------------------------
        htasks, rules, long_value = hostile_task(work)
        hostile = os.path.join(work, "h")
        run("run", "--tasks", htasks, "--models", "mock:rules", "--mock-rules", rules, "--fallback", "mock:oracle",
            "--output", hostile, "--format", "html,json", env=env)
        with open(os.path.join(hostile, "report.html"), encoding="utf-8") as f:
            text = f.read()
        check("hostile: no raw markup from the data in the file", "<img src=x" not in text and "window.pwned=2</script>" not in text
              and "<!--" not in text)
        b.events.clear()
        b.navigate("file://" + os.path.join(hostile, "report.html") + "#view=matrix")
        check("hostile: loads without error", not b.problems(), b.problems())
        check("hostile: no script of the data ran", b.eval("typeof window.pwned") == "undefined")
        check("hostile: no element from the data", b.eval("document.querySelectorAll('#app img, #app i, #app b[onmouseover]').length") == 0)
        cases = b.eval("Array.prototype.map.call(document.querySelectorAll('#matrix tbody td:nth-child(2)'), function (t) { return t.textContent; })")
        check("hostile: names shown as text", "q\"'<img src=x onerror=window.pwned=1>" in cases
              and "\u05e9\u05dc\u05d5\u05dd \u202eRTL \u0645\u0631\u062d\u0628\u0627" in cases, cases)
        check("hostile: fallback marked", b.eval("document.querySelectorAll('td .mk.fb').length") == 1)
        check("hostile: invalid reply marked", b.eval("document.querySelectorAll('td .mk.i').length") >= 1)
        b.eval("Array.prototype.filter.call(document.querySelectorAll('#matrix tbody tr'), function (tr) { return tr.children[1] && tr.children[1].textContent === 'long'; })[0].children[2].click()")
        check("hostile: a 10 kB value shown whole", b.eval("document.querySelector('#case').textContent.indexOf(%s) >= 0" % json.dumps(long_value)))
        click(b, "#close")
        b.eval("Array.prototype.filter.call(document.querySelectorAll('#matrix tbody tr'), function (tr) { return tr.children[1] && tr.children[1].textContent.indexOf('<img') >= 0; })[0].children[2].click()")
        check("hostile: value shown as text", b.eval("document.querySelector('#case').textContent.indexOf('</script><script>window.pwned=2</script><!--') >= 0"))
        click(b, "#close")
        click(b, "td .mk.fb")
        check("fallback: the case says who answered", b.eval("document.querySelector('#case').textContent.indexOf('answered by mock:oracle') >= 0"))
        check("fallback: attempts listed with the error as text", b.eval("document.querySelector('#attempts').textContent.indexOf('I am a teapot <b>') >= 0"))
        sort_all(b, "attempts", "case")
        check("hostile: still nothing ran", b.eval("typeof window.pwned") == "undefined" and not b.problems(), b.problems())

        # -- repeats whose answers differ ----------------------------------------
        flaky = os.path.join(work, "flaky")
        os.makedirs(flaky)
        with open(os.path.join(flaky, "results.jsonl"), "w") as f:
            for rep, (val, score) in enumerate([("Bob", 1.0), ("Rob", 0.5)]):
                f.write(json.dumps({"task": "t", "case": "c", "provider": "mock", "model": "m", "repeat": rep,
                                    "error": None, "answered_by": "mock:m", "accuracy": 50 + 50 * score, "valid": True,
                                    "usage": {"input_tokens": 1, "output_tokens": 1, "cost_usd": 0.1}, "latency_ms": 5,
                                    "fields": [{"path": "/name", "expected": "Bob", "actual": val, "score": score, "weight": 1,
                                                "reason": "match" if score == 1 else "fuzzy"},
                                               {"path": "/n", "expected": 1, "actual": 1, "score": 1, "weight": 1, "reason": "match"}],
                                    "answer": {"name": val, "n": 1}}) + "\n")
        run("report", os.path.join(flaky, "results.jsonl"), "--format", "html", "--output", flaky)
        b.events.clear()
        b.navigate("file://" + os.path.join(flaky, "report.html") + "#view=matrix")
        check("repeats: mean and spread in the cell", b.eval("document.querySelector('td.cell').textContent").startswith("87.5 \u00b112.5"),
              b.eval("document.querySelector('td.cell').textContent"))
        check("repeats: flaky case marked", b.eval("document.querySelectorAll('td .mk.fl').length") == 1)
        set_filter(b, "f-only", "changed")
        check("repeats: 'only flaky' keeps it", matrix_rows(b) == 1)
        click(b, "td.cell")
        check("repeats: the varying field named", b.eval("document.getElementById('flaky').textContent").find("/name (1.00 / 0.50)") >= 0,
              b.eval("document.getElementById('flaky').textContent"))
        check("repeats: the steady field not named", "/n " not in b.eval("document.getElementById('flaky').textContent"))

        # -- a large actual value kept once: the field detail refers to the answer --
        ref = os.path.join(work, "ref")
        os.makedirs(ref)
        big_text = "ZZ" + "y" * 6000
        with open(os.path.join(ref, "results.jsonl"), "w") as f:
            f.write(json.dumps({"task": "t", "case": "c", "provider": "mock", "model": "m", "repeat": 0,
                                "error": None, "accuracy": 50, "valid": True, "latency_ms": 1,
                                "usage": {"input_tokens": 1, "output_tokens": 1, "cost_usd": 0.1},
                                "fields": [{"path": "/te~1xt", "expected": "short", "actual_in_answer": True, "score": 0,
                                            "weight": 1, "reason": "mismatch"},
                                           {"path": "/n", "expected": 1, "actual": 1, "score": 1, "weight": 1, "reason": "match"}],
                                "answer": {"te/xt": big_text, "n": 1}}) + "\n")
        run("report", os.path.join(ref, "results.jsonl"), "--format", "html", "--output", ref)
        with open(os.path.join(ref, "report.html")) as f:
            check("actual_in_answer: the value is in report.html once", f.read().count(big_text) == 1)
        b.events.clear()
        b.navigate("file://" + os.path.join(ref, "report.html") + "#view=matrix")
        click(b, "td.cell")
        check("actual_in_answer: the lost field shows the answer's value",
              b.eval("document.querySelector('#lost').textContent.indexOf('\"ZZyyyy') >= 0"),
              b.eval("document.querySelector('#lost') && document.querySelector('#lost').textContent.slice(0, 200)"))
        check("actual_in_answer: marked in both panes", b.eval("document.querySelectorAll('#case .j-lost').length") == 2,
              b.eval("document.querySelectorAll('#case .j-lost').length"))
        check("actual_in_answer: nothing went wrong", not b.problems(), b.problems())

        # -- a big matrix draws the rows in view, wherever it is scrolled ----------
        big = os.path.join(work, "big")
        os.makedirs(big)
        with open(os.path.join(big, "results.jsonl"), "w") as f:
            for i in range(3000):
                f.write(json.dumps({"task": "t", "case": "c%05d" % i, "provider": "mock", "model": "m", "repeat": 0,
                                    "error": None, "accuracy": i % 101, "valid": True, "latency_ms": 1,
                                    "usage": {"input_tokens": 1, "output_tokens": 1, "cost_usd": 0.1},
                                    "fields": [], "answer": {"i": i}}) + "\n")
        run("report", os.path.join(big, "results.jsonl"), "--format", "html", "--output", big)
        b.navigate("about:blank", ready="true")
        b.navigate("file://" + os.path.join(big, "report.html") + "#view=matrix")
        check("big matrix: only some rows drawn", 0 < matrix_rows(b) < 200, matrix_rows(b))
        for target in (1500, 2500, 10, 99999):
            b.eval("(function(){var s=document.getElementById('matrix-scroll'), h=document.querySelector('#matrix tbody tr:not([aria-hidden])').offsetHeight; s.scrollTop=%d*h; s.dispatchEvent(new Event('scroll'));})()" % target)
            b.wait("new Promise(function(r){requestAnimationFrame(function(){requestAnimationFrame(function(){r(true)})})})")
            seen = b.eval("""(function(){var s=document.getElementById('matrix-scroll').getBoundingClientRect(), head=document.querySelector('#matrix th').getBoundingClientRect().bottom;
              return Array.prototype.filter.call(document.querySelectorAll('#matrix tbody tr:not([aria-hidden])'), function(tr){var q=tr.getBoundingClientRect(); return q.top>=head-2 && q.bottom<=s.bottom+2;})
              .map(function(tr){return tr.children[1].textContent;});})()""")
            if target == 99999:  # the bottom: the last case in view
                check("big matrix: the last rows in view at the bottom", len(seen) > 10 and seen[-1] == "c02999", seen[-3:])
            else:
                check("big matrix: rows in view after scrolling to %d" % target, len(seen) > 10 and abs(int(seen[0][1:]) - target) <= 2, seen[:3])

        # -- comparison pages ---------------------------------------------------
        p = run("report", "--compare", run_a, run_b, "--output", os.path.join(work, "cmp"))
        check("report --compare says where", "compare.html" in p.stdout, p.stdout)
        b.events.clear()
        b.navigate("file://" + os.path.join(work, "cmp", "compare.html"))
        check("compare: loads without error", not b.problems(), b.problems())
        check("compare: per model deltas", b.eval("document.querySelectorAll('#deltas tbody tr').length") == 2)
        deltas = b.eval("Array.prototype.map.call(document.querySelectorAll('#cases tbody td:nth-child(5)'), function (t) { return parseFloat(t.getAttribute('data-v')); })")
        check("compare: worse cases first", deltas == sorted(deltas) and len(deltas) > 0, deltas)
        sort_all(b, "deltas", "compare")
        sort_all(b, "cases", "compare")
        click(b, "#cases a")
        check("compare: two answers side by side", b.eval("document.querySelectorAll('#case .sbs pre').length") >= 2)
        check("compare: changed fields listed", b.eval("!!document.getElementById('changedfields') || document.querySelector('#case').textContent.indexOf('No field score changed') >= 0"))
        hist = os.path.join(work, "hist.html")
        run("history", "compare", "previous", "latest", "--format", "html", "--output", hist, env=env)
        b.events.clear()
        b.navigate("file://" + hist)
        check("history compare html: loads without error", not b.problems(), b.problems())
        check("history compare html: only the comparison view", b.eval("document.querySelectorAll('nav button').length") == 1)
        check("history compare html: says where answers are", b.eval("document.querySelector('.banner').textContent.indexOf('report --compare') >= 0"))
    finally:
        if b:
            b.close()
        shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed" % (PASSED[0], len(FAILS)))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
