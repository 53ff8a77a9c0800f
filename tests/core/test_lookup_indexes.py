"""The lookups that grow with the tables have their indexes on both databases (migration 0017). SQLite drops an
index when a later migration rebuilds its table (STACK-NOTES), so this is checked on the migrated database."""

from __future__ import annotations

from tortoise import Tortoise

WANTED = {("payments", "order_id"), ("payments", "paid_at"), ("refunds", "created_at")}


async def _indexed_columns(table: str) -> set[str]:
    connection = Tortoise.get_connection("default")
    if connection.capabilities.dialect == "postgres":
        rows = await connection.execute_query_dict(
            "SELECT a.attname AS column_name FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
            "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = i.indkey[0] WHERE t.relname = $1", [table])
        return {row["column_name"] for row in rows}
    columns: set[str] = set()
    for index in await connection.execute_query_dict(f"PRAGMA index_list('{table}')"):
        first = await connection.execute_query_dict(f"PRAGMA index_info('{index['name']}')")
        columns.update(row["name"] for row in first if row["seqno"] == 0)
    return columns


async def test_payments_by_order_and_by_day_and_refunds_by_day_are_indexed(server):
    found = {(table, column) for table, column in WANTED if column in await _indexed_columns(table)}
    assert found == WANTED
