"""The house's order (docs/architecture.md): an app imports core and the apps below it, never upwards and
never a sibling on its own row, and no app reaches another app's models through `apps.get_model`."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "yiyang"

# Lower rows first. Facilities sit just above elders: a facility's residents are elders.
ROWS = {
    "core": 1,
    "regions": 2,
    "accounts": 3,
    "elders": 4,
    "facilities": 4.5,
    "providers": 5,
    "homecare": 6,
    "care": 6,
    "renovation": 6,
    "benefits": 6,
    "visits": 7,  # visits to elders in difficulty turn findings into home-care orders
    "supervision": 8,
    "servicemap": 9,
    "analytics": 9.5,  # the dashboards read the service map's coverage figures
    "imports": 10,
    "exchange": 10,
    "demo": 11,
}


def _app_modules():
    for path in sorted(ROOT.glob("*/**/*.py")):
        parts = path.relative_to(ROOT).parts
        if parts[0] not in ROWS or "migrations" in parts or "tests" in parts:
            continue
        yield parts[0], path


def _imported_apps(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "yiyang" and len(parts) > 1 and parts[1] in ROWS:
                yield parts[1], node.lineno


def test_every_app_has_a_row():
    apps = {p.name for p in ROOT.iterdir() if (p / "apps.py").exists()}
    assert apps <= set(ROWS), f"give these apps a row in ROWS and docs/architecture.md: {apps - set(ROWS)}"


@pytest.mark.parametrize(("app", "path"), list(_app_modules()), ids=lambda value: str(value))
def test_imports_flow_down_the_app_order(app, path):
    wrong = [
        f"{path.relative_to(ROOT.parent)}:{line} imports {target} (row {ROWS[target]}) from {app} (row {ROWS[app]})"
        for target, line in _imported_apps(path)
        if target != app and ROWS[target] >= ROWS[app]
    ]
    assert not wrong, "\n".join(wrong)


def test_no_app_reaches_another_apps_models_by_name():
    found = []
    for app, path in _app_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "get_model"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and str(node.args[0].value).split(".")[0] != app
            ):
                found.append(f"{path.relative_to(ROOT.parent)}:{node.lineno}")
    assert not found, f"import the model from the app below instead: {found}"
