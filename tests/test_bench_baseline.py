"""The benchmark's baseline (scripts/bench/baseline_app.py) mirrors the product's order tables: a column added to
or dropped from them must be mirrored there or named in its NOT_MIRRORED, or the baseline quietly measures less."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scripts/bench/baseline_app.py"
PRODUCT = (ROOT / "app/orders/models.py", ROOT / "app/checkout/models.py", ROOT / "app/catalog/models.py",
           ROOT / "app/wallet/models.py")


def _tables(path: Path) -> dict[str, set[str]]:
    """Each Tortoise model's table and its columns (a foreign key `user` is the column `user_id`), read from the
    source: nothing is imported."""
    tables = {}
    for model in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(model, ast.ClassDef):
            continue
        meta = next((item for item in model.body if isinstance(item, ast.ClassDef) and item.name == "Meta"), None)
        table = next((ast.literal_eval(item.value) for item in (meta.body if meta else ())
                      if isinstance(item, ast.Assign) and item.targets[0].id == "table"), None)
        if table is None:
            continue
        columns = set()
        for item in model.body:
            if isinstance(item, ast.Assign) and isinstance(item.value, ast.Call):
                kind = getattr(item.value.func, "attr", "")
                name = item.targets[0].id
                columns.add(f"{name}_id" if kind == "ForeignKeyField" else name)
        tables[table] = columns
    return tables


def _not_mirrored() -> dict[str, tuple[str, ...]]:
    tree = ast.parse(BASELINE.read_text(encoding="utf-8"))
    [value] = [node.value for node in tree.body
               if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "NOT_MIRRORED"]
    return ast.literal_eval(value)


def test_the_baseline_mirrors_every_column_of_the_order_tables_or_says_which_it_leaves_out():
    product = {table: columns for path in PRODUCT for table, columns in _tables(path).items()}
    baseline = {table: columns for table, columns in _tables(BASELINE).items() if table != "users"}
    not_mirrored = _not_mirrored()
    assert set(baseline) == set(not_mirrored), "every mirrored table is listed in NOT_MIRRORED, and only those"
    for table, columns in baseline.items():
        left_out = set(not_mirrored[table])
        assert columns | left_out == product[table], (table, sorted(product[table] - columns - left_out),
                                                      sorted((columns | left_out) - product[table]))
        assert not columns & left_out, (table, sorted(columns & left_out))
