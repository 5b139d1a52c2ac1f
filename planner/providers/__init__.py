"""planner.providers"""
