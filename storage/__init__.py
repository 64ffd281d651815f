"""The database (SQLite embedded, PostgreSQL shared), migrations, the audit chain, backups and reports.

Never imports ``ui`` or ``reader``.
"""
