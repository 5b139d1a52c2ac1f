"""``clbplan graph [DIR] [-type=plan] [-format=dot|svg|png]``: the graphs behind a plan, in DOT.

Without ``-type`` it is the resource graph of the configuration (an arrow from a resource to
what it depends on, as ``terraform graph`` draws it). With ``-type=plan`` it is the operation
graph clbplan will walk: one node per operation, numbered in plan order, and an arrow from each
step to the step that must wait for it, labelled with the reason (a cloud rule, a reference).
A group node (every write of a counted resource, waited for at once) is drawn as a diamond that
its members point into and its dependents wait on.
svg and png go through Graphviz's ``dot`` when it is installed.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

import click

from planner.addresses import module_text
from planner.cli.common import backend_for, workdir_of
from planner.diagnostics import Diagnostic, DiagnosticsError
from planner.engine.pipeline import _evaluate, _load, make_plan
from planner.graph import resource_graph
from planner.plan.diff import Differ
from planner.plan.model import Plan, group_description, group_members
from planner.state.session import open_state

KIND_STYLE = {"create": "#2e7d32", "update": "#f9a825", "delete": "#c62828"}


def _q(text: str) -> str:
    """A DOT double-quoted string."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _clustered(node_lines: list[tuple[tuple, str]]) -> list[str]:
    """Node lines, those of a module instance inside a labelled cluster per module instance (nested
    as the modules are), so the drawing shows which module each resource belongs to."""
    tree: dict = {}
    for path, line in node_lines:
        node = tree
        for i in range(len(path)):
            node = node.setdefault(path[: i + 1], {})
        node.setdefault((), []).append(line)

    def emit(node: dict, depth: int) -> list[str]:
        pad = "  " * (depth + 2)
        out = [f"{pad}{ln}" for ln in node.get((), [])]
        for path in [k for k in node if k != ()]:
            name = module_text(path)
            out.append(f"{pad}subgraph {_q('cluster_' + name)} {{")
            out.append(f"{pad}  label = {_q(name)}")
            out += emit(node[path], depth + 1)
            out.append(f"{pad}}}")
        return out

    return emit(tree, 0)


def resource_dot(nodes: Iterable, edges: Iterable[tuple[object, object, str]]) -> str:
    """DOT for a resource graph; ``edges`` are (dependency, dependent, reason)."""
    lines = ["digraph {", '  compound = "true"', '  newrank = "true"', '  rankdir = "RL"',
             '  node [shape = "box", fontname = "Helvetica"]', '  subgraph "root" {']
    node_lines = []
    for n in sorted(nodes, key=str):
        kind = "data" if getattr(n, "mode", "managed") == "data" else "resource"
        node_lines.append((getattr(n, "module", ()),
                           f"{_q(str(n))} [label = {_q(str(n))}, shape = {_q('note' if kind == 'data' else 'box')}]"))
    lines += _clustered(node_lines)
    for dep, dependent, reason in sorted(edges, key=lambda e: (str(e[1]), str(e[0]))):
        style = ', style = "dashed"' if reason == "depends_on" else ""
        lines.append(f"    {_q(str(dependent))} -> {_q(str(dep))}{style}")
    lines += ["  }", "}"]
    return "\n".join(lines) + "\n"


def plan_dot(plan: Plan) -> str:
    """DOT for the operation graph; every edge is labelled with the reason for it."""
    index = {op.id: i + 1 for i, op in enumerate(plan.operations)}
    lines = ["digraph {", '  compound = "true"', '  newrank = "true"', '  rankdir = "LR"',
             '  node [shape = "box", style = "rounded", fontname = "Helvetica"]',
             '  edge [fontname = "Helvetica", fontsize = "10"]', '  subgraph "plan" {']
    node_lines = []
    for i, op in enumerate(plan.operations, 1):
        label = f"{i}. {op.kind.value} {op.address}" + ("\n(with its load balancer: no API call)" if op.cascaded
                                                         else "")
        colour = KIND_STYLE.get(op.kind.value, "black")
        extra = ', style = "rounded,dashed"' if op.cascaded else ""
        node_lines.append((op.address.module, f"{_q(op.id)} [label = {_q(label)}, color = {_q(colour)}{extra}]"))
    lines += _clustered(node_lines)
    for gid, members in sorted(group_members(plan.edges).items()):
        label = group_description(gid, len(members))
        lines.append(f"    {_q(gid)} [label = {_q(label)}, shape = \"diamond\", style = \"dashed\"]")
    for e in sorted(plan.edges, key=lambda e: (index.get(e.before, 0), index.get(e.after, 0))):
        lines.append(f"    {_q(e.before)} -> {_q(e.after)} [label = {_q(e.reason)}]")
    lines += ["  }", "}"]
    return "\n".join(lines) + "\n"


def render_with_graphviz(dot: str, fmt: str) -> bytes:
    """Run Graphviz ``dot -T<fmt>``; a clear diagnostic when it is missing or fails."""
    exe = shutil.which("dot")
    if exe is None:
        raise DiagnosticsError([Diagnostic(
            f"Graphviz is not installed: -format={fmt} needs the `dot` program",
            detail="clbplan writes DOT itself; only svg and png need Graphviz",
            hint="install Graphviz (e.g. apt-get install graphviz), or use -format=dot and render it elsewhere")])
    proc = subprocess.run([exe, f"-T{fmt}"], input=dot.encode(), capture_output=True, timeout=120)
    if proc.returncode != 0:
        raise DiagnosticsError([Diagnostic(f"Graphviz failed to render the graph as {fmt}",
                                           detail=proc.stderr.decode(errors="replace").strip())])
    return proc.stdout


@click.command("graph")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
@click.option("-type", "--type", "type_", default="resource", show_default=True,
              type=click.Choice(["resource", "plan", "plan-destroy"]),
              help="resource: the configuration's dependencies; plan: the ordered operation graph.")
@click.option("-format", "--format", "fmt", default="dot", show_default=True,
              type=click.Choice(["dot", "svg", "png"]), help="svg and png need Graphviz's `dot`.")
@click.option("-out", "--out", "out", default=None, metavar="FILE", help="Write to FILE instead of stdout.")
@click.option("-state", "state_path", default=None, metavar="PATH", help="State file (default: in DIR).")
@click.option("-var", "var_args", multiple=True, metavar="NAME=VALUE")
@click.option("-var-file", "var_files", multiple=True, metavar="FILE")
@click.option("-lock-timeout", "lock_timeout", default="0s")
def graph(directory, type_, fmt, out, state_path, var_args, var_files, lock_timeout) -> None:
    """Print the resource graph, or with -type=plan the operation graph, as DOT (or svg/png)."""
    workdir = workdir_of(directory)
    backend = backend_for(workdir, state_path, lock_timeout)
    if type_ == "resource":
        state = backend.read()
        config = _evaluate(_load(workdir), var_args=var_args, var_files=var_files, env=None,
                           resolver=Differ(state).resolve)
        g = resource_graph(config)
        dot = resource_dot(g.nodes, [(a, b, d.get("reason", "")) for a, b, d in g.edges(data=True)])
    else:
        with open_state(backend, "graph", mutating=False) as session:
            planned = make_plan(workdir, session.state, var_args=var_args, var_files=var_files,
                                destroy=type_ == "plan-destroy")
            planned.close()  # the graph needs the plan only, not the clouds
        dot = plan_dot(planned.plan)
    data = dot.encode() if fmt == "dot" else render_with_graphviz(dot, fmt)
    if out:
        Path(out).write_bytes(data)
        return
    if fmt == "dot":
        click.echo(dot, nl=False)
    else:
        click.get_binary_stream("stdout").write(data)
