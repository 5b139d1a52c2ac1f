"""``clbplan console [DIR] [-var ...] [-var-file ...] [-state PATH]``, as ``terraform console``.

Evaluates expressions against the configuration and the state: ``var.*``, ``local.*``, module
outputs, every function, and resources with the attributes recorded in the state (a resource not
yet applied, or an attribute only the cloud knows, is "(known after apply)"; a sensitive value is
"(sensitive value)"). At a terminal it prompts with "> ", keeps going after an error, reads an
expression over several lines while brackets are open, and ends on ``exit`` or end of input. With
piped input it behaves as Terraform's: each line is evaluated, the first error ends the run with
exit 1, and only the last result is printed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from planner.config.expr import EvalError, Scope
from planner.config.hclparse import SyntaxProblem, parse_expression
from planner.diagnostics import Diagnostic, DiagnosticsError
from planner.hclvalue import SENSITIVE, format_value


class ConsoleSession:
    """The evaluated configuration with resources read from the state; ``handle`` one input."""

    def __init__(self, workdir: Path, state_path: Path, var_args: tuple[str, ...] = (),
                 var_files: tuple[str, ...] = ()) -> None:
        from planner.config import Module, evaluate, load_module
        from planner.state.backend import LocalBackend
        from planner.values import UNKNOWN

        state = LocalBackend(state_path).read() if state_path.exists() else None
        recorded = dict(state.resources) if state is not None else {}

        def resolver(inst: Any) -> dict:
            rs = recorded.get(inst.address)
            # not applied yet: the whole object is known only after apply, as Terraform shows it
            return {**rs.attributes, "id": rs.id} if rs is not None else UNKNOWN

        has_config = any(p.name.endswith((".tf", ".tf.json")) for p in workdir.iterdir() if p.is_file())
        # like terraform console, an empty directory is fine: functions and literals still evaluate
        module = load_module(workdir) if has_config else Module(directory=str(workdir))
        config = evaluate(module, var_args=var_args, var_files=var_files, resolver=resolver)
        self.ev = config._instance_evaluator
        self.module = self.ev.m

    def handle(self, text: str) -> tuple[str, bool]:
        """(printed result, exit requested); raises DiagnosticsError for a bad expression."""
        line = text.strip()
        if line == "exit":
            return "", True
        if not line:
            return "", False
        if line == "help":
            return ("The console evaluates expressions against the configuration and its state, as "
                    "`terraform console` does.\nType an expression such as var.region or "
                    "alicloud_slb_load_balancer.web.address; `exit` or Ctrl-D ends the session."), False
        from planner.config import limits

        if limits.too_deep(line) is not None:  # the parser would recurse until Python gives up
            raise DiagnosticsError([Diagnostic(
                "Expression too deeply nested",
                detail=f"Brackets, braces and parentheses nest more than {limits.MAX_NESTING} levels deep; "
                       f"clbplan's limit is {limits.MAX_NESTING} levels.", hint=limits.HINT)])
        try:
            expr = parse_expression(line)
            self._check_declared(expr)
            value = self.ev.ev.ev(expr, Scope(self.ev.root))
        except (EvalError, SyntaxProblem) as e:
            raise DiagnosticsError([Diagnostic(e.summary, detail=e.detail,
                                               hint=getattr(e, "hint", "") or "")]) from None
        if self.ev.is_sensitive(expr):
            return SENSITIVE, False
        return format_value(value), False


    def _check_declared(self, expr: Any) -> None:
        """Terraform's messages for a name the root module does not declare."""
        from planner.config.expr import references

        m = self.module
        for ref, line, col in references(expr):
            kind = ref[0]
            if kind == "var" and ref[1] and ref[1] not in m.variables:
                raise EvalError("Reference to undeclared input variable",
                                f'An input variable with the name "{ref[1]}" has not been declared. This variable '
                                f'can be declared with a variable "{ref[1]}" {{}} block.', line, col)
            if kind == "local" and ref[1] and ref[1] not in m.locals:
                raise EvalError("Reference to undeclared local value",
                                f'A local value with the name "{ref[1]}" has not been declared.', line, col)
            if kind == "module" and ref[1] and ref[1] not in m.calls:
                raise EvalError("Reference to undeclared module",
                                f'No module call named "{ref[1]}" is declared in the root module.', line, col)
            if kind == "resource" and ref[2] and (ref[1], ref[2]) not in m.resources:
                raise EvalError("Reference to undeclared resource",
                                f'A managed resource "{ref[1]}" "{ref[2]}" has not been declared in the root '
                                "module.", line, col)
            if kind == "data" and ref[2] and (ref[1], ref[2]) not in m.data:
                raise EvalError("Reference to undeclared resource",
                                f'A data resource "{ref[1]}" "{ref[2]}" has not been declared in the root '
                                "module.", line, col)


def _open_brackets(text: str) -> int:
    """How many brackets the text leaves open (strings skipped), to read on at the prompt."""
    depth, quote, i = 0, False, 0
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == '"':
                quote = False
        elif c == '"':
            quote = True
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        i += 1
    return depth


def _show_error(e: DiagnosticsError) -> None:
    for d in e.diagnostics:
        click.echo(f"Error: {d.summary}", err=True)
        if d.detail:
            click.echo(f"\n  {d.detail}", err=True)
        if d.hint:
            click.echo(f"  hint: {d.hint}", err=True)
        click.echo("", err=True)


@click.command("console")
@click.argument("directory", default=".", required=False)
@click.option("-var", "var_args", multiple=True, metavar="NAME=VALUE", help="Set a variable.")
@click.option("-var-file", "var_files", multiple=True, metavar="FILE", help="Read variables from a file.")
@click.option("-state", "state_path", default=None, metavar="PATH",
              help="The state to read (default: the configuration's backend path, clbplan.tfstate).")
def console(directory: str, var_args: tuple[str, ...], var_files: tuple[str, ...], state_path: str | None) -> None:
    """Evaluate expressions against the configuration and state (interactive, or one per line on stdin)."""
    from planner.config.terraform_block import configured_state_path

    workdir = Path(directory)
    if not workdir.is_dir():
        raise DiagnosticsError([Diagnostic(f"No such directory: {workdir}",
                                           hint="pass the directory holding your .tf files, or run from it")])
    path = Path(state_path) if state_path else configured_state_path(workdir)
    session = ConsoleSession(workdir, path, var_args, var_files)
    ctx = click.get_current_context()
    stdin = sys.stdin
    if not stdin.isatty():
        last = ""
        for raw in stdin:
            try:
                result, done = session.handle(raw)
            except DiagnosticsError as e:
                _show_error(e)
                ctx.exit(1)
            if done:
                return
            last = result
        click.echo(last)
        return
    pending = ""
    while True:
        try:
            line = input("> " if not pending else "  ")
        except EOFError:
            click.echo()
            return
        except KeyboardInterrupt:  # Ctrl-C drops the unfinished input, as Terraform's prompt does
            click.echo()
            pending = ""
            continue
        pending = f"{pending}\n{line}" if pending else line
        if _open_brackets(pending) > 0:
            continue
        text, pending = pending.replace("\n", " "), ""
        try:
            result, done = session.handle(text)
        except DiagnosticsError as e:
            _show_error(e)
            continue
        if done:
            return
        if result:
            click.echo(result)
        sys.stdout.flush()
