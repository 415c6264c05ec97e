"""Reads one pydantic-llm-tester task folder for `llm-tester import`.

Usage: python3 llmt_pyimport.py TASK_DIR TASK_NAME

Imports TASK_DIR/model.py with a stand-in for the old `pydantic_llm_tester` package,
chooses the main model class as the Python tool did, asks it for its test cases (so a
task's own get_test_cases, such as job_ads' image case, pairs files as it always did)
and prints one JSON object on stdout: the class, its model_json_schema(), its skip
fields, its docstring and the cases with their file paths. llm-tester copies the files;
this script writes nothing.

Exit status: 0 done; 1 the task cannot be imported ({"error": ...} on stdout);
3 pydantic 2 is not installed (a message on stderr).
"""
import importlib.util
import inspect
import json
import os
import sys
import types

try:
    import pydantic
    from pydantic import BaseModel
except ImportError:
    sys.stderr.write("pydantic is not installed for %s\n" % sys.executable)
    sys.exit(3)
if not str(getattr(pydantic, "VERSION", "1")).startswith("2"):
    sys.stderr.write("pydantic %s is installed for %s; version 2 is needed\n"
                     % (pydantic.VERSION, sys.executable))
    sys.exit(3)


def standard_cases(module_dir, module_name):
    """The Python tool's base pairing: every sources/<case>.txt with prompts/<case>.txt
    and expected/<case>.json; anything else is left out."""
    tests = os.path.join(module_dir, "tests")
    dirs = [os.path.join(tests, d) for d in ("sources", "prompts", "expected")]
    if not all(os.path.isdir(d) for d in dirs):
        return []
    sources, prompts, expected = dirs
    cases = []
    for name in sorted(os.listdir(sources)):
        if not name.endswith(".txt"):
            continue
        base = name[:-4]
        prompt = os.path.join(prompts, base + ".txt")
        answer = os.path.join(expected, base + ".json")
        if os.path.exists(prompt) and os.path.exists(answer):
            cases.append({"module": module_name, "name": base,
                          "source_path": os.path.join(sources, name),
                          "prompt_path": prompt, "expected_path": answer})
    return cases


class BasePyModel(BaseModel):
    """Stand-in for pydantic_llm_tester.py_models.base.BasePyModel: the same model
    configuration, skip fields and case discovery; reports are llm-tester's job."""

    model_config = {"extra": "ignore", "validate_assignment": True}

    @classmethod
    def get_skip_fields(cls):
        return set()

    @classmethod
    def get_test_cases(cls, module_dir=None):
        if module_dir is None:
            module_dir = os.path.dirname(inspect.getfile(cls))
        return standard_cases(module_dir, getattr(cls, "MODULE_NAME", ""))

    @classmethod
    def model_validate_safe(cls, obj):
        try:
            return cls.model_validate(obj), []
        except pydantic.ValidationError as e:
            return None, ["%s: %s" % (".".join(str(p) for p in err["loc"]), err["msg"])
                          for err in e.errors()]

    @classmethod
    def save_module_report(cls, *args, **kwargs):
        return ""

    @classmethod
    def save_module_cost_report(cls, *args, **kwargs):
        return ""


def install_stand_in():
    """The package names model.py files import, whether or not the old package is
    installed, so every import behaves the same."""
    names = ["pydantic_llm_tester", "pydantic_llm_tester.py_models",
             "pydantic_llm_tester.py_models.base"]
    for name in names:
        mod = types.ModuleType(name)
        mod.__path__ = []
        sys.modules[name] = mod
    sys.modules["pydantic_llm_tester"].py_models = sys.modules["pydantic_llm_tester.py_models"]
    sys.modules["pydantic_llm_tester.py_models"].base = sys.modules["pydantic_llm_tester.py_models.base"]
    sys.modules["pydantic_llm_tester.py_models.base"].BasePyModel = BasePyModel
    sys.modules["pydantic_llm_tester.py_models"].BasePyModel = BasePyModel


# The answer goes to the real standard output; whatever model.py prints (the Python
# tool's models print warnings) goes to standard error, so it cannot corrupt the JSON.
ANSWER = sys.stdout


def answer(obj):
    json.dump(obj, ANSWER)
    ANSWER.write("\n")
    ANSWER.flush()


def fail(msg):
    answer({"error": msg})
    sys.exit(1)


def referenced_titles(cls):
    try:
        return set(cls.model_json_schema().get("$defs", {}).keys())
    except Exception:
        return set()


def main_class(module, module_name):
    """The Python tool's choice: among the BaseModel subclasses defined in model.py, the
    one named after the task in singular CamelCase (job_ads -> JobAd), else one named
    Model, else the only one. Where it gave up, the only BasePyModel subclass, else the
    only class no other one refers to (the root the others hang from)."""
    found = [(n, o) for n, o in inspect.getmembers(module, inspect.isclass)
             if issubclass(o, BaseModel) and o is not BaseModel and o is not BasePyModel
             and getattr(o, "__module__", None) == module.__name__]
    if not found:
        fail("model.py defines no pydantic BaseModel subclass")
    singular = "".join(w.capitalize() for w in module_name.split("_"))
    if singular.endswith("s") and len(singular) > 1:
        singular = singular[:-1]
    for want, why in ((singular, "named after the task"), ("Model", "named Model")):
        for n, o in found:
            if n == want:
                return o, why
    if len(found) == 1:
        return found[0][1], "the only model class"
    based = [(n, o) for n, o in found if issubclass(o, BasePyModel)]
    if len(based) == 1:
        return based[0][1], "the only BasePyModel subclass"
    used = set()
    for n, o in found:
        used |= referenced_titles(o) - {o.__name__}
    roots = [(n, o) for n, o in found if n not in used]
    if len(roots) == 1:
        return roots[0][1], "the class the others hang from"
    fail("cannot tell the main model class among %s: name it %s or Model"
         % (", ".join(n for n, _ in found), singular))
    return None, None


def cases_of(cls, module_dir, module_name):
    getter = getattr(cls, "get_test_cases", None)
    if getter is None:
        return standard_cases(module_dir, module_name)
    try:
        params = inspect.signature(getter).parameters
        cases = getter(module_dir) if len(params) else getter()
    except (Exception, SystemExit) as e:
        fail("%s.get_test_cases failed: %s: %s" % (cls.__name__, type(e).__name__, e))
    out = []
    for c in cases or []:
        if not isinstance(c, dict) or "name" not in c:
            continue
        out.append({"name": str(c["name"]),
                    "source": c.get("source_path"), "prompt": c.get("prompt_path"),
                    "expected": c.get("expected_path"),
                    "files": [str(p) for p in c.get("file_paths") or []]})
    out.sort(key=lambda c: c["name"])
    return out


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: llmt_pyimport.py TASK_DIR TASK_NAME\n")
        return 2
    sys.stdout = sys.stderr
    module_dir = os.path.abspath(sys.argv[1])
    module_name = sys.argv[2]
    install_stand_in()
    sys.dont_write_bytecode = True  # leave no new __pycache__ in the user's tree
    path = os.path.join(module_dir, "model.py")
    spec = importlib.util.spec_from_file_location("_llmt_import_" + module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as e:
        fail("importing model.py failed: %s: %s" % (type(e).__name__, e))
    cls, why = main_class(module, module_name)
    try:
        schema = cls.model_json_schema()
    except Exception as e:
        fail("%s.model_json_schema() failed: %s: %s" % (cls.__name__, type(e).__name__, e))
    skip = []
    if hasattr(cls, "get_skip_fields"):
        try:
            skip = sorted(str(f) for f in cls.get_skip_fields())
        except Exception as e:
            fail("%s.get_skip_fields() failed: %s: %s" % (cls.__name__, type(e).__name__, e))
    doc = inspect.getdoc(cls) or ""
    if doc == inspect.getdoc(BasePyModel) or doc == inspect.getdoc(BaseModel):
        doc = ""
    answer({"class": cls.__name__, "chosen": why, "schema": schema, "skip_fields": skip,
            "description": doc.strip(), "cases": cases_of(cls, module_dir, module_name)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
