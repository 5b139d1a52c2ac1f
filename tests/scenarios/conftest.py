"""Scenario runner helpers live in scenario_runner.py (imported by the tests)."""
