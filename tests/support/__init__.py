"""Shared test helpers other suites import (real services, not mocks)."""
