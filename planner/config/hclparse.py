"""HCL text -> our IR (planner.config.ir), with positions and human syntax errors.

python-hcl2 gives us a raw lark tree (``parses_to_tree``) with line/column on every node; we
convert it once into small IR nodes. Its syntax errors are grammar-internal (``$END``,
``HEREDOC_TEMPLATE``), so on failure we scan the text ourselves to say what a person would:
which block is unclosed, which string is unterminated, where an ``=`` is missing.
Heredoc bodies are a single opaque token in the grammar; we split them into a template here.
"""

from __future__ import annotations

import bisect
import contextvars
import copy
import functools
import hashlib
import importlib.metadata
import math
import os
import re
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import hcl2
import hcl2.parser
import hcl2.postlexer
import lark
from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.parse_tree_builder import PropagatePositions
from lark.parser_frontends import PostLexConnector, create_contextual_lexer

from planner.config import ir


@dataclass
class SyntaxProblem(Exception):
    """A located syntax error (line/col 1-based) inside one file."""

    summary: str
    detail: str
    line: int
    col: int
    hint: str = ""


_ESC = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _decode_escapes(raw: str, line: int, col: int) -> str:
    if "\\" not in raw:
        return raw
    out: list[str] = []
    i, n = 0, len(raw)
    while i < n:
        c = raw[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        nxt = raw[i + 1] if i + 1 < n else ""
        if nxt in _ESC:
            out.append(_ESC[nxt])
            i += 2
        elif nxt in ("u", "U"):
            width = 4 if nxt == "u" else 8
            digits = raw[i + 2:i + 2 + width]
            if len(digits) != width or not all(ch in "0123456789abcdefABCDEF" for ch in digits):
                raise SyntaxProblem("Invalid escape sequence",
                                    f"The \\{nxt} escape needs exactly {width} hexadecimal digits.", line, col)
            out.append(chr(int(digits, 16)))
            i += 2 + width
        else:
            raise SyntaxProblem("Invalid escape sequence",
                                f"The symbol \"{nxt}\" is not a valid escape sequence selector.", line, col,
                                hint='use \\\\ for a literal backslash')
    return "".join(out)


def float_literal_value(text: str) -> int | float:
    """The value of a FLOAT_LITERAL token: an int when it is a whole number (``1.0``, ``1e3``), as the
    evaluator expects; shared with the fast parser so both give the same values."""
    v = float(text)
    exact = Decimal(text)
    if exact == exact.to_integral_value() and (abs(v) >= 2**53 or not math.isfinite(v)):
        # 1e30 is exactly 10^30 and 1e400 is 10^400 (not a float's inf), as in Terraform
        return int(exact)
    return int(v) if v.is_integer() and abs(v) < 2**53 else v


class _StartPosition:
    """Lark's ``propagate_positions``, start only: a tree's line and column are those of its first child
    that has one (its first token, filtered punctuation included), exactly as lark computes them.
    Lark also records end lines, end columns and offsets on every node, which nothing here reads:
    that bookkeeping was half of the parse time of a large file."""

    __slots__ = ("node_builder",)

    def __init__(self, node_builder) -> None:
        self.node_builder = node_builder

    def __call__(self, children: list):
        res = self.node_builder(children)
        if len(children) == 1 and res is children[0]:
            return res  # a ``?rule`` passed its only child through: its start is already the child's
        if isinstance(res, Tree):
            for c in children:
                if isinstance(c, Token):
                    line, col = c.line, c.column
                    break
                if isinstance(c, Tree):
                    m = c._meta
                    if m is not None and not m.empty:
                        d = m.__dict__
                        line, col = d.get("container_line", m.line), d.get("container_column", m.column)
                        break
            else:
                return res
            meta = res.meta
            if not hasattr(meta, "line"):  # a ``?rule`` inlined to its child keeps the child's own start
                meta.line, meta.column, meta.empty = line, col, False
            meta.container_line, meta.container_column = line, col
        return res


# tokens after which a ``-`` is subtraction: the ones that can end an operand
_OPERAND_END = frozenset({"NAME", "INT_LITERAL", "FLOAT_LITERAL", "RPAR", "RSQB", "RBRACE", "DBLQUOTE", "TRUE",
                          "FALSE", "NULL", "HEREDOC_TEMPLATE", "HEREDOC_TEMPLATE_TRIM", "TEMPLATE_STRING",
                          "ATTR_SPLAT", "FULL_SPLAT_START"})
_OPENERS = frozenset({"LPAR", "LSQB", "INTERP_START", "DIRECTIVE_START"})
_CLOSERS = frozenset({"RPAR", "RSQB", "RBRACE"})
_NUMBER_MINUS = re.compile(r"(?<![eE])-")  # a minus inside a number token that is not an exponent's sign


class _TerraformTokens:
    """A pass over the token stream before python-hcl2's own post-lexer, where its grammar's lexing
    differs from HCL's scanner (hashicorp/hcl hclsyntax), which Terraform uses:

    * HCL has no negative number tokens: ``-`` is always an operator. The grammar lexes ``-10`` (and
      ``-1-2.5``) as one number, so ``f(x)-10`` or ``var.n -1.5`` were syntax errors. A number token
      holding a ``-`` is split into MINUS and the number wherever that ``-`` follows an operand; a
      leading ``-`` elsewhere stays in the literal (the Converter folds unary minus on a literal the
      same way, so ``-10`` keeps its value and position). After a ``.`` it is split too: ``a.-12``
      is no index.
    * A ``/* */`` comment is whitespace, not a newline: ``x = /* c */ 1`` and ``a /* c */ + b``.
    * Inside ``(``, ``[``, ``${``/``%{`` and a ``{for ...}`` expression, newlines (and line comments) are
      whitespace, so an operator, ``,`` or ``...`` may start a line there: ``max(a\n - 1, 0)``.
    * Elsewhere a newline ends the expression: one right after an operator (``a +``, ``c ?``, ``=``) is
      Terraform's "Invalid expression", and one before an operator is not merged into it (python-hcl2's
      own post-lexer did, so ``x = 1\n  + 2`` read as 3 where Terraform asks for an argument).
    """

    def __init__(self, inner) -> None:
        self.inner = inner

    @property
    def always_accept(self) -> tuple[str, ...]:
        return (*self.inner.always_accept, "NL_OR_COMMENT")

    def process(self, stream):
        # (not python-hcl2's own post-lexer: all it does is merge a newline into the operator after it)
        return self._terraform(stream)

    @staticmethod
    def _terraform(stream):
        prev = ""
        prev_tok = None
        # per open bracket: True where newlines are whitespace (a template's interpolation is in brackets)
        nest: list[bool] = [True] if _IN_INTERPOLATION.get() else []
        asked = [0] * (len(nest) + 1)  # per open bracket and the top: conditionals whose ":" is to come
        for tok in stream:
            t = tok.type
            if t == "NL_OR_COMMENT":
                if tok.value.startswith("/*") or (nest and nest[-1]):
                    continue
                if prev in _OPERATORS:
                    value = prev_tok.value  # (= and : carry the spaces before them)
                    raise SyntaxProblem("Invalid expression", "Expected the start of an expression, but found the "
                                        "end of the line.", prev_tok.line,
                                        prev_tok.column + len(value) - len(value.lstrip(" \t")), hint=_ONE_LINE)
            elif t == "QMARK":
                asked[-1] += 1
            elif t == "COLON" and asked[-1]:
                asked[-1] -= 1
                if prev == "NL_OR_COMMENT":  # (the grammar lets a conditional's ":" start a line)
                    value = tok.value
                    raise SyntaxProblem("Missing false expression in conditional", "The conditional operator "
                                        "(...?...:...) requires a false expression, delimited by a colon, on the "
                                        "line of its true expression.", tok.line,
                                        tok.column + len(value) - len(value.lstrip(" \t")), hint=_ONE_LINE)
            elif t in _OPENERS:
                nest.append(True)
                asked.append(0)
            elif t == "LBRACE":
                nest.append(False)
                asked.append(0)
            elif t == "FOR" and prev == "LBRACE" and nest:
                nest[-1] = True  # {for k, v in m : k => v}: a for expression, not an object
            elif t in _CLOSERS:
                if nest:
                    nest.pop()
                    asked.pop()
            elif (t == "INT_LITERAL" or t == "FLOAT_LITERAL") and "-" in tok.value:
                yield from _split_number(tok, prev in _OPERAND_END or prev == "DOT")
                prev = t
                continue
            prev, prev_tok = t, tok
            yield tok


# set while parse_expression reads a heredoc's ``${...}`` or ``%{...}``: newlines are spaces there
_IN_INTERPOLATION: contextvars.ContextVar[bool] = contextvars.ContextVar("in_interpolation", default=False)
_ONE_LINE = ("outside (), [] and ${}, an expression ends with its line: write it on one line, or wrap it in "
             "parentheses to continue it on the next")
_INLINE_COMMENT = re.compile(r"/\*.*?\*/")
# tokens a newline may not follow outside brackets: the expression would continue on the next line
_OPERATORS = frozenset({"PLUS", "MINUS", "ASTERISK", "SLASH", "PERCENT", "DOUBLE_EQ", "NEQ", "LT", "GT", "LEQ", "GEQ",
                        "DOUBLE_AMP", "DOUBLE_PIPE", "NOT", "QMARK", "COLON", "EQ"})


def _split_number(tok: Token, minus_first: bool):
    """``tok`` as MINUS and number tokens: at every ``-`` but an exponent's, and at a leading one
    when ``minus_first``."""
    text = str(tok)
    cuts = [m.start() for m in _NUMBER_MINUS.finditer(text, 1)]
    if minus_first:
        cuts.insert(0, 0)
    bounds = [0, *cuts, len(text)]
    for a, b in zip(bounds, bounds[1:], strict=False):
        if a == b:
            continue
        if a in cuts:
            yield _piece(tok, "MINUS", "-", a)
            a += 1
            if a == b:
                continue
        piece = text[a:b]
        kind = "FLOAT_LITERAL" if any(c in piece for c in ".eE") else "INT_LITERAL"
        yield _piece(tok, kind, piece, a)


def _piece(tok: Token, kind: str, value: str, offset: int) -> Token:
    start = (tok.start_pos or 0) + offset
    col = (tok.column or 1) + offset
    return Token(kind, value, start, tok.line, col, tok.line, col + len(value), start + len(value))


# python-hcl2's grammar takes one ``-`` or ``!`` before an operand; HCL takes any number (``!!x``, ``- -1``)
_UNARY_RULE = ("!unary_op : (MINUS | NOT) expr_term", "!unary_op : (MINUS | NOT) (expr_term | unary_op)")


def _grammar_parser() -> Lark:
    """python-hcl2's grammar with :data:`_UNARY_RULE` changed, as an LALR parser.

    Building the tables takes about 1.3 s, so they are kept in the user's cache folder (beside the parse
    cache's key, private to the user) under a name that hashes the grammar and both libraries' versions.
    A file there that is not the user's own, or that does not load, is built again; if the grammar
    ever lacks the rule, python-hcl2's own parser is used as it is."""
    grammar_file = Path(hcl2.__file__).with_name("hcl2.lark")
    try:
        grammar = grammar_file.read_text(encoding="utf-8")
    except OSError:
        return hcl2.parser.parser()
    if _UNARY_RULE[0] not in grammar:
        return hcl2.parser.parser()
    grammar = grammar.replace(*_UNARY_RULE)
    digest = hashlib.sha256("\0".join((grammar, lark.__version__, _hcl2_version())).encode()).hexdigest()[:20]
    from planner.config.parse_cache import key_dir  # (deferred: parse_cache imports this module)

    def build() -> Lark:
        return Lark(grammar, parser="lalr", propagate_positions=True, postlex=hcl2.postlexer.PostLexer())

    folder = key_dir()
    if folder is None:  # (no cache folder: built in memory for this process)
        return build()
    path = folder / f"hcl-parser-{digest}.lark"
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(f.fileno())
            if not st.st_mode & 0o022 and (not hasattr(os, "getuid") or st.st_uid == os.getuid()):
                return Lark.load(f)
    except Exception:  # noqa: BLE001,S110 - absent, not ours or unreadable: built again below
        pass
    built = build()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".hcl-parser-", dir=folder)
        try:
            with os.fdopen(fd, "wb") as f:
                built.save(f)
            os.replace(temp, path)
        except BaseException:
            os.unlink(temp)
            raise
    except OSError:
        pass  # (no cache folder: built again by the next process)
    return built


def _hcl2_version() -> str:
    try:
        return importlib.metadata.version("python-hcl2")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


@functools.lru_cache(maxsize=1)
def _parser() -> Lark:
    """python-hcl2's parser (its grammar with :data:`_UNARY_RULE`, its lexer) with :class:`_StartPosition`
    in place of lark's position propagation and :class:`_TerraformTokens` as its post-lexer. A copy:
    ``hcl2`` itself is left as it is."""
    base = _grammar_parser()
    mine, frontend, lalr = copy.copy(base), copy.copy(base.parser), copy.copy(base.parser.parser)
    inner = lalr.parser
    callbacks = {rule: _StartPosition(cb.node_builder) if type(cb) is PropagatePositions else cb
                 for rule, cb in inner.callbacks.items()}
    lalr.parser = type(inner)(inner.parse_table, callbacks, inner.debug)
    # the lexer must find a /* */ comment wherever a space may be, not only where the grammar allows a
    # newline: the post-lexer drops it. Built from the same terminals and parse table (milliseconds).
    postlex = _TerraformTokens(base.parser.lexer.postlexer)
    conf = copy.copy(base.parser.lexer_conf)
    conf.skip_validation = True
    frontend.lexer = PostLexConnector(create_contextual_lexer(conf, base.parser.parser, postlex, base.options),
                                      postlex)
    frontend.parser, mine.parser = lalr, frontend
    return mine


def _parse_tree(text: str) -> Tree:
    """The lark tree of ``text`` (what ``hcl2.parses_to_tree`` returns, start positions only)."""
    return _parser().parse(text + "\n")  # hcl2's workaround: the grammar needs a final newline


def _pos(node) -> tuple[int, int]:
    if isinstance(node, Token):
        return node.line or 1, node.column or 1
    meta = node.meta
    return getattr(meta, "line", 1), getattr(meta, "column", 1)


def _trees(children) -> list[Tree]:
    return [c for c in children if isinstance(c, Tree) and c.data != "new_line_or_comment"]


def _ends_line(node) -> bool:
    """Whether a tree's text ends with a newline: a trailing newline/comment (a binary operation takes
    the newlines after it) or a heredoc, whose token holds the newline after its closing marker."""
    while isinstance(node, Tree):
        if node.data == "new_line_or_comment":
            return True
        if not node.children:
            return False
        node = node.children[-1]
    return isinstance(node, Token) and node.type in ("HEREDOC_TEMPLATE", "HEREDOC_TEMPLATE_TRIM")


def _check_block_lines(body: Tree, close) -> None:
    """HCL's rules for where a block's items end (the grammar has none): an item right after ``{`` makes a
    one-line block, which holds one argument and closes on its line; otherwise each item ends its line,
    the last one before the ``}``. Terraform's messages."""
    items = [c for c in body.children if isinstance(c, Tree)]
    if not items:
        return
    stuff = [c for c in items if c.data != "new_line_or_comment"]
    if items[0].data != "new_line_or_comment":
        line, col = _pos(items[0])
        if len(stuff) > 1 or stuff[0].data != "attribute":
            raise SyntaxProblem("Argument definition required", "A single-line block definition can contain only "
                                "a single argument.", line, col, hint="write the block over several lines, one "
                                "item per line")
        if items[-1].data == "new_line_or_comment" or _ends_line(stuff[0]):
            raise SyntaxProblem("Invalid single-argument block definition", "An argument definition on the same "
                                "line as its containing block creates a single-line block definition, which must "
                                "also be closed on the same line.", line, col,
                                hint="place the block's closing brace right after the argument, or start the "
                                     "argument on a line of its own")
        return
    last = items[-1]
    if last.data != "new_line_or_comment" and not _ends_line(last) and isinstance(close, Token):
        line, col = _pos(close)
        what = "argument" if last.data == "attribute" else "block definition"
        raise SyntaxProblem(f"Missing newline after {what}", f"An {what.split()[0]} definition must end with a "
                            "newline.", line, col, hint="put the closing brace on a line of its own")


def _is_bare_name(node) -> bool:
    """An object key written as a plain identifier (``a = 1``), which names itself; a quoted
    ``"${a}"`` is the value of ``a``."""
    return isinstance(node, Tree) and node.data == "expr_term" and len(node.children) == 1 and \
        isinstance(node.children[0], Tree) and node.children[0].data == "identifier"


_EXPONENT = re.compile(r"[eE]-?[0-9]+\Z")


def _name_of(node) -> str:
    """identifier / keyword / literal_value tree -> its text."""
    if isinstance(node, Token):
        return str(node)
    tok = node.children[0]
    return str(tok)


class Converter:
    """Walks the lark tree; a fresh one per file (it knows the file for nested heredoc parses)."""

    strip_marks: dict[tuple[int, int], tuple[bool, bool]] = {}  # replaced per instance

    def body(self, tree: Tree) -> ir.Body:
        body = ir.Body()
        after: Tree | None = None  # the attribute or block before, while no newline followed it
        for child in tree.children:
            if not isinstance(child, Tree):
                continue
            if child.data == "new_line_or_comment":
                after = None
                continue
            if after is not None:
                # the grammar lets items follow each other on a line (``a = 1 b = 2``); HCL does not
                line, col = _pos(child)
                if after.data == "attribute":
                    raise SyntaxProblem("Missing newline after argument", "An argument definition must end "
                                        "with a newline.", line, col, hint="put the next item on its own line")
                raise SyntaxProblem("Missing newline after block definition", "A block definition must end "
                                    "with a newline.", line, col, hint="put the next item on its own line")
            after = None if _ends_line(child) else child
            if child.data == "attribute":
                name_node, _eq, expr = child.children[0], child.children[1], child.children[2]
                line, col = _pos(child)
                body.attributes.append(ir.Attr(_name_of(name_node), self.expr(expr), line, col))
            elif child.data == "block":
                body.blocks.append(self.block(child))
        return body

    def block(self, tree: Tree) -> ir.Block:
        line, col = _pos(tree)
        kids = tree.children
        btype = _name_of(kids[0])
        labels: list[str] = []
        label_cols: list[int] = []
        inner = None
        for k in kids[1:]:
            if isinstance(k, Token):
                continue
            if k.data == "body":
                inner = k
                break
            if k.data == "new_line_or_comment":
                continue
            if k.data == "string":
                labels.append(self._plain_string(k))
            else:
                labels.append(_name_of(k))
            label_cols.append(_pos(k)[1])
        if inner is not None:
            _check_block_lines(inner, kids[-1])
        body = self.body(inner) if inner is not None else ir.Body()
        return ir.Block(btype, labels, body, line, col, label_cols=label_cols)

    def _plain_string(self, tree: Tree) -> str:
        for part in tree.children:
            if isinstance(part, Tree) and not isinstance(part.children[0], Token):
                line, col = _pos(part)
                raise SyntaxProblem("Invalid string literal", "Template sequences are not allowed in this string. "
                                    'To include a literal "$", double it (as "$$") to escape it.', line, col)
        expr = self.string(tree)
        if isinstance(expr, ir.Lit):
            return expr.value
        line, col = _pos(tree)
        raise SyntaxProblem("Invalid block label", "Block labels must be plain strings, without "
                            "interpolation.", line, col)

    # -- expressions ----------------------------------------------------------------------
    def expr(self, node) -> ir.Expr:
        if isinstance(node, Token):
            line, col = _pos(node)
            raise SyntaxProblem("Invalid expression", f"Unexpected {node!s}", line, col)
        meth = getattr(self, "x_" + str(node.data), None)
        if meth is None:
            line, col = _pos(node)
            raise SyntaxProblem("Invalid expression", f"Unsupported construct {node.data}", line, col)
        return meth(node)

    def x_expr_term(self, t: Tree) -> ir.Expr:
        kids = t.children
        first = kids[0]
        if isinstance(first, Token) and first.type == "LPAR":
            inner = _trees(kids)[0]
            line, col = _pos(t)
            return ir.Paren(self.expr(inner), line, col)
        return self.expr(first)

    def x_conditional(self, t: Tree) -> ir.Expr:
        c, a, b = _trees(t.children)
        line, col = _pos(t)
        return ir.Cond(self.expr(c), self.expr(a), self.expr(b), line, col)

    def x_binary_op(self, t: Tree) -> ir.Expr:
        left, term = _trees(t.children)[:2]
        op_tree, right = _trees(term.children)[:2]
        op = str(op_tree.children[0]).strip()
        line, col = _pos(t)
        return ir.Binary(op, self.expr(left), self.expr(right), line, col)

    def x_unary_op(self, t: Tree) -> ir.Expr:
        op = str(t.children[0]).strip()
        operand = self.expr(t.children[1])
        line, col = _pos(t)
        if op == "-" and isinstance(operand, ir.Lit) and isinstance(operand.value, (int, float)) \
                and not isinstance(operand.value, bool):
            return ir.Lit(-operand.value, line, col)
        return ir.Unary(op, operand, line, col)

    def x_int_lit(self, t: Tree) -> ir.Expr:
        line, col = _pos(t)
        return ir.Lit(int(str(t.children[0])), line, col)

    def x_float_lit(self, t: Tree) -> ir.Expr:
        line, col = _pos(t)
        return ir.Lit(float_literal_value(str(t.children[0])), line, col)

    def x_literal_value(self, t: Tree) -> ir.Expr:
        line, col = _pos(t)
        word = str(t.children[0])
        return ir.Lit({"true": True, "false": False, "null": None}[word], line, col)

    def x_identifier(self, t: Tree) -> ir.Expr:
        line, col = _pos(t)
        return ir.Name(str(t.children[0]), line, col)

    def x_keyword(self, t: Tree) -> ir.Expr:
        return self.x_identifier(t)

    def x_template_string(self, t: Tree) -> ir.Expr:
        line, col = _pos(t)
        raw = str(t.children[0])
        return ir.Lit(_decode_escapes(raw[2:-2], line, col), line, col)

    def x_string(self, t: Tree) -> ir.Expr:
        return self.string(t)

    def string(self, t: Tree) -> ir.Expr:
        line, col = _pos(t)
        flat: list = []
        for part in t.children:
            if isinstance(part, Token):
                continue  # the quotes
            inner = part.children[0]
            if isinstance(inner, Token):
                pl, pc = _pos(inner)
                text = str(inner)
                if inner.type == "ESCAPED_INTERPOLATION" or inner.type == "ESCAPED_DIRECTIVE":
                    flat.append(("lit", text[1:]))
                elif "\n" in text:
                    nl = pl + text[:text.index("\n")].count("\n")
                    raise SyntaxProblem("Invalid multi-line string", "Quoted strings may not be split over multiple "
                                        "lines. To produce a multi-line string, either use the \\n escape to "
                                        'represent a newline character or use the "heredoc" multi-line template '
                                        "syntax.", nl, pc)
                else:
                    flat.append(("lit", _decode_escapes(text, pl, pc)))
            else:
                flat.append(self._directive(inner))
        return build_template(flat, line, col)

    def _directive(self, t: Tree) -> tuple:
        kind = t.data
        line, col = _pos(t)
        toks = [c for c in t.children if isinstance(c, Token)]
        strip_l = len(toks) > 1 and toks[1].type == "STRIP_MARKER"
        strip_r = len(toks) > 1 and toks[-2].type == "STRIP_MARKER"
        trees = _trees(t.children)
        if kind == "interpolation":
            sl, sr = self.strip_marks.get((line, col), (False, False))
            return ("interp", self.expr(trees[0]), sl, sr, line, col)
        if kind == "template_if_start":
            return ("if", self.expr(trees[0]), strip_l, strip_r, line, col)
        if kind == "template_else":
            return ("else", None, strip_l, strip_r, line, col)
        if kind == "template_endif":
            return ("endif", None, strip_l, strip_r, line, col)
        if kind == "template_endfor":
            return ("endfor", None, strip_l, strip_r, line, col)
        if kind == "template_for_start":
            names = [str(x.children[0]) for x in trees[:-1] if x.data == "identifier"]
            coll = self.expr(trees[-1])
            key, val = (names[0], names[1]) if len(names) == 2 else (None, names[0])
            return ("for", (key, val, coll), strip_l, strip_r, line, col)
        raise SyntaxProblem("Invalid template directive", str(kind), line, col)

    def x_heredoc_template(self, t: Tree) -> ir.Expr:
        return self._heredoc(t, trim=False)

    def x_heredoc_template_trim(self, t: Tree) -> ir.Expr:
        return self._heredoc(t, trim=True)

    def _heredoc(self, t: Tree, trim: bool) -> ir.Expr:
        line, col = _pos(t)
        raw = str(t.children[0]).replace("\r\n", "\n")
        lines = raw.split("\n")
        # lines[0] is "<<EOT", the last two are "  EOT" and "" (the token ends with a newline)
        body_lines = lines[1:-2]
        if trim:
            # As HCL does it: a line whose newline a ~} (or ~ interpolation end) before it strips away
            # does not start a line, so it keeps its indentation; blank lines keep theirs too.
            starts = [i == 0 or not body_lines[i - 1].rstrip(" \t").endswith("~}") for i in range(len(body_lines))]
            indents = [len(ln) - len(ln.lstrip(" \t")) for i, ln in enumerate(body_lines) if starts[i] and ln.strip()]
            cut = min(indents) if indents else 0
            body_lines = [ln[cut:] if starts[i] and ln.strip() else ln for i, ln in enumerate(body_lines)]
        text = "\n".join(body_lines) + ("\n" if body_lines else "")
        flat = scan_template(text, line + 1, 1)
        return build_template(flat, line, col, heredoc=True)

    def x_tuple(self, t: Tree) -> ir.Expr:
        line, col = _pos(t)
        return ir.TupleExpr([self.expr(x) for x in _trees(t.children)], line, col)

    def x_object(self, t: Tree) -> ir.Expr:
        line, col = _pos(t)
        separated = True
        for c in t.children:
            is_sep = (isinstance(c, Token) and c.type == "COMMA") or \
                (isinstance(c, Tree) and c.data == "new_line_or_comment")
            if isinstance(c, Tree) and c.data == "object_elem":
                if not separated:
                    el, ec = _pos(c)
                    raise SyntaxProblem("Missing attribute separator", "Expected a newline or comma to mark the "
                                        "beginning of the next attribute.", el, ec,
                                        hint="put a comma or a line break between object attributes")
                separated = _ends_line(c)  # a binary operation takes the newline after it
            elif is_sep:
                separated = True
        items = []
        for el in _trees(t.children):
            key_node, val_node = _trees(el.children)[:2]
            kexpr = _trees(key_node.children)[0] if _trees(key_node.children) else key_node.children[0]
            if isinstance(kexpr, Tree) and kexpr.data == "keyword":
                kl, kc = _pos(kexpr)
                key: ir.Expr = ir.Lit(str(kexpr.children[0]), kl, kc)
            else:
                key = self.expr(kexpr)
                if isinstance(key, ir.Name) and _is_bare_name(kexpr):
                    key = ir.Lit(key.name, key.line, key.col)
            items.append((key, self.expr(val_node)))
        return ir.ObjectExpr(items, line, col)

    def x_function_call(self, t: Tree) -> ir.Expr:
        line, col = _pos(t)
        ids = [c for c in t.children if isinstance(c, Tree) and c.data == "identifier"]
        name = "::".join(str(i.children[0]) for i in ids)
        args_tree = next((c for c in t.children if isinstance(c, Tree) and c.data == "arguments"), None)
        args: list[ir.Expr] = []
        expand = False
        if args_tree is not None:
            args = [self.expr(a) for a in _trees(args_tree.children)]
            expand = any(isinstance(c, Token) and c.type == "ELLIPSIS" for c in args_tree.children)
        return ir.Call(name, args, expand, line, col)

    def x_index_expr_term(self, t: Tree) -> ir.Expr:
        obj, idx = t.children[0], t.children[1]
        line, col = _pos(idx)
        return ir.Index(self.expr(obj), self._index_key(idx), line, col)

    def _index_key(self, idx: Tree) -> ir.Expr:
        line, col = _pos(idx)
        if idx.data == "short_index":
            return ir.Lit(int(str(idx.children[1])), line, col)
        return self.expr(_trees(idx.children)[0])

    def x_get_attr_expr_term(self, t: Tree) -> ir.Expr:
        obj, ga = t.children[0], t.children[1]
        exponent = self._number_dot_exponent(obj, ga)
        if exponent is not None:
            return exponent
        line, col = _pos(ga)
        return ir.GetAttr(self.expr(obj), _name_of(ga.children[1]), line, col)

    @staticmethod
    def _number_dot_exponent(obj, ga: Tree) -> ir.Expr | None:
        """``1.e5`` is one number in HCL (100000); the grammar reads the integer 1, a dot and the
        attribute ``e5``."""
        if not (isinstance(obj, Tree) and obj.data == "expr_term" and isinstance(obj.children[0], Tree)
                and obj.children[0].data == "int_lit"):
            return None
        num, dot, name = obj.children[0].children[0], ga.children[0], ga.children[1]
        if not (isinstance(name, Tree) and name.data == "identifier"):
            return None
        word = name.children[0]
        if not _EXPONENT.match(str(word)) or num.end_line != word.line or num.end_column != dot.column or \
                dot.column + 1 != word.column:
            return None
        return ir.Lit(float_literal_value(f"{num}.{word}"), num.line, num.column)

    def _splat(self, t: Tree, full: bool) -> ir.Expr:
        obj, sp = t.children[0], t.children[1]
        line, col = _pos(sp)
        ops: list = []
        after: list = []  # legacy splat: traversals from the first [...] on apply to the resulting list
        for op in sp.children[1:]:
            if isinstance(op, Token):
                continue
            if not full and (after or op.data == "braces_index"):
                after.append(op)
            elif op.data == "get_attr":
                ops.append(("attr", _name_of(op.children[1])))
            else:
                ops.append(("index", self._index_key(op)))
        out: ir.Expr = ir.Splat(self.expr(obj), ops, full, line, col)
        for op in after:
            ol, oc = _pos(op)
            if op.data == "get_attr":
                out = ir.GetAttr(out, _name_of(op.children[1]), ol, oc)
            else:
                out = ir.Index(out, self._index_key(op), ol, oc)
        return out

    def x_attr_splat_expr_term(self, t: Tree) -> ir.Expr:
        return self._splat(t, False)

    def x_full_splat_expr_term(self, t: Tree) -> ir.Expr:
        return self._splat(t, True)

    def _for_intro(self, t: Tree):
        ids = [str(c.children[0]) for c in t.children if isinstance(c, Tree) and c.data == "identifier"]
        coll = [c for c in _trees(t.children) if c.data != "identifier"][0]
        key, val = (ids[0], ids[1]) if len(ids) == 2 else (None, ids[0])
        return key, val, self.expr(coll)

    def x_for_tuple_expr(self, t: Tree) -> ir.Expr:
        line, col = _pos(t)
        trees = _trees(t.children)
        intro = next(x for x in trees if x.data == "for_intro")
        cond_t = next((x for x in trees if x.data == "for_cond"), None)
        rest = [x for x in trees if x.data not in ("for_intro", "for_cond")]
        key, val, coll = self._for_intro(intro)
        cond = self.expr(_trees(cond_t.children)[0]) if cond_t is not None else None
        return ir.ForExpr(key, val, coll, None, self.expr(rest[0]), cond, False, False, line, col)

    def x_for_object_expr(self, t: Tree) -> ir.Expr:
        line, col = _pos(t)
        trees = _trees(t.children)
        intro = next(x for x in trees if x.data == "for_intro")
        cond_t = next((x for x in trees if x.data == "for_cond"), None)
        rest = [x for x in trees if x.data not in ("for_intro", "for_cond")]
        group = any(isinstance(c, Token) and c.type == "ELLIPSIS" for c in t.children)
        key, val, coll = self._for_intro(intro)
        cond = self.expr(_trees(cond_t.children)[0]) if cond_t is not None else None
        return ir.ForExpr(key, val, coll, self.expr(rest[0]), self.expr(rest[1]), cond, group, True,
                          line, col)


def _rstrip_line(text: str) -> str:
    """What ``~`` strips before it in a heredoc. HCL scans a heredoc line by line and strips within
    the one neighbouring line token: the text before the marker on its own line or, when the marker
    starts its line, the line above (whose newline goes too)."""
    k = text.rfind("\n")
    if k < len(text) - 1:  # text before the marker on the same line
        return text[:k + 1] + text[k + 1:].rstrip()
    prev = text.rfind("\n", 0, k)
    return text[:prev + 1] + text[prev + 1:].rstrip()


def _lstrip_line(text: str) -> str:
    """What ``~`` strips after it in a heredoc: the rest of its line, up to and including the newline."""
    stripped = text.lstrip(" \t\r")
    return stripped[1:] if stripped.startswith("\n") else stripped


def build_template(flat: list, line: int, col: int, heredoc: bool = False) -> ir.Expr:
    """Flat parts (literals + directives) -> a Lit, a bare expression, or a nested Template."""
    # strip markers: "~" eats whitespace in the neighbouring literal
    for i, item in enumerate(flat):
        if item[0] == "lit":
            continue
        _kind, _payload, strip_l, strip_r = item[:4]
        if strip_l and i > 0 and flat[i - 1][0] == "lit":
            flat[i - 1] = ("lit", _rstrip_line(flat[i - 1][1]) if heredoc else flat[i - 1][1].rstrip())
        if strip_r and i + 1 < len(flat) and flat[i + 1][0] == "lit":
            flat[i + 1] = ("lit", _lstrip_line(flat[i + 1][1]) if heredoc else flat[i + 1][1].lstrip())
    root: list = []
    stack: list[tuple[str, object, list]] = []  # (kind, node, list being filled)
    cur = root
    for item in flat:
        kind = item[0]
        if kind == "lit":
            if item[1]:
                if cur and isinstance(cur[-1], str):
                    cur[-1] += item[1]
                else:
                    cur.append(item[1])
        elif kind == "interp":
            cur.append(item[1])
        elif kind == "if":
            node = ir.TIf(item[1], [], [], item[4], item[5])
            cur.append(node)
            stack.append(("if", node, cur))
            cur = node.then
        elif kind == "else":
            if not stack or stack[-1][0] != "if" or cur is not stack[-1][1].then:
                raise SyntaxProblem("Unexpected else directive", "An %{else} must be inside an %{if}.",
                                    item[4], item[5])
            cur = stack[-1][1].else_
        elif kind == "endif":
            if not stack or stack[-1][0] != "if":
                raise SyntaxProblem("Unexpected endif directive", "There is no %{if} for this %{endif}.",
                                    item[4], item[5])
            cur = stack.pop()[2]
        elif kind == "for":
            key, val, coll = item[1]
            fnode = ir.TFor(key, val, coll, [], item[4], item[5])
            cur.append(fnode)
            stack.append(("for", fnode, cur))
            cur = fnode.body
        elif kind == "endfor":
            if not stack or stack[-1][0] != "for":
                raise SyntaxProblem("Unexpected endfor directive", "There is no %{for} for this %{endfor}.",
                                    item[4], item[5])
            cur = stack.pop()[2]
    if stack:
        kind, node, _ = stack[-1]
        raise SyntaxProblem(f"Unterminated template {kind} directive",
                            f"This %{{{kind}}} has no matching %{{end{kind}}}.", node.line, node.col)
    if not root:
        return ir.Lit("", line, col)
    if len(root) == 1 and isinstance(root[0], str):
        return ir.Lit(root[0], line, col)
    if len(root) == 1 and isinstance(root[0], ir.Expr):
        return root[0]  # "${x}" keeps x's own type, as in Terraform
    return ir.Template(root, line, col)


def _matching_brace(text: str, start: int) -> int:
    """Index of the ``}`` closing the ``{`` just before ``start``, skipping nested strings."""
    depth, i, n = 1, start, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


_FOR_DIR = re.compile(r"^for\s+([A-Za-z_][\w-]*)(?:\s*,\s*([A-Za-z_][\w-]*))?\s+in\s+(.*)$", re.S)


def scan_template(text: str, line: int, col: int) -> list:
    """Split a heredoc body (no escapes) into flat template parts, parsing embedded expressions."""
    flat: list = []
    buf: list[str] = []
    i, n = 0, len(text)
    cur_line = line
    while i < n:
        if text.startswith("$${", i) or text.startswith("%%{", i):
            buf.append(text[i + 1:i + 3])
            i += 3
            continue
        if text.startswith("${", i) or text.startswith("%{", i):
            end = _matching_brace(text, i + 2)
            if end < 0:
                raise SyntaxProblem("Unterminated template sequence",
                                    f"The {text[i:i + 2]} sequence is never closed with }}.", cur_line, col)
            if buf:
                flat.append(("lit", "".join(buf)))
                buf = []
            inner = text[i + 2:end]
            strip_l = inner.startswith("~")
            strip_r = inner.endswith("~")
            inner = inner[1 if strip_l else 0:len(inner) - (1 if strip_r else 0)].strip()
            if text[i] == "$":
                flat.append(("interp", parse_expression(inner, cur_line), strip_l, strip_r, cur_line, col))
            else:
                flat.append(_scan_directive(inner, strip_l, strip_r, cur_line, col))
            cur_line += text.count("\n", i, end)
            i = end + 1
            continue
        if text[i] == "\n":
            cur_line += 1
        buf.append(text[i])
        i += 1
    if buf:
        flat.append(("lit", "".join(buf)))
    return flat


def _scan_directive(inner: str, sl: bool, sr: bool, line: int, col: int) -> tuple:
    word = inner.split(None, 1)[0] if inner else ""
    if word == "if":
        return ("if", parse_expression(inner[2:], line), sl, sr, line, col)
    if word in ("else", "endif", "endfor") and inner == word:
        return (word, None, sl, sr, line, col)
    m = _FOR_DIR.match(inner)
    if word == "for" and m:
        a, b, coll = m.group(1), m.group(2), m.group(3)
        key, val = (a, b) if b else (None, a)
        return ("for", (key, val, parse_expression(coll, line)), sl, sr, line, col)
    raise SyntaxProblem("Invalid template directive", f"Unknown directive %{{{inner}}}; expected if, else, "
                        "endif, for or endfor.", line, col)


def parse_expression(text: str, line: int = 1) -> ir.Expr:
    """Parse one standalone expression (heredoc interpolations, -var values, tfvars)."""
    inside = _IN_INTERPOLATION.set(True)  # (-var values and console lines come here too: one line each)
    try:
        cleaned, marks = strip_interpolation_markers(blank_core_namespace("__x = " + text.strip() + "\n"))
        tree = _parse_tree(cleaned)
    except UnexpectedInput as e:
        raise SyntaxProblem("Invalid expression", f"Could not parse {text.strip()!r}: "
                            f"{_describe_unexpected(e)}", line, 1) from None
    finally:
        _IN_INTERPOLATION.reset(inside)
    conv = Converter()
    conv.strip_marks = marks
    body = conv.body(tree.children[0])
    if len(body.attributes) != 1 or body.blocks:
        raise SyntaxProblem("Invalid expression", f"Could not parse {text.strip()!r} as one expression.",
                            line, 1)
    expr = body.attributes[0].expr
    if line != 1:
        _shift_lines(expr, line - 1)
    return expr


def _shift_lines(expr, delta: int) -> None:
    stack = [expr]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen or not hasattr(node, "__slots__"):
            continue
        seen.add(id(node))
        if isinstance(node, (ir.Expr, ir.TIf, ir.TFor)):
            node.line += delta
        for cls in type(node).__mro__:
            for s in getattr(cls, "__slots__", ()):
                if s in ("line", "col"):
                    continue
                v = getattr(node, s, None)
                if isinstance(v, (ir.Expr, ir.TIf, ir.TFor)):
                    stack.append(v)
                elif isinstance(v, list):
                    for x in v:
                        if isinstance(x, (ir.Expr, ir.TIf, ir.TFor)):
                            stack.append(x)
                        elif isinstance(x, tuple):
                            stack.extend(y for y in x if isinstance(y, (ir.Expr, ir.TIf, ir.TFor)))


# ---- syntax errors ------------------------------------------------------------------------------

_TOKEN_WORDS = {
    "$END": "the end of the file", "RBRACE": "'}'", "LBRACE": "'{'", "RSQB": "']'", "LSQB": "'['",
    "LPAR": "'('", "RPAR": "')'", "EQ": "'='", "COLON": "':'", "COMMA": "','", "DOT": "'.'",
    "DBLQUOTE": "a quoted string", "NAME": "a name", "INT_LITERAL": "a number", "FLOAT_LITERAL": "a number",
    "STRING_CHARS": "text", "NL_OR_COMMENT": "a new line", "QMARK": "'?'", "HEREDOC_TEMPLATE": "a heredoc",
    "HEREDOC_TEMPLATE_TRIM": "a heredoc", "INTERP_START": "'${'", "DIRECTIVE_START": "'%{'",
}
_MEANINGFUL = ["COMMA", "RPAR", "RSQB", "RBRACE", "EQ", "LBRACE", "NAME", "DBLQUOTE", "INT_LITERAL"]


def _word(tok_type: str) -> str:
    return _TOKEN_WORDS.get(tok_type, tok_type.lower().replace("_", " "))


def _describe_unexpected(e: UnexpectedInput) -> str:
    if isinstance(e, UnexpectedToken):
        return f"found {_word(e.token.type)} where it was not expected"
    if isinstance(e, UnexpectedCharacters):
        return f"unexpected character {e.char!r}"
    return "unexpected end of input"


_HEREDOC_START = re.compile(r"<<-?([A-Za-z][\w.-]*)[ \t]*\r?\n")


def scan_structure(text: str) -> SyntaxProblem | None:
    """Our own bracket/string scanner: finds what lark reports only as "unexpected $END"."""
    return _StructureScanner(text).scan()


class _StructureScanner:
    """One scan of one file: the cursor (offset, line, column), the brackets still open, and whether
    the cursor is in code or in a quoted string ("${" inside a string opens code again).

    The steps are named after what the cursor is on: ``_string_step`` inside a quoted string,
    ``_code_step`` elsewhere (which hands comments, heredocs and brackets to their own methods), and
    ``_unclosed`` says what is still open when the text ends.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.i, self.n, self.line, self.col = 0, len(text), 1, 1
        self.stack: list[tuple[str, int, int, bool]] = []  # (char, line, col, is_block)
        self.modes: list[str] = ["code"]  # "code" | "string"; "${" inside a string pushes "code"
        self.interp_depth: list[int] = []  # stack sizes at which a string interpolation began
        self.string_start: list[tuple[int, int]] = []
        self.last_sig = ""  # last significant code character on the line, to tell blocks from objects

    def adv(self, k: int = 1) -> None:
        text, n = self.text, self.n
        for _ in range(k):
            if self.i < n and text[self.i] == "\n":
                self.line += 1
                self.col = 1
            else:
                self.col += 1
            self.i += 1

    def scan(self) -> SyntaxProblem | None:
        while self.i < self.n:
            c = self.text[self.i]
            problem = self._string_step(c) if self.modes[-1] == "string" else self._code_step(c)
            if problem is not None:
                return problem
        return self._unclosed()

    def _string_step(self, c: str) -> SyntaxProblem | None:
        text, i = self.text, self.i
        if c == "\\":
            self.adv(2)
            return None
        if c == '"':
            self.modes.pop()
            self.string_start.pop()
            self.adv()
            self.last_sig = '"'
            return None
        if c == "\n":
            sl, sc = self.string_start[-1]
            return SyntaxProblem("Unterminated template string",
                                 "This quoted string is not closed before the end of the line; quoted "
                                 "strings may not be split over multiple lines.", sl, sc,
                                 hint='close it with " on the same line, or use a heredoc (<<EOT) '
                                      "for multi-line text")
        if (text.startswith("${", i) or text.startswith("%{", i)) and not text.startswith("$${", i - 1) \
                and not text.startswith("%%{", i - 1):
            self.modes.append("code")
            self.interp_depth.append(len(self.stack))
            self.stack.append(("{", self.line, self.col, False))
            self.adv(2)
            return None
        self.adv()
        return None

    def _code_step(self, c: str) -> SyntaxProblem | None:
        text, i = self.text, self.i
        if c == "#" or text.startswith("//", i):
            while self.i < self.n and text[self.i] != "\n":
                self.adv()
            return None
        if text.startswith("/*", i):
            return self._skip_block_comment()
        if text.startswith("<<", i):
            m = _HEREDOC_START.match(text, i)
            if m:
                return self._skip_heredoc(m)
        if c == '"':
            self.modes.append("string")
            self.string_start.append((self.line, self.col))
            self.adv()
            return None
        if c in "{[(":
            is_block = c == "{" and self.last_sig not in ("=", ":", "(", "[", ",", "?")
            self.stack.append((c, self.line, self.col, is_block))
            self.adv()
            self.last_sig = c
            return None
        if c in "}])":
            return self._close(c)
        if c == "\n":
            self.last_sig = ""
        elif not c.isspace():
            self.last_sig = c
        self.adv()
        return None

    def _skip_block_comment(self) -> SyntaxProblem | None:
        end = self.text.find("*/", self.i + 2)
        if end < 0:
            return SyntaxProblem("Unterminated comment", "This /* comment is never closed with */.",
                                 self.line, self.col)
        self.adv(end + 2 - self.i)
        return None

    def _skip_heredoc(self, m: re.Match[str]) -> SyntaxProblem | None:
        marker = m.group(1)
        end = re.compile(r"^[ \t]*" + re.escape(marker) + r"[ \t]*\r?$", re.M).search(self.text, m.end())
        if not end:
            return SyntaxProblem("Unterminated heredoc", f"The heredoc started here has no closing "
                                 f"line containing only {marker}.", self.line, self.col,
                                 hint=f"end the text with a line containing only {marker}")
        self.adv(end.end() - self.i)
        self.last_sig = "x"
        return None

    def _close(self, c: str) -> SyntaxProblem | None:
        want = {"}": "{", "]": "[", ")": "("}[c]
        line, col, stack = self.line, self.col, self.stack
        if not stack:
            return SyntaxProblem(f"Unexpected closing {c!r}", f"There is no opening {want!r} for this "
                                 f"{c!r}.", line, col, hint="remove it, or add the missing opening bracket")
        top = stack[-1]
        if top[0] != want:
            return SyntaxProblem(f"Mismatched {c!r}", f"Expected the {_closer(top[0])!r} that closes the "
                                 f"{top[0]!r} opened at line {top[1]}, column {top[2]}.", line, col)
        stack.pop()
        if c == "}" and self.interp_depth and self.interp_depth[-1] == len(stack):
            self.interp_depth.pop()
            self.modes.pop()
            self.adv()
            return None
        self.adv()
        self.last_sig = c
        return None

    def _unclosed(self) -> SyntaxProblem | None:
        if self.modes[-1] == "string":
            sl, sc = self.string_start[-1]
            return SyntaxProblem("Unterminated template string", "This quoted string is never closed.", sl, sc)
        if self.stack:
            ch, sl, sc, is_block = self.stack[-1]
            if ch == "{" and is_block:
                return SyntaxProblem("Unclosed configuration block",
                                     f"There is no closing brace for the block opened at line {sl} before the "
                                     "end of the file. This may be caused by incorrect brace nesting elsewhere "
                                     "in this file.", sl, sc, hint="add the missing }")
            what = {"{": "object or interpolation", "[": "tuple or index", "(": "parenthesis or call"}[ch]
            return SyntaxProblem(f"Unclosed {ch!r}", f"The {what} opened here is never closed with "
                                 f"{_closer(ch)!r}.", sl, sc, hint=f"add the missing {_closer(ch)}")
        return None


def _closer(ch: str) -> str:
    return {"{": "}", "[": "]", "(": ")"}[ch]


_ARG_START = re.compile(r"^\s*([A-Za-z_][\w-]*)[ \t]+(?=[^=\s{\"])")


def friendly_syntax_error(text: str, e: UnexpectedInput) -> SyntaxProblem:
    """Turn a lark exception into a located, human message (our scanner first)."""
    scanned = scan_structure(text)
    line = getattr(e, "line", 1) or 1
    col = getattr(e, "column", 1) or 1
    if scanned is not None:
        # our scanner's finding is the cause when it lies at or before lark's failure point
        if (scanned.line, scanned.col) <= (line, col) or isinstance(e, UnexpectedEOF) or \
                (isinstance(e, UnexpectedToken) and e.token.type == "$END"):
            return scanned
    lines = text.split("\n")
    src = lines[line - 1] if 0 < line <= len(lines) else ""
    if isinstance(e, UnexpectedCharacters):
        return SyntaxProblem("Invalid character", f"The character {e.char!r} is not valid here.", line, col,
                             hint="check for a typo or a missing quote")
    if isinstance(e, UnexpectedToken):
        tok = e.token
        expected = set(e.expected or ())
        m = _ARG_START.match(src)
        if m and (("EQ" in expected) or ("LBRACE" in expected)) and col > m.end(1):
            name = m.group(1)
            value = str(tok).split("\n", 1)[0].strip()
            return SyntaxProblem("Missing '=' after argument name",
                                 f"An argument is written as NAME = VALUE; found {value!r} after {name!r}.",
                                 line, col, hint=f"write {name} = {value}")
        if tok.type == "$END":
            return SyntaxProblem("Unexpected end of file", "The file ends in the middle of an expression or "
                                 "block.", line, col)
        if tok.type == "STRING_CHARS":
            bad = str(tok).lstrip()[:1]
            return SyntaxProblem("Invalid character", f"The character {bad!r} cannot start an expression.",
                                 line, col, hint="quote text values, e.g. \"...\"")
        if tok.type == "EQ" and "EQ" not in expected:
            return SyntaxProblem("Unexpected '='", "An argument cannot be defined here; an equals sign may "
                                 "only follow an argument name.", line, col)
        found = _word(tok.type)
        text = str(tok).strip().split("\n", 1)[0][:30]
        if text and tok.type not in ("$END", "NL_OR_COMMENT"):
            found += f" {text!r}" if _word(tok.type) != f"'{text}'" else ""
        if tok.type == "DBLQUOTE" and not src[:col - 1].strip() and "NAME" in expected:
            return SyntaxProblem("Invalid argument name", "Argument names must not be quoted.", line, col,
                                 hint="remove the quotes around the name")
        if tok.type in _OPERATORS and tok.type not in ("EQ", "COLON", "NOT") and \
                not _INLINE_COMMENT.sub("", src[:col - 1]).strip():
            return SyntaxProblem("Argument or block definition required", f"An argument or block definition is "
                                 f"required here, not {str(tok).strip()!r}: the expression before it ended with its line.",
                                 line, col, hint=_ONE_LINE)
        closers = [_word(t) for t in ("COMMA", "RPAR", "RSQB") if t in expected]
        if closers and tok.type not in ("$END", "EQ"):
            return SyntaxProblem("Missing " + " or ".join(closers), f"Expected {' or '.join(closers)} before "
                                 f"{found}.", line, col,
                                 hint="separate items with commas and close every bracket you open")
        exp = [_word(t) for t in _MEANINGFUL if t in expected] or ["a valid expression"]
        return SyntaxProblem("Invalid expression" if tok.type != "NAME" else "Unexpected name",
                             f"Found {found} where {', '.join(exp[:-1]) + ' or ' if len(exp) > 1 else ''}"
                             f"{exp[-1]} was expected.", line, col)
    return SyntaxProblem("Unexpected end of file", "The file ends in the middle of a block or expression.",
                         line, col)


_HEREDOC_START = re.compile(r"<<-?([A-Za-z][\w.-]*)[ \t]*\r?\n")


_CORE_NS = re.compile(r"(?<![\w\".:/-])core::(?=[A-Za-z_][\w-]*\s*\()")


def blank_core_namespace(text: str) -> str:
    """``core::upper(x)`` is Terraform's name for the built-in ``upper``; python-hcl2's grammar
    accepts only one or three-part function names, so blank the prefix (columns unchanged)."""
    return _CORE_NS.sub("      ", text) if "core::" in text else text


def strip_interpolation_markers(text: str) -> tuple[str, dict[tuple[int, int], tuple[bool, bool]]]:
    """python-hcl2's grammar rejects ``"${~ x ~}"`` in quoted strings (it accepts ``~`` only in
    ``%{}`` directives). Blank those markers out (columns unchanged) and return where they were,
    keyed by the line/column of the ``${``, so the converter can apply them."""
    if "${~" not in text and "~}" not in text:
        return text, {}
    chars = list(text)
    marks: dict[tuple[int, int], tuple[bool, bool]] = {}
    line_starts = [0]
    line_starts.extend(i + 1 for i, c in enumerate(text) if c == "\n")

    def where(i: int) -> tuple[int, int]:
        ln = bisect.bisect_right(line_starts, i)
        return ln, i - line_starts[ln - 1] + 1

    i, n, in_string = 0, len(text), False
    while i < n:
        c = text[i]
        if in_string:
            if c == "\\":
                i += 2
                continue
            if c == '"' or c == "\n":
                in_string = False
            elif text.startswith("$${", i):
                i += 3
                continue
            elif text.startswith("${", i):
                end = _matching_brace(text, i + 2)
                if end < 0:
                    break
                left = text.startswith("${~", i)
                right = end > i + 2 and text[end - 1] == "~"
                if left or right:
                    marks[where(i)] = (left, right)
                    if left:
                        chars[i + 2] = " "
                    if right:
                        chars[end - 1] = " "
                i = end + 1
                continue
            i += 1
            continue
        if c == '"':
            in_string = True
        elif c == "#" or text.startswith("//", i):
            nl = text.find("\n", i)
            i = n if nl < 0 else nl
            continue
        elif text.startswith("/*", i):
            close = text.find("*/", i + 2)
            i = n if close < 0 else close + 2
            continue
        elif text.startswith("<<", i):
            m = _HEREDOC_START.match(text, i)
            if m:
                end_m = re.compile(r"^[ \t]*" + re.escape(m.group(1)) + r"[ \t]*\r?$", re.M).search(text, m.end())
                i = n if not end_m else end_m.end()
                continue
        i += 1
    return "".join(chars), marks


def parse_text(text: str) -> ir.Body:
    """Parse one file's text into an IR body; raises SyntaxProblem.

    The hand-written fast parser (``hcl_fastparse``) takes the common shapes; it declines (None)
    whatever it is not certain of, syntax errors included, and lark parses that as before."""
    from planner.config.hcl_fastparse import parse_fast

    fast = parse_fast(text)
    if fast is not None:
        return fast
    return _parse_text_lark(text)


def _parse_text_lark(text: str) -> ir.Body:
    """The lark path of :func:`parse_text` (python-hcl2's grammar, then the Converter)."""
    try:
        cleaned, marks = strip_interpolation_markers(blank_core_namespace(text))
        tree = _parse_tree(cleaned if cleaned.endswith("\n") else cleaned + "\n")
        conv = Converter()
        conv.strip_marks = marks
        return conv.body(tree.children[0])
    except UnexpectedInput as e:
        raise friendly_syntax_error(text, e) from None
    except RecursionError:
        raise SyntaxProblem("Expression too deeply nested", "This file nests expressions too deeply to parse.",
                            1, 1) from None
