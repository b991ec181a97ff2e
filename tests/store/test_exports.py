import earned.store


def test_public_names_are_pinned() -> None:
    assert sorted(earned.store.__all__) == [
        "AuditEntry",
        "AuditLog",
        "Database",
        "Dialect",
        "MIGRATIONS_DIR",
        "RunNotFoundError",
        "RunRecord",
        "RunStore",
        "SPAN_SCHEMA_VERSION",
        "SchemaVersionError",
        "SpanStore",
        "SpanWriteError",
        "VERSION_TABLE",
        "metadata",
    ]
    for name in earned.store.__all__:
        assert getattr(earned.store, name) is not None
