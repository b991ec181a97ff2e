"""The project database: tables, migrations, the run store and the span store.

```python
from earned.store import Database, RunStore, SpanStore

db = Database("sqlite:///./.earned/earned.db")   # or postgresql://user@host/db
db.upgrade()                                      # Alembic, to the newest revision
runs, spans = RunStore(db), SpanStore(db)
```

SQLite is the embedded default; PostgreSQL needs `pip install 'earned[postgres]'`.
"""

from __future__ import annotations

from earned.store._audit import AuditEntry, AuditLog
from earned.store._database import MIGRATIONS_DIR, VERSION_TABLE, Database, Dialect
from earned.store._errors import RunNotFoundError, SchemaVersionError, SpanWriteError
from earned.store._runs import RunRecord, RunStore
from earned.store._spans import SpanStore
from earned.store._tables import SPAN_SCHEMA_VERSION, metadata

__all__ = [
    "MIGRATIONS_DIR",
    "SPAN_SCHEMA_VERSION",
    "VERSION_TABLE",
    "AuditEntry",
    "AuditLog",
    "Database",
    "Dialect",
    "RunNotFoundError",
    "RunRecord",
    "RunStore",
    "SchemaVersionError",
    "SpanStore",
    "SpanWriteError",
    "metadata",
]
