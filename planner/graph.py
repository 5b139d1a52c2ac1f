"""The dependency graph of resources (networkx), and located cycle diagnostics.

Edge A -> B means B depends on A: A must exist first. ``reason`` tells a reviewer why the edge
is there ("reference" from an expression, "depends_on" from the meta-argument).
"""

from __future__ import annotations

import networkx as nx

from planner.addresses import ResourceAddress
from planner.config.model import Configuration
from planner.diagnostics import Diagnostic


def resource_graph(config: Configuration) -> nx.DiGraph:
    """Nodes: every resource and data instance; edge A -> B when B depends on A."""
    g = nx.DiGraph()
    everything = {**config.data_sources, **config.resources}
    for addr in everything:
        g.add_node(addr)
    instances: dict[ResourceAddress, list[ResourceAddress]] = {}
    for addr in everything:
        instances.setdefault(addr.resource, []).append(addr)
    for addr, inst in everything.items():
        explicit = config.explicit_depends_on(addr)
        for dep in inst.depends_on:
            # an unkeyed address of a counted resource stands for every instance of it
            for d in ((dep,) if dep in everything else instances.get(dep, ())):
                if d == addr:
                    continue
                reason = "depends_on" if d in explicit else "reference"
                g.add_edge(d, addr, reason=reason)
    return g


def find_cycle_diagnostics(graph: nx.DiGraph, config: Configuration | None = None) -> list[Diagnostic]:
    """One located "Cycle: a -> b -> a" diagnostic per strongly connected component with a cycle."""
    diags: list[Diagnostic] = []
    for comp in nx.strongly_connected_components(graph):
        if len(comp) == 1:
            (only,) = comp
            if not graph.has_edge(only, only):
                continue
        cycle = nx.find_cycle(graph.subgraph(comp))
        names = [str(edge[0]) for edge in cycle] + [str(cycle[0][0])]
        first = min(comp)
        pos = None
        if config is not None:
            inst = config.resources.get(first) or config.data_sources.get(first)
            pos = inst.pos if inst is not None else None
        diags.append(Diagnostic("Cycle: " + " -> ".join(names), pos,
                                "These resources depend on each other, so none of them can be created first.",
                                "remove one of the references or depends_on entries"))
    return diags
