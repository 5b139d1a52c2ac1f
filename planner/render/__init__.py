"""planner.render: the views of a plan and a state for people and tools.

``text`` (what ``plan``/``apply`` print, Terraform's wording), ``markdown`` (the review comment)
and ``json_plan`` (Terraform's ``show -json`` shape). They read the plan; nothing in the plan
layer decides what they print.
"""
