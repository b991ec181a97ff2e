"""The store's order database: a SQLite file the example creates from `datasets/orders.jsonl`.

It holds what a back office holds, payment details and full addresses included, so that the
tools' field allowlists have something real to withhold. It also stores what the agent
writes: internal refund recommendations and submitted refunds, each keyed by the call's
idempotency key so that a retried or recovered call takes effect once.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from examples.refund_agent.catalogue import PRODUCTS

__all__ = ["DEFAULT_ORDERS_PATH", "ORDERS_SOURCE", "OrderDatabase"]

#: Where `earned run` keeps the example's order database (relative to the working directory).
DEFAULT_ORDERS_PATH = Path(".earned") / "refund_agent" / "orders.db"
#: The committed orders the database is built from.
ORDERS_SOURCE = Path(__file__).parent / "datasets" / "orders.jsonl"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS products (
    sku TEXT PRIMARY KEY, name TEXT NOT NULL, product_class TEXT NOT NULL,
    price REAL NOT NULL, personalised INTEGER NOT NULL, billing TEXT
);
CREATE TABLE IF NOT EXISTS orders (
    order_id TEXT PRIMARY KEY, date TEXT NOT NULL, status TEXT NOT NULL, total REAL NOT NULL,
    currency TEXT NOT NULL, region TEXT NOT NULL, sku TEXT NOT NULL REFERENCES products(sku),
    product_names TEXT NOT NULL, customer_name TEXT NOT NULL, email TEXT NOT NULL,
    phone TEXT NOT NULL, shipping_address TEXT NOT NULL, card_number TEXT NOT NULL,
    card_expiry TEXT NOT NULL, internal_note TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS recommendations (
    idempotency_key TEXT PRIMARY KEY, recommendation_id TEXT NOT NULL, order_id TEXT NOT NULL,
    decision TEXT NOT NULL, amount REAL, rationale TEXT NOT NULL, citations TEXT NOT NULL,
    confidence REAL NOT NULL, run_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS refunds (
    idempotency_key TEXT PRIMARY KEY, refund_id TEXT NOT NULL, order_id TEXT NOT NULL,
    amount REAL NOT NULL, policy_citation TEXT NOT NULL, run_id TEXT NOT NULL
);
"""
_ORDER_COLUMNS = (
    "order_id", "date", "status", "total", "currency", "region", "sku", "product_names",
    "customer_name", "email", "phone", "shipping_address", "card_number", "card_expiry",
    "internal_note",
)  # fmt: skip


class OrderDatabase:
    """The order database at `path`, created from `source` on first use."""

    def __init__(self, path: Path | str = DEFAULT_ORDERS_PATH, *, source: Path = ORDERS_SOURCE):
        self.path = Path(path)
        self.source = source
        self._lock = threading.Lock()
        self._ready: Path | None = None

    def __repr__(self) -> str:
        return f"OrderDatabase({str(self.path)!r})"

    @contextmanager
    def _connect(self) -> Generator[sqlite3.Connection]:
        self.ensure()
        conn = sqlite3.connect(self.path, timeout=10)
        conn.row_factory = sqlite3.Row
        try:
            with conn:
                yield conn
        finally:
            conn.close()

    def ensure(self) -> None:
        """Create the database (tables, catalogue, orders) unless it exists already.

        A relative path is resolved at each use, so the check is per resolved file: the same
        object used from another working directory creates that directory's database.
        """
        where = self.path.resolve()
        with self._lock:
            if self._ready == where:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=10)
            try:
                with conn:
                    conn.executescript(_SCHEMA)
                    if conn.execute("SELECT COUNT(*) FROM orders").fetchone()[0] == 0:
                        self._load(conn)
            finally:
                conn.close()
            self._ready = where

    def _load(self, conn: sqlite3.Connection) -> None:
        conn.executemany(
            "INSERT OR IGNORE INTO products VALUES (?, ?, ?, ?, ?, ?)",
            [
                (p.sku, p.name, p.product_class, p.price, int(p.personalised), p.billing)
                for p in PRODUCTS
            ],
        )
        rows = []
        for line in self.source.read_text(encoding="utf-8").splitlines():
            order = json.loads(line)
            order["product_names"] = json.dumps(order["product_names"], ensure_ascii=False)
            rows.append(tuple(order[c] for c in _ORDER_COLUMNS))
        marks = ", ".join("?" for _ in _ORDER_COLUMNS)
        conn.executemany(f"INSERT INTO orders ({', '.join(_ORDER_COLUMNS)}) VALUES ({marks})", rows)

    def order(self, order_id: str) -> dict[str, Any] | None:
        """The whole order row (sensitive fields included), or None."""
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM orders WHERE order_id = ?", (order_id,)).fetchone()
        if row is None:
            return None
        order = dict(row)
        order["product_names"] = json.loads(order["product_names"])
        return order

    def product_of(self, order_id: str) -> dict[str, Any] | None:
        """The catalogue row of an order's product, or None."""
        with self._connect() as conn:
            row = conn.execute(
                "SELECT p.* FROM products p JOIN orders o ON o.sku = p.sku WHERE o.order_id = ?",
                (order_id,),
            ).fetchone()
        return dict(row) if row is not None else None

    def add_recommendation(self, *, idempotency_key: str, **fields: Any) -> dict[str, Any]:
        """Store a recommendation once per idempotency key; returns the stored one."""
        fields = {**fields, "citations": json.dumps(fields["citations"])}
        rec_id = "rec_" + idempotency_key.removeprefix("idem_")[:12]
        with self._connect() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO recommendations (idempotency_key, recommendation_id, "
                "order_id, decision, amount, rationale, citations, confidence, run_id) "
                "VALUES (:key, :rec_id, :order_id, :decision, :amount, :rationale, :citations, "
                ":confidence, :run_id)",
                {"key": idempotency_key, "rec_id": rec_id, **fields},
            )
            row = conn.execute(
                "SELECT * FROM recommendations WHERE idempotency_key = ?", (idempotency_key,)
            ).fetchone()
        stored = dict(row)
        stored["citations"] = json.loads(stored["citations"])
        return stored

    def add_refund(self, *, idempotency_key: str, **fields: Any) -> tuple[dict[str, Any], bool]:
        """Store a refund once per idempotency key: (the stored refund, created now?)."""
        refund_id = "ref_" + idempotency_key.removeprefix("idem_")[:12]
        with self._connect() as conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO refunds (idempotency_key, refund_id, order_id, amount, "
                "policy_citation, run_id) VALUES (:key, :refund_id, :order_id, :amount, "
                ":policy_citation, :run_id)",
                {"key": idempotency_key, "refund_id": refund_id, **fields},
            )
            created = cursor.rowcount == 1
            if created:
                conn.execute(
                    "UPDATE orders SET status = 'refunded' WHERE order_id = ?",
                    (fields["order_id"],),
                )
            row = conn.execute(
                "SELECT * FROM refunds WHERE idempotency_key = ?", (idempotency_key,)
            ).fetchone()
        return dict(row), created

    def refunds(self) -> list[dict[str, Any]]:
        """Every refund submitted so far."""
        with self._connect() as conn:
            return [dict(r) for r in conn.execute("SELECT * FROM refunds ORDER BY rowid")]

    def recommendations(self) -> list[dict[str, Any]]:
        """Every recommendation written so far."""
        with self._connect() as conn:
            rows = conn.execute("SELECT * FROM recommendations ORDER BY rowid").fetchall()
        return [{**dict(r), "citations": json.loads(r["citations"])} for r in rows]
