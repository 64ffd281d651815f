"""The database (SQLite embedded, PostgreSQL shared), migrations, the audit chain, backups,
reports.

Never imports ``ui`` or ``reader``.
"""
