"""Pulls the commands of a recipe out of docs/scale-out.md, so that tests/e2e/scale_out.sh
runs exactly what the page tells users to run. Usage:
  recipes.py DOC NAME             the recipe's fenced block, verbatim
  recipes.py DOC NAME k8s-script  the shell script in a Job manifest's `args: - |`
  recipes.py DOC NAME k8s-count   the manifest's completions
  recipes.py DOC NAME gha JOB     the `run:` commands of a GitHub Actions job, one a line,
                                  minus package installs; "ARTIFACT name path" lines for
                                  each upload-artifact step
  recipes.py DOC NAME slurm-array the #SBATCH --array range as "FIRST LAST STEP"
Standard library only."""
import re
import sys


def block(doc, name):
    text = open(doc, encoding="utf-8").read()
    m = re.search(r"<!-- recipe: %s -->\s*```[a-z]*\n(.*?)```" % re.escape(name), text, re.S)
    if not m:
        sys.exit("recipe %s not found in %s" % (name, doc))
    return m.group(1)


def k8s_script(body):
    lines = body.splitlines()
    for i, line in enumerate(lines):
        if re.match(r"\s*args:\s*$", line) and lines[i + 1].strip() == "- |":
            indent = None
            out = []
            for l in lines[i + 2:]:
                if not l.strip():
                    continue
                ind = len(l) - len(l.lstrip())
                if indent is None:
                    indent = ind
                if ind < indent:
                    break
                out.append(l[indent:])
            return "\n".join(out) + "\n"
    sys.exit("no args: - | block in the manifest")


def gha(body, job):
    out, cur, step = [], None, {}
    for line in body.splitlines() + ["  end:"]:
        m = re.match(r"^  ([A-Za-z0-9_-]+):\s*$", line)
        if m:
            cur = m.group(1)
            continue
        if cur != job:
            continue
        m = re.match(r"^\s*- (uses|run): (.*)$", line)
        if m:
            step = {"kind": m.group(1), "value": m.group(2)}
            if m.group(1) == "run" and "apt-get" not in m.group(2):
                out.append(m.group(2))
            continue
        m = re.match(r"^\s+(name|path): (.*)$", line)
        if m and step.get("kind") == "uses" and "upload-artifact" in step["value"]:
            step[m.group(1)] = m.group(2)
            if "name" in step and "path" in step:
                out.append("ARTIFACT %s %s" % (step["name"], step["path"]))
    return "\n".join(out) + "\n"


def main():
    doc, name = sys.argv[1], sys.argv[2]
    mode = sys.argv[3] if len(sys.argv) > 3 else "block"
    body = block(doc, name)
    if mode == "block":
        sys.stdout.write(body)
    elif mode == "k8s-script":
        sys.stdout.write(k8s_script(body))
    elif mode == "k8s-count":
        print(re.search(r"completions:\s*(\d+)", body).group(1))
    elif mode == "gha":
        sys.stdout.write(gha(body, sys.argv[4]))
    elif mode == "gha-matrix":
        print(" ".join(re.search(r"shard:\s*\[([^\]]*)\]", body).group(1).replace(",", " ").split()))
    elif mode == "slurm-array":
        m = re.search(r"#SBATCH --array=(\d+)-(\d+)(?::(\d+))?", body)
        print(m.group(1), m.group(2), m.group(3) or 1)
    else:
        sys.exit("unknown mode " + mode)


main()
