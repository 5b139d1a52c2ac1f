"""A hand-written HCL parser for the common shapes of configurations, straight from text to our IR.

Why: on a large configuration most of a cold load went into lark's pure-Python LALR loop and
contextual lexer and into building lark trees that ``hclparse.Converter`` then turns into IR. This
recursive-descent parser scans with compiled regular expressions and builds the IR directly.

It is a fast path, not a second grammar: :func:`parse_fast` returns either exactly what
``hclparse``'s lark path returns (same node types, values and positions) or None, meaning "let lark
parse it". It declines (None) anything it is not certain about: every syntax error (so errors keep
the lark path's messages), heredocs, template directives, strip markers, ``core::``/``::`` names,
carriage returns, and the corners where python-hcl2's grammar, its contextual lexer and its
post-lexer make odd choices (several newlines before an operator, keywords used as names in
expressions...).

How python-hcl2 8.1.4 behaves, mirrored here:

* Newlines and line comments are tokens (NL_OR_COMMENT); spaces, tabs and (hclparse drops them)
  ``/* */`` comments are not. Inside ``()``, ``[]`` and ``${}`` hclparse drops newlines too; where
  that matters (an operator or ``-`` starting a line there) this parser declines.
* ``-`` after an operand is subtraction (hclparse splits the grammar's ``-10`` token there);
  elsewhere ``-10`` is the literal, as the Converter folds unary minus.
* Attributes and blocks end their line.
* A newline next to an operator (before or after it) continues the expression inside brackets and
  is an error elsewhere, as in Terraform: this parser leaves both to lark.
* A tree's position is that of its first token; GetAttr/Index/Splat take the ``.``/``[``/splat
  operator's, Binary and Cond their first operand's start, strings their opening quote's.
"""

from __future__ import annotations

import re

from planner.config import ir
from planner.config.hclparse import (
    _NUMBER_MINUS,
    SyntaxProblem,
    _decode_escapes,
    build_template,
    float_literal_value,
)


class _Unsure(Exception):
    """The text holds something the fast path does not handle with certainty: lark parses it."""


_KEYWORDS = frozenset({"if", "in", "for", "for_each", "else", "endif", "endfor"})
_LITERALS = {"true": True, "false": False, "null": None}

_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_-]*")
_SPACES = re.compile(r"[ \t]*")
# one NL_OR_COMMENT token, as the grammar has it
_NL_TOKEN = re.compile(r"\n[ \t]*|#[^\n]*\n|//[^\n]*\n|/\*[\s\S]*?\*/")
# FLOAT_LITERAL and INT_LITERAL exactly as the grammar builds them (negative forms included)
_FLOAT = re.compile(r"(?:(?:-[0-9])?[0-9]+|(?:-[0-9])+)\.[0-9]+(?:[eE][+-]?[0-9]+)?"
                    r"|(?:(?:-[0-9])?[0-9]+|(?:-[0-9])+)[eE][+-]?[0-9]+")
_INT = re.compile(r"(?:-[0-9])?[0-9]+")
_DIGITS = re.compile(r"[0-9]+")
# a quoted string that is one STRING_CHARS token without escapes: the usual case, in one match
_SIMPLE_STRING = re.compile(r'"((?:[^"\\$%\n\x00]|\$(?!\{)|%(?!\{))*)"')
# the string-state terminals, in the order lark's lexer tries them
_ESCAPED_INTERPOLATION = re.compile(r"\$\$\{[^}]*\}")
_ESCAPED_DIRECTIVE = re.compile(r"%%\{[^}]*\}")
_STRING_CHARS = re.compile(r'(?:(?!\$\$\{)(?!\$\{)(?!%%\{)(?!%\{)[^"\\]|\\.|(?:\$(?!\$?\{))|(?:%(?!%?\{)))+')

# binary operators and their level in the grammar's ladder (all left-associative)
_PREC = {"||": 0, "&&": 1, "==": 2, "!=": 2, "<": 3, ">": 3, "<=": 3, ">=": 3,
         "+": 4, "-": 4, "*": 5, "/": 5, "%": 5}
_NAME_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_DIGIT = frozenset("0123456789")
_NAME_CHAR = _NAME_START | _DIGIT | {"-"}
# How deep an attribute's expression may nest (every bracket, call, template, operator, traversal and
# enclosing block counts one) for the fast path to take it. The lark path's converter recurses a few
# frames per level and gives up ("Expression too deeply nested") from about 165 levels on, fewer when
# called from deeper in the stack; the fast path must not succeed where it fails, so it declines
# long before. Real configurations stay far below.
_MAX_NESTING = 64


def parse_fast(text: str) -> ir.Body | None:
    """The IR body of ``text`` exactly as ``hclparse``'s lark path would build it, or None when this
    parser is not certain of the result (the text may still be valid: the caller then uses lark)."""
    if "\r" in text or "\x00" in text or "core::" in text or "${~" in text or "~}" in text:
        return None
    try:
        return _parse(text)
    except (_Unsure, SyntaxProblem, RecursionError):
        return None
    except Exception:  # noqa: BLE001 - a fast path must never be worse than the slow one
        return None


def _parse(text: str) -> ir.Body:
    """Like :func:`parse_fast` but raising :class:`_Unsure` (and any bug) instead of returning None."""
    return _Parser(text).file()


class _Parser:
    """One scan of one text: the cursor ``i``, its line and the offset where that line starts."""

    __slots__ = ("s", "i", "line", "ls", "interp", "h", "depth")

    def __init__(self, text: str) -> None:
        # the grammar needs a final newline (parse_text adds one); NULs end the text for the scanner,
        # enough of them that looking two characters ahead never runs off the end
        self.s = (text if text.endswith("\n") else text + "\n") + "\x00\x00\x00"
        self.i = 0
        self.line = 1
        self.ls = 0  # offset of the current line's first character
        self.interp = 0  # inside how many "${" (no newline or comment may appear there)
        self.h = 0  # how deep the syntax of the expression just parsed nests (see _MAX_NESTING)
        self.depth = 0  # blocks inside blocks at the cursor

    # -- newlines and comments -------------------------------------------------------------
    def nls(self) -> int:
        """Skip spaces and any run of newline/comment tokens; how many newlines (line comments included)
        were skipped. A ``/* */`` comment is skipped but not counted: it is whitespace, as in HCL."""
        s, i = self.s, self.i
        if s[i] == " " or s[i] == "\t":
            i = _SPACES.match(s, i).end()
        c = s[i]
        if c != "\n" and c != "#" and c != "/":
            self.i = i
            return 0
        k = skipped = 0
        line, ls = self.line, self.ls
        while True:
            m = _NL_TOKEN.match(s, i)
            if m is None:
                break
            skipped += 1
            tok = m.group()
            if tok[0] == "\n":
                k += 1
                line += 1
                ls = i + 1
            else:
                if tok[1] != "*":
                    k += 1
                n = tok.count("\n")
                if n:
                    line += n
                    ls = i + tok.rfind("\n") + 1
            i = m.end()
            if s[i] == " " or s[i] == "\t":
                i = _SPACES.match(s, i).end()
        if skipped and self.interp:
            raise _Unsure("a newline or comment inside an interpolation")
        self.i, self.line, self.ls = i, line, ls
        return k

    def _no_newline(self, where: str) -> None:
        """Skip spaces and ``/* */`` comments; a newline or line comment here is lark's to judge (a space
        inside brackets, an error elsewhere)."""
        if self.nls():
            raise _Unsure(f"a newline {where}")

    def sp(self) -> str:
        """Skip spaces and tabs; the character at the cursor."""
        s, i = self.s, self.i
        c = s[i]
        if c == " " or c == "\t":
            i = _SPACES.match(s, i).end()
            self.i = i
            c = s[i]
        return c

    # -- body ------------------------------------------------------------------------------
    def file(self) -> ir.Body:
        body = self.body()
        if self.i != len(self.s) - 3:
            raise _Unsure("text after the body")
        return body

    def body(self) -> ir.Body:
        """Attributes and blocks, each ending its line (or the body)."""
        attrs: list[ir.Attr] = []
        blocks: list[ir.Block] = []
        s = self.s
        separated = True
        inline = self.nls() == 0  # (an item on the line of the block's "{": a one-line block)
        while True:
            if self.nls():
                separated = True
            i = self.i
            if s[i] not in _NAME_START:
                if (attrs or blocks) and self.depth:
                    # HCL's rules for a block's lines (lark's path says what is wrong): a one-line block holds
                    # one argument and closes on its line, a longer one has "}" on a line of its own
                    if inline and (blocks or len(attrs) > 1 or separated) or not inline and not separated:
                        raise _Unsure("a block's items and its closing brace")
                return ir.Body(attrs, blocks)
            if not separated:
                raise _Unsure("two items on one line")
            separated = False
            line, col = self.line, i - self.ls + 1
            name = self.word()
            c = self.sp()
            if c == "=":
                if s[self.i + 1] in "=>":
                    raise _Unsure("== or => after a name")
                self.i += 1
                expr = self.expr()
                if self.h + self.depth > _MAX_NESTING:
                    raise _Unsure("nested too deeply to be sure lark's converter copes")
                attrs.append(ir.Attr(name, expr, line, col))
            else:
                blocks.append(self.block(name, line, col))

    def block(self, btype: str, line: int, col: int) -> ir.Block:
        s = self.s
        labels: list = []
        label_cols: list[int] = []
        while True:
            c = self.sp()
            i = self.i
            if c == "{":
                break
            if c == '"':
                label_cols.append(i - self.ls + 1)
                lab = self.string()
                if type(lab) is not ir.Lit or "{" in s[i:self.i]:
                    raise _Unsure("a block label with a template sequence")
                labels.append(lab.value)
            elif c in _NAME_START:
                label_cols.append(i - self.ls + 1)
                labels.append(self.word())
            elif c == "\n" or c == "#" or c == "/":
                self.nls()
                if self.i == i or s[self.i] != "{":
                    raise _Unsure("expected { after the block header")
                break
            else:
                raise _Unsure("unexpected character in a block header")
        self.i += 1
        self.depth += 1
        if self.depth > _MAX_NESTING:
            raise _Unsure("blocks nested too deeply")
        body = self.body()
        self.depth -= 1
        if s[self.i] != "}":
            raise _Unsure("expected } closing a block")
        self.i += 1
        return ir.Block(btype, labels, body, line, col, label_cols=label_cols)

    # -- expressions -----------------------------------------------------------------------
    def peek_op(self) -> str | None:
        """The binary operator or ``?`` after an operand (on its line: one on the next is lark's to judge).

        Leaves the cursor on the operator or, when there is none, where it was."""
        s, i = self.s, self.i
        c = s[i]
        if c == " " or c == "\t":
            i = _SPACES.match(s, i).end()
            c = s[i]
        while c == "/" and s[i + 1] == "*":  # a /* */ comment is whitespace
            end = s.find("*/", i + 2)
            if end < 0 or "\n" in s[i:end]:
                raise _Unsure("a /* */ comment over several lines after an operand")
            i = _SPACES.match(s, end + 2).end()
            c = s[i]
        if c == "\n" or c == "#" or (c == "/" and s[i + 1] == "/"):
            m = _NL_TOKEN.match(s, i)
            if m is None:
                raise _Unsure("an unterminated comment")
            j = m.end()
            if s[j] == " " or s[j] == "\t":
                j = _SPACES.match(s, j).end()
            if self._op_at(j) is None:
                return None
            # inside brackets lark reads the newline as a space, elsewhere as the end of the expression
            # (an operator starting the next line is then an error): lark decides
            raise _Unsure("a newline before an operator")
        op = self._op_at(i)
        if op is not None:
            self.i = i
        return op

    def _op_at(self, i: int) -> str | None:
        s = self.s
        c = s[i]
        if c == "+" or c == "-" or c == "*" or c == "%" or c == "?":
            return c
        if c == "/":
            return None if s[i + 1] == "/" or s[i + 1] == "*" else "/"
        d = s[i + 1]
        if c == "=":
            return "==" if d == "=" else None
        if c == "!":
            return "!=" if d == "=" else None
        if c == "<":
            return "<=" if d == "=" else "<"
        if c == ">":
            return ">=" if d == "=" else ">"
        if c == "&":
            return "&&" if d == "&" else None
        if c == "|":
            return "||" if d == "|" else None
        return None

    def expr(self) -> ir.Expr:
        """``or_expr ? expression : expression`` or ``or_expr``."""
        self.sp()
        line, col = self.line, self.i - self.ls + 1
        cond = self.binary(0)
        if self.peek_op() != "?":
            return cond
        h = self.h
        self.i += 1
        self._no_newline("after '?'")
        then = self.expr()
        h = max(h, self.h)
        self._no_newline("before ':'")
        s = self.s
        if s[self.i] != ":" or s[self.i + 1] == ":":
            raise _Unsure("expected : in a conditional")
        self.i += 1
        self._no_newline("after ':'")
        else_ = self.expr()
        self.h = max(h, self.h) + 1
        return ir.Cond(cond, then, else_, line, col)

    def binary(self, min_prec: int) -> ir.Expr:
        """The operator ladder by precedence climbing: the same left-associative trees."""
        self.sp()
        line, col = self.line, self.i - self.ls + 1
        left = self.unary()
        prec_of = _PREC
        while True:
            start, sline, sls = self.i, self.line, self.ls
            op = self.peek_op()
            if op is None:
                return left
            prec = prec_of.get(op, -1)
            if prec < min_prec:
                self.i, self.line, self.ls = start, sline, sls  # not ours: leave it to the caller
                return left
            h = self.h
            self.i += len(op)
            self._no_newline("after an operator")
            right = self.binary(prec + 1)
            left = ir.Binary(op, left, right, line, col)
            self.h = max(h, self.h) + 1

    def unary(self) -> ir.Expr:
        s, i = self.s, self.i
        c = s[i]
        if c == "!" or (c == "-" and not (_FLOAT.match(s, i) or _INT.match(s, i))):
            line, col = self.line, i - self.ls + 1
            self.i = i + 1
            self.sp()
            operand = self.term()
            self.h += 1
            if c == "-" and type(operand) is ir.Lit and type(operand.value) in (int, float):
                return ir.Lit(-operand.value, line, col)
            return ir.Unary(c, operand, line, col)
        return self.term()

    def term(self) -> ir.Expr:  # noqa: C901 - one branch per kind of term
        """An expr_term: a primary and its traversals (attributes, indexes, splats)."""
        s, i = self.s, self.i
        c = s[i]
        line, col = self.line, i - self.ls + 1
        if c in _NAME_START:
            name = self.word()
            if name in _LITERALS:
                node: ir.Expr = ir.Lit(_LITERALS[name], line, col)
                self.h = 1
            elif name in _KEYWORDS:
                raise _Unsure("a keyword used as a name")
            elif self.sp() == "(":
                node = self.call(name, line, col)
            else:
                node = ir.Name(name, line, col)
                self.h = 1
        elif c == '"':
            node = self.string()
        elif c in _DIGIT or c == "-":
            m = _FLOAT.match(s, i)
            if m is not None:
                tok = m.group()
                cut = _NUMBER_MINUS.search(tok, 1)  # where hclparse splits a number token
                if cut is not None:  # -1-2.5 as hclparse splits it: the literal -1, then a subtraction
                    tok = tok[:cut.start()]
                    end = i + len(tok)
                    value = float_literal_value(tok) if "." in tok or "e" in tok or "E" in tok else int(tok)
                else:
                    end = m.end()
                    value = float_literal_value(tok)
                node = ir.Lit(value, line, col)
            else:
                m = _INT.match(s, i)
                if m is None:
                    raise _Unsure("not an expression")
                end = m.end()
                node = ir.Lit(int(m.group()), line, col)
            self.i = end
            self.h = 1
            if s[self.i] in _NAME_START or self.sp() == ".":
                raise _Unsure("a number followed by . or a name")
        elif c == "[":
            node = self.tuple_(line, col)
        elif c == "{":
            node = self.object_(line, col)
        elif c == "(":
            node = self.paren(line, col)
        else:
            raise _Unsure("not an expression")
        node = self.postfix(node)
        return node

    def postfix(self, node: ir.Expr) -> ir.Expr:
        s = self.s
        while True:
            c = self.sp()
            i = self.i
            if c == ".":
                d = s[i + 1]
                if d == ".":
                    if s[i + 2] == ".":
                        return node  # ELLIPSIS: the caller's
                    raise _Unsure("..")
                if d == "*":
                    node = self.splat(node, False)
                    continue
                node = self.dot(node)
            elif c == "[":
                if s[i + 1] == "*" and s[i + 2] == "]":
                    node = self.splat(node, True)
                    continue
                node = self.bracket(node)
            else:
                return node

    def dot(self, node: ir.Expr) -> ir.Expr:
        """``.name`` (GetAttr) or ``.0`` (Index), at the cursor's ``.``."""
        s = self.s
        line, col = self.line, self.i - self.ls + 1
        self.i += 1
        c = self.sp()
        i = self.i
        if c in _NAME_START:
            self.h += 1
            return ir.GetAttr(node, self.word(), line, col)
        if c in _DIGIT:
            m = _DIGITS.match(s, i)
            self.i = m.end()
            if s[self.i] in _NAME_CHAR:
                raise _Unsure("a name right after a short index")
            self.h += 1
            return ir.Index(node, ir.Lit(int(m.group()), line, col), line, col)
        raise _Unsure("expected a name after .")

    def bracket(self, node: ir.Expr) -> ir.Expr:
        """``[ nl? expression nl? ]`` at the cursor's ``[``."""
        line, col = self.line, self.i - self.ls + 1
        h = self.h
        key = self.enclosed("]")
        self.h = max(h, self.h) + 1
        return ir.Index(node, key, line, col)

    def splat(self, obj: ir.Expr, full: bool) -> ir.Expr:
        """``[*]`` or ``.*`` and the attributes/indexes after it, as the Converter groups them."""
        s = self.s
        line, col = self.line, self.i - self.ls + 1
        self.i += 3 if full else 2
        self.h += 1
        ops: list = []
        after: list = []  # legacy splat: from the first [...] on, on the resulting list
        while True:
            c = self.sp()
            i = self.i
            if c == ".":
                d = s[i + 1]
                if d == "*" or d == ".":
                    break
                op = self.dot(_HOLE)
                if not full and after:
                    after.append(op)
                elif type(op) is ir.GetAttr:
                    ops.append(("attr", op.name))
                else:
                    ops.append(("index", op.key))
            elif c == "[":
                if s[i + 1] == "*" and s[i + 2] == "]":
                    break
                op = self.bracket(_HOLE)
                if not full:
                    after.append(op)
                else:
                    ops.append(("index", op.key))
            else:
                break
        out: ir.Expr = ir.Splat(obj, ops, full, line, col)
        for op in after:
            op.obj = out
            out = op
        return out

    def call(self, name: str, line: int, col: int) -> ir.Expr:
        """``name ( nl? arguments? nl? )``; the cursor is on ``(``."""
        s = self.s
        self.i += 1
        self.nls()
        args: list[ir.Expr] = []
        expand = False
        h = 0
        if s[self.i] != ")":
            while True:
                args.append(self.expr())
                h = max(h, self.h)
                self.nls()  # newlines are whitespace inside parentheses
                c = s[self.i]
                if c == ",":
                    self.i += 1
                    self.nls()
                    if s[self.i] == ")":
                        break
                    continue
                if c == "." and s[self.i + 1] == "." and s[self.i + 2] == ".":
                    self.i += 3
                    expand = True
                    self.nls()
                    if s[self.i] != ")":
                        raise _Unsure("expected ) after ...")
                    break
                if c == ")":
                    break
                raise _Unsure("expected , or ) in a call")
        self.i += 1
        self.h = h + 1
        return ir.Call(name, args, expand, line, col)

    def opens_for(self) -> bool:
        """Step over the ``[`` or ``{`` at the cursor and the newlines after it: is a ``for`` next?"""
        self.i += 1
        self.nls()
        s, i = self.s, self.i
        return s[i] == "f" and s.startswith("for", i) and s[i + 3] not in _NAME_CHAR

    def tuple_(self, line: int, col: int) -> ir.Expr:
        s = self.s
        if self.opens_for():
            return self.for_(line, col, False)
        items: list[ir.Expr] = []
        h = 0
        while s[self.i] != "]":
            items.append(self.expr())
            h = max(h, self.h)
            self.nls()
            c = s[self.i]
            if c == ",":
                self.i += 1
                self.nls()
            elif c != "]":
                raise _Unsure("expected , or ] in a tuple")
        self.i += 1
        self.h = h + 1
        return ir.TupleExpr(items, line, col)

    def object_(self, line: int, col: int) -> ir.Expr:
        s = self.s
        if self.opens_for():
            return self.for_(line, col, True)
        items: list = []
        separated = True
        h = 0
        while s[self.i] != "}":
            if not separated:
                raise _Unsure("object elements without a separator")
            key = self.object_key()
            h = max(h, self.h)
            c = self.sp()
            d = s[self.i + 1]
            if not ((c == "=" and d != "=" and d != ">") or (c == ":" and d != ":")):
                raise _Unsure("expected = or : after an object key")
            self.i += 1
            items.append((key, self.expr()))
            h = max(h, self.h)
            separated = self.nls() > 0
            if s[self.i] == ",":
                self.i += 1
                self.nls()
                separated = True
        self.i += 1
        self.h = h + 1
        return ir.ObjectExpr(items, line, col)

    def object_key(self) -> ir.Expr:
        """A bare name (a Lit), a literal, a string or a parenthesized expression; nothing fancier."""
        s, i = self.s, self.i
        c = s[i]
        line, col = self.line, i - self.ls + 1
        if c in _NAME_START:
            name = self.word()
            if name in _KEYWORDS:
                raise _Unsure("a keyword as an object key")
            self.h = 1
            return ir.Lit(_LITERALS[name] if name in _LITERALS else name, line, col)
        if c == '"':
            return self.string()  # "${k}" is the value of k
        if c == "(":
            return self.paren(line, col)
        raise _Unsure("an unusual object key")

    def paren(self, line: int, col: int) -> ir.Expr:
        """``( expression )``; the cursor is on ``(``."""
        inner = self.enclosed(")")
        self.h += 1
        return ir.Paren(inner, line, col)

    def enclosed(self, closer: str) -> ir.Expr:
        """One expression between the opener at the cursor and ``closer`` (newlines around it are
        whitespace); the cursor ends after ``closer``."""
        self.i += 1
        self.nls()
        inner = self.expr()
        self.nls()
        if self.s[self.i] != closer:
            raise _Unsure(f"expected {closer}")
        self.i += 1
        return inner

    def for_(self, line: int, col: int, is_object: bool) -> ir.Expr:
        """``for k, v in coll : ...`` after ``[``/``{`` (and newlines); the cursor is on ``for``."""
        s = self.s
        self.i += 3
        self.nls()
        first = self.name()
        second = None
        if self.sp() == ",":
            self.i += 1
            self.sp()
            second = self.name()
            self.nls()
        self.nls()
        self.name("in")
        self.nls()
        coll = self.expr()
        h = self.h
        if type(coll) is ir.Cond:
            raise _Unsure("a conditional as a for collection")
        self.nls()
        if s[self.i] != ":" or s[self.i + 1] == ":":
            raise _Unsure("expected : in a for expression")
        self.i += 1
        self.nls()
        key_var, val_var = (first, second) if second is not None else (None, first)
        key = None
        group = False
        if is_object:
            key = self.expr()
            h = max(h, self.h)
            self.sp()
            if s[self.i] != "=" or s[self.i + 1] != ">":
                raise _Unsure("expected => in a for expression")
            self.i += 2
            self.nls()
        value = self.expr()
        h = max(h, self.h)
        self.nls()
        if is_object and s[self.i] == "." and s[self.i + 1] == "." and s[self.i + 2] == ".":
            self.i += 3
            group = True
            self.nls()
        cond = None
        i = self.i
        if s[i] == "i" and s[i + 1] == "f" and s[i + 2] not in _NAME_CHAR:
            self.i += 2
            self.nls()
            cond = self.expr()
            h = max(h, self.h)
            self.nls()
        if s[self.i] != ("}" if is_object else "]"):
            raise _Unsure("expected the end of a for expression")
        self.i += 1
        self.h = h + 1
        return ir.ForExpr(key_var, val_var, coll, key, value, cond, group, is_object, line, col)

    def name(self, keyword: str | None = None) -> str:
        """An identifier, not a keyword or literal; or, with ``keyword``, exactly that word."""
        if self.s[self.i] not in _NAME_START:
            raise _Unsure("expected a name")
        word = self.word()
        if word != keyword and (keyword is not None or word in _KEYWORDS or word in _LITERALS):
            raise _Unsure("expected a plain name")
        return word

    def word(self) -> str:
        """The name whose first character is at the cursor; the cursor moves past it."""
        m = _NAME.match(self.s, self.i)
        self.i = m.end()
        return m.group()

    # -- strings ---------------------------------------------------------------------------
    def string(self) -> ir.Expr:
        """A quoted string at the cursor: a Lit, the one interpolated expression, or a Template."""
        s, i = self.s, self.i
        line, col = self.line, i - self.ls + 1
        m = _SIMPLE_STRING.match(s, i)
        if m is not None:
            self.i = m.end()
            self.h = 1
            return ir.Lit(m.group(1), line, col)
        i += 1
        flat: list = []
        h = 0
        while True:
            c = s[i]
            if c == '"':
                i += 1
                break
            if c == "$" or c == "%":
                d = s[i + 1]
                if d == c and s[i + 2] == "{":
                    m = (_ESCAPED_INTERPOLATION if c == "$" else _ESCAPED_DIRECTIVE).match(s, i)
                    if m is None:
                        raise _Unsure("an unclosed escaped interpolation")
                    tok = m.group()
                    if '"' in tok or "\n" in tok:
                        raise _Unsure("an escaped interpolation spanning quotes or lines")
                    flat.append(("lit", tok[1:]))
                    i = m.end()
                    continue
                if d == "{":
                    if c == "%":
                        raise _Unsure("a template directive")
                    icol = i - self.ls + 1
                    self.i = i + 2
                    self.interp += 1
                    e = self.expr()
                    self.interp -= 1
                    if self.sp() != "}":
                        raise _Unsure("expected } closing an interpolation")
                    flat.append(("interp", e, False, False, line, icol))
                    h = max(h, self.h + 1)
                    i = self.i + 1
                    continue
            m = _STRING_CHARS.match(s, i)
            if m is None:
                raise _Unsure("not a string character")
            tok = m.group()
            if "\n" in tok:
                raise _Unsure("a multi-line quoted string")
            flat.append(("lit", _decode_escapes(tok, line, i - self.ls + 1)))
            i = m.end()
        self.i = i
        self.h = h + 1
        return build_template(flat, line, col)


class _Hole(ir.Expr):
    """Placeholder object of a traversal parsed inside a splat (replaced once the splat is built)."""

    __slots__ = ()


_HOLE = _Hole()
