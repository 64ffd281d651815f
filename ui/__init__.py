"""Thin PySide6 front end: shows state and forwards intent; never builds an APDU or a query."""
