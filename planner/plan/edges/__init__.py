"""The ordering rules, one module each, run in the order of ``planner.plan.ordering.STEPS``."""
