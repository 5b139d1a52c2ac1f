"""planner.state"""
