"""planner.schema"""
