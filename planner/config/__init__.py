"""planner.config"""
