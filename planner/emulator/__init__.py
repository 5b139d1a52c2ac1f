"""planner.emulator"""
