"""Shared test helpers other suites import (real services started by the tests, not mocks)."""
