"""Terraform's canonical HCL layout (``terraform fmt``), reproduced byte for byte.

``terraform fmt`` lexes a file with hclsyntax's scanner, rewrites a few expressions
(``"${x}"`` -> ``x``, legacy quoted variable types, block labels re-quoted) and then lays out the
token stream with hclwrite's ``format``: indentation from bracket counts per line, spacing between
tokens by a fixed table of token pairs, and ``=`` / trailing comments aligned across consecutive
lines. Nothing but whitespace changes in that last step, so comments, heredoc bodies and blank
lines survive. python-hcl2 parses for meaning and drops the layout we need, so the token scanner
and the layout rules are our own code, written after hclsyntax's ``scan_tokens.rl`` and hclwrite's
``format.go`` (MPL-2.0, read, not copied). The tests compare the result with the real binary on a
corpus whose answers are recorded in tests/fmt/corpus.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

# Token types, named as hclsyntax names them.
SELF_TOKENS = {
    "[": "OBrack", "]": "CBrack", "(": "OParen", ")": "CParen", ".": "Dot", ",": "Comma", "*": "Star",
    "/": "Slash", "%": "Percent", "+": "Plus", "-": "Minus", "=": "Equal", "<": "LessThan",
    ">": "GreaterThan", "!": "Bang", "?": "Question", ":": "Colon", "&": "BitwiseAnd", "|": "BitwiseOr",
    "~": "BitwiseNot", "^": "BitwiseXor", ";": "Semicolon", "`": "Backtick", "'": "Apostrophe",
}
TWO_CHAR = {"==": "EqualOp", "!=": "NotEqual", ">=": "GreaterThanEq", "<=": "LessThanEq", "&&": "And",
            "||": "Or", "::": "DoubleColon", "=>": "FatArrow"}
OPENERS = {"OBrace", "OBrack", "OParen", "TemplateControl", "TemplateInterp"}
CLOSERS = {"CBrace", "CBrack", "CParen", "TemplateSeqEnd"}

_NUMBER = regex.compile(r"[0-9](?:[0-9.]|[eE][+-]?[0-9])*")
_GRAPHEME = regex.compile(r"\X")


@dataclass
class Tok:
    """One token: its type, its exact text and the spaces written before it."""

    type: str
    text: str
    spaces: int = 0


def _is_id_start(c: str) -> bool:
    return c == "_" or c.isidentifier()


def _is_id_continue(c: str) -> bool:
    return c == "-" or ("a" + c).isidentifier()


class _Scanner:
    """hclsyntax's scanner: modes main / quoted string / heredoc with a call stack, as the Ragel machine."""

    def __init__(self, text: str) -> None:
        self.s = text
        self.n = len(text)
        self.toks: list[tuple[str, int, int]] = []
        self.braces = 0
        self.ret_braces: list[int] = []
        self.heredocs: list[list] = []  # [marker, start_of_line]
        self.stack: list[str] = []
        self.open_at_eof = ""

    def emit(self, kind: str, start: int, end: int) -> None:
        self.toks.append((kind, start, end))

    def run(self) -> list[tuple[str, int, int]]:
        p = 0
        mode = "main"
        while p < self.n:
            if mode == "main":
                p, mode = self.main(p)
            elif mode == "string":
                p, mode = self.string(p)
            else:
                p, mode = self.heredoc(p)
        self.open_at_eof = mode if mode != "main" else (self.stack[-1] if self.stack else "")
        self.emit("EOF", self.n, self.n)
        return self.toks

    def _call(self, new_mode: str, ret: str) -> str:
        self.stack.append(ret)
        return new_mode

    def _ret(self) -> str:
        return self.stack.pop() if self.stack else "main"

    def _interp(self, p: int, kind: str, ret: str) -> tuple[int, str]:
        end = p + 2 + (1 if self.s.startswith("~", p + 2) else 0)
        self.emit(kind, p, end)
        self.braces += 1
        self.ret_braces.append(self.braces)
        if self.heredocs:
            self.heredocs[-1][1] = False
        return end, self._call("main", ret)

    def main(self, p: int) -> tuple[int, str]:
        s, c = self.s, self.s[p]
        if c in " \t":
            q = p
            while q < self.n and s[q] in " \t":
                q += 1
            return q, "main"
        if c.isdigit() and c.isascii():
            m = _NUMBER.match(s, p)
            end = m.end()
            while s[end - 1] == ".":
                end -= 1
            self.emit("NumberLit", p, end)
            return end, "main"
        if _is_id_start(c):
            q = p + 1
            while q < self.n and _is_id_continue(s[q]):
                q += 1
            self.emit("Ident", p, q)
            return q, "main"
        if c == "#" or s.startswith("//", p):
            q = s.find("\n", p)
            q = self.n if q < 0 else q + 1
            self.emit("Comment", p, q)
            return q, "main"
        if s.startswith("/*", p):
            q = s.find("*/", p + 2)
            if q >= 0:
                self.emit("Comment", p, q + 2)
                return q + 2, "main"
        if c == "\n" or s.startswith("\r\n", p):
            q = p + (1 if c == "\n" else 2)
            self.emit("Newline", p, q)
            return q, "main"
        if s.startswith("...", p):
            self.emit("Ellipsis", p, p + 3)
            return p + 3, "main"
        two = s[p:p + 2]
        if two in TWO_CHAR:
            self.emit(TWO_CHAR[two], p, p + 2)
            return p + 2, "main"
        if two == "~}":
            return self._close_brace(p, 2, eat=True)
        if c == "{":
            self.emit("OBrace", p, p + 1)
            self.braces += 1
            return p + 1, "main"
        if c == "}":
            return self._close_brace(p, 1, eat=False)
        if c == '"':
            self.emit("OQuote", p, p + 1)
            return p + 1, self._call("string", "main")
        if two == "<<":
            q = p + 2
            if q < self.n and s[q] == "-":
                q += 1
            if q < self.n and _is_id_start(s[q]):
                r = q + 1
                while r < self.n and _is_id_continue(s[r]):
                    r += 1
                nl = 1 if s.startswith("\n", r) else 2 if s.startswith("\r\n", r) else 0
                if nl:
                    self.emit("OHeredoc", p, r + nl)
                    self.heredocs.append([s[q:r], True])
                    return r + nl, self._call("heredoc", "main")
        if c in SELF_TOKENS:
            self.emit(SELF_TOKENS[c], p, p + 1)
            return p + 1, "main"
        self.emit("Invalid", p, p + 1)
        return p + 1, "main"

    def _close_brace(self, p: int, width: int, eat: bool) -> tuple[int, str]:
        if self.ret_braces and self.ret_braces[-1] == self.braces:
            self.emit("TemplateSeqEnd", p, p + width)
            self.braces -= 1
            self.ret_braces.pop()
            return p + width, self._ret()
        self.emit("TemplateSeqEnd" if eat else "CBrace", p, p + width)
        self.braces -= 1
        return p + width, "main"

    def string(self, p: int) -> tuple[int, str]:
        s = self.s
        if s.startswith("${", p):
            return self._interp(p, "TemplateInterp", "string")
        if s.startswith("%{", p):
            return self._interp(p, "TemplateControl", "string")
        c = s[p]
        if c == '"':
            self.emit("CQuote", p, p + 1)
            return p + 1, self._ret()
        if c in "\r\n":
            q = p
            while q < self.n and s[q] in "\r\n":
                q += 1
            self.emit("QuotedNewline", p, q)
            return q, "string"
        if c in "$%":  # a lone $ or % is its own literal token; $${ and %%{ are literal too
            q = p + 3 + (1 if s.startswith("~", p + 3) else 0) if s.startswith(c + "{", p + 1) else p + 1
            self.emit("QuotedLit", p, q)
            return q, "string"
        q = p
        while q < self.n:
            ch = s[q]
            if ch in '"\r\n$%':
                break
            if ch == "\\":
                if q + 1 < self.n and s[q + 1] not in "\r\n":
                    q += 2
                    continue
                break
            q += 1
        if q == p:  # a lone backslash before a newline
            self.emit("Invalid", p, p + 1)
            return p + 1, "string"
        self.emit("QuotedLit", p, q)
        return q, "string"

    def heredoc(self, p: int) -> tuple[int, str]:
        s = self.s
        if s.startswith("${", p):
            return self._interp(p, "TemplateInterp", "heredoc")
        if s.startswith("%{", p):
            return self._interp(p, "TemplateControl", "heredoc")
        q = p
        while q < self.n and s[q] not in "\r\n":
            ch = s[q]
            if ch in "$%" and s.startswith("{", q + 1):
                break
            if ch in "$%" and s.startswith(ch + "{", q + 1):
                q += 3
                continue
            q += 1
        doc = self.heredocs[-1]
        nl = 1 if s.startswith("\n", q) else 2 if s.startswith("\r\n", q) else 0
        if nl:
            end = q + nl
            if doc[1] and s[p:end].strip() == doc[0]:
                self.emit("CHeredoc", p, q)
                self.emit("Newline", q, end)
                self.heredocs.pop()
                return end, self._ret()
            doc[1] = True
            self.emit("StringLit", p, end)
            return end, "heredoc"
        if q == p:  # a lone \r
            q = p + 1
        doc[1] = False
        self.emit("StringLit", p, q)
        return q, "heredoc"


def lex(text: str) -> list[Tok]:
    """The file's tokens as hclwrite sees them: each with the spaces that preceded it."""
    out: list[Tok] = []
    last = 0
    for kind, start, end in _Scanner(text).run():
        out.append(Tok(kind, text[start:end], start - last))
        last = end
    return out


def _bracket_change(t: Tok) -> int:
    return 1 if t.type in OPENERS else -1 if t.type in CLOSERS else 0


def _is_newline(t: Tok) -> bool:
    return t.type == "Newline" or (t.type == "Comment" and t.text.endswith("\n"))


def _columns(toks: list[Tok]) -> int:
    return sum(t.spaces + len(_GRAPHEME.findall(t.text)) for t in toks)


_NEG_BEFORE = {"Nil", "OParen", "OBrace", "OBrack", "Equal", "Colon", "Comma", "Question", "Plus", "Star", "Slash",
               "Percent", "Minus", "EqualOp", "NotEqual", "GreaterThan", "GreaterThanEq", "LessThan", "LessThanEq",
               "And", "Or", "Bang"}


def _space_after(subject: Tok, before: Tok, after: Tok) -> bool:
    st, at = subject.type, after.type
    if at in ("Newline", "Nil"):
        return False
    if st == "Ident" and at == "OParen":
        return False
    if (st == "Ident" and at == "DoubleColon") or (st == "DoubleColon" and at == "Ident"):
        return False
    if st == "Dot" or at == "Dot":
        return False
    if at in ("Comma", "Ellipsis"):
        return False
    if st == "Comma":
        return True
    if st in ("QuotedLit", "StringLit", "OQuote", "OHeredoc") or at in ("QuotedLit", "StringLit", "CQuote", "CHeredoc"):
        return False
    if st == "Ident" and subject.text == "in" and before.type == "Ident":
        return True
    if at == "OBrack" and (st in ("Ident", "NumberLit") or _bracket_change(subject) < 0):
        return False
    if st == "Bang":
        return False
    if st == "Minus":
        return before.type not in _NEG_BEFORE
    if st == "OBrace" or at == "CBrace":
        return not (st == "OBrace" and at == "CBrace")
    if st in ("TemplateInterp", "TemplateControl") and at == "OBrace":
        return True
    if st == "CBrace" and at == "TemplateSeqEnd":
        return True
    if st == "TemplateSeqEnd" and at in ("TemplateInterp", "TemplateControl"):
        return False
    if _bracket_change(subject) > 0:
        return False
    if _bracket_change(after) < 0:
        return False
    return True


@dataclass
class _Line:
    lead: list[Tok]
    assign: list[Tok] | None = None
    comment: list[Tok] | None = None


def _lines(tokens: list[Tok]) -> list[_Line]:
    lines: list[_Line] = []
    start = 0
    for i, t in enumerate(tokens):
        if t.type == "EOF":
            lines.append(_Line(tokens[start:i]))
            start = None
            break
        if _is_newline(t):
            lines.append(_Line(tokens[start:i + 1]))
            start = i + 1
    if start is not None and start < len(tokens):
        lines.append(_Line([t for t in tokens[start:] if t.type != "EOF"]))
    for line in lines:
        if not line.lead:
            continue
        if len(line.lead) > 1 and line.lead[-1].type == "Comment":
            line.comment = line.lead[-1:]
            line.lead = line.lead[:-1]
        for i, t in enumerate(line.lead):
            if i > 0 and t.type == "Equal":
                if sum(_bracket_change(x) for x in line.lead[i:]) == 0:
                    line.assign = line.lead[i:]
                    line.lead = line.lead[:i]
                break
    return lines


def _format_indent(lines: list[_Line]) -> None:
    indents: list[int] = []
    for line in lines:
        if not line.lead:
            continue
        if line.lead[0].type == "Newline":
            line.lead[0].spaces = 0
            continue
        net = 0
        for t in line.lead:
            net += _bracket_change(t)
            if t.type == "OHeredoc":
                break
        for t in line.assign or ():
            net += _bracket_change(t)
        if net > 0:
            line.lead[0].spaces = 2 * len(indents)
            indents.append(net)
            continue
        closed = -net
        while closed > 0 and indents:
            if closed > indents[-1]:
                closed -= indents.pop()
            elif closed < indents[-1]:
                indents[-1] -= closed
                closed = 0
            else:
                indents.pop()
                closed = 0
        line.lead[0].spaces = 2 * len(indents)


_NIL = Tok("Nil", "")


def _space_cell(cell: list[Tok]) -> None:
    for i, t in enumerate(cell[:-1]):
        before = cell[i - 1] if i > 0 else _NIL
        after = cell[i + 1]
        after.spaces = 1 if _space_after(t, before, after) else 0


def _format_spaces(lines: list[_Line]) -> None:
    for line in lines:
        _space_cell(line.lead)
        if line.assign:
            line.assign[0].spaces = 1
            _space_cell(line.assign)


def _format_cells(lines: list[_Line]) -> None:
    def chains(has, width):
        start, most = -1, 0
        for i, line in enumerate([*lines, None]):
            if line is None or not has(line):
                if start != -1:
                    yield lines[start:i], most
                start, most = -1, 0
                continue
            if start == -1:
                start = i
            most = max(most, width(line))

    for chain, most in list(chains(lambda ln: ln.assign is not None, lambda ln: _columns(ln.lead))):
        for ln in chain:
            ln.assign[0].spaces = most - _columns(ln.lead) + 1
    for chain, most in list(chains(lambda ln: ln.comment is not None,
                                   lambda ln: _columns(ln.lead) + _columns(ln.assign or []))):
        for ln in chain:
            ln.comment[0].spaces = most - (_columns(ln.lead) + _columns(ln.assign or [])) + 1


def layout(tokens: list[Tok]) -> None:
    """hclwrite's ``format``: rewrite only the spaces before each token, in place."""
    lines = _lines(tokens)
    _format_indent(lines)
    _format_spaces(lines)
    _format_cells(lines)


# --- terraform fmt's rewrites (internal/command/fmt.go), on a light body structure -------------------------

_UNESC = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _unquote(raw: str) -> str | None:
    out, i = [], 0
    while i < len(raw):
        c = raw[i]
        if c == "\\":
            nxt = raw[i + 1:i + 2]
            if nxt in _UNESC:
                out.append(_UNESC[nxt])
                i += 2
                continue
            width = {"u": 4, "U": 8}.get(nxt)
            digits = raw[i + 2:i + 2 + (width or 0)]
            if not width or len(digits) != width:
                return None
            try:
                out.append(chr(int(digits, 16)))
            except ValueError:
                return None
            i += 2 + width
            continue
        if c in "$%" and raw.startswith(c + "{", i + 1):
            out.append(c + "{")
            i += 3
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _quote(s: str) -> str:
    out = []
    for i, ch in enumerate(s):
        if ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch in "$%":
            out.append(ch + ch if s.startswith("{", i + 1) else ch)
        elif not ch.isprintable() and ch != " ":
            out.append(f"\\u{ord(ch):04x}" if ord(ch) < 65536 else f"\\U{ord(ch):08x}")
        else:
            out.append(ch)
    return "".join(out)


def _skip_trivia(toks: list[Tok], i: int) -> int:
    while i < len(toks) and toks[i].type in ("Newline", "Comment"):
        i += 1
    return i


def _expr_end(toks: list[Tok], i: int) -> int:
    """Index just past an attribute's expression starting at ``i`` (its trailing comments excluded)."""
    depth, j = 0, i
    while j < len(toks):
        t = toks[j]
        if t.type == "EOF" or (depth == 0 and _is_newline(t)):
            break
        depth += _bracket_change(t)
        if depth < 0:
            break
        j += 1
    while j > i and toks[j - 1].type == "Comment":
        j -= 1
    return j


def _rewrite_body(toks: list[Tok], i: int, blocks: list[str], out: list[Tok]) -> int:
    """Copy one body's tokens to ``out`` with fmt's rewrites; return the index of its closing brace/EOF."""
    while i < len(toks):
        t = toks[i]
        if t.type in ("EOF", "CBrace"):
            return i
        if t.type != "Ident":
            out.append(t)
            i += 1
            continue
        j = i + 1
        while j < len(toks) and toks[j].type == "Comment" and not toks[j].text.endswith("\n"):
            j += 1
        if j < len(toks) and toks[j].type == "Equal":
            out.extend(toks[i:j + 1])
            end = _expr_end(toks, j + 1)
            expr = toks[j + 1:end]
            if len(blocks) == 1 and blocks[0] == "variable" and t.text == "type":
                expr = _format_type_expr(expr)
            else:
                expr = _format_value_expr(expr)
            out.extend(expr)
            i = end
            continue
        # a block: type, labels, then a body in braces
        labels: list[str] = []
        k = i + 1
        while k < len(toks) and toks[k].type != "OBrace":
            tk = toks[k]
            if tk.type == "Ident":
                labels.append(tk.text)
            elif tk.type == "OQuote":
                m = k + 1
                while m < len(toks) and toks[m].type != "CQuote":
                    m += 1
                inner = toks[k + 1:m]
                if not inner:
                    labels.append("")
                elif len(inner) == 1 and inner[0].type == "QuotedLit":
                    value = _unquote(inner[0].text)
                    if value is not None:
                        labels.append(value)
                k = m
            elif tk.type not in ("Comment",):
                break
            k += 1
        if k >= len(toks) or toks[k].type != "OBrace":
            out.append(t)  # not a block we understand: leave it as it is
            i += 1
            continue
        out.append(t)
        for label in labels:
            out.append(Tok("OQuote", '"', 1))
            if label:
                out.append(Tok("QuotedLit", _quote(label)))
            out.append(Tok("CQuote", '"'))
        out.append(toks[k])
        close = _rewrite_body(toks, k + 1, [*blocks, t.text], out)
        if close < len(toks) and toks[close].type == "CBrace":
            out.append(toks[close])
            close += 1
        i = close
    return i


def _format_value_expr(toks: list[Tok]) -> list[Tok]:
    if len(toks) < 5:
        return toks
    if (toks[0].type, toks[1].type, toks[-2].type, toks[-1].type) != (
            "OQuote", "TemplateInterp", "TemplateSeqEnd", "CQuote"):
        return toks
    inside = toks[2:-2]
    quotes = 0
    for t in inside:
        if t.type == "OQuote":
            quotes += 1
            continue
        if t.type == "CQuote":
            quotes -= 1
            continue
        if quotes > 0:
            continue
        if t.type in ("TemplateInterp", "TemplateSeqEnd", "QuotedLit"):
            return toks
    start, end = 0, len(inside)
    while start < end and inside[start].type == "Newline":
        start += 1
    while end > start and inside[end - 1].type == "Newline":
        end -= 1
    trimmed = inside[start:end]
    multi = any(t.type == "Newline" for t in trimmed)
    lead = bool(trimmed) and trimmed[0].type == "OParen"
    trail = len(trimmed) > 1 and trimmed[-1].type == "CParen"
    if multi and not (lead and trail):
        return [Tok("OParen", "("), *trimmed, Tok("CParen", ")")]
    return trimmed


def _format_type_expr(toks: list[Tok]) -> list[Tok]:
    if len(toks) == 1 and toks[0].type == "Ident" and toks[0].text in ("list", "map", "set"):
        return [toks[0], Tok("OParen", "("), Tok("Ident", "any"), Tok("CParen", ")")]
    if len(toks) == 3 and [t.type for t in toks] == ["OQuote", "QuotedLit", "CQuote"]:
        word = toks[1].text
        if word == "string":
            return [Tok("Ident", "string")]
        if word in ("list", "map"):
            return [Tok("Ident", word), Tok("OParen", "("), Tok("Ident", "string"), Tok("CParen", ")")]
    return toks


def format_text(text: str) -> str:
    """The canonical layout of one HCL file's text (the caller has checked its syntax)."""
    toks = lex(text.removeprefix("\ufeff"))  # hclsyntax drops a byte-order mark, and so does fmt
    out: list[Tok] = []
    end = _rewrite_body(toks, 0, [], out)
    out.extend(toks[end:])
    layout(out)
    return "".join(" " * t.spaces + t.text for t in out)


# --- the syntax gate: fmt leaves a file that does not parse untouched (exit 2) ------------------------------

@dataclass
class FmtSyntaxError:
    """Where and why a file cannot be formatted."""

    line: int
    col: int
    summary: str
    detail: str


_PAIRS = {"OBrace": "CBrace", "OBrack": "CBrack", "OParen": "CParen", "TemplateInterp": "TemplateSeqEnd",
          "TemplateControl": "TemplateSeqEnd"}
_CLOSE_TEXT = {"CBrace": "}", "CBrack": "]", "CParen": ")", "TemplateSeqEnd": "}"}


def _structure_error(text: str) -> FmtSyntaxError | None:
    """hclsyntax's errors that a token stream shows: bad characters, unclosed or mismatched brackets,
    unterminated strings and heredocs, and bodies that are not arguments and blocks."""
    sc = _Scanner(text)
    raw = sc.run()
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)

    def at(offset: int, summary: str, detail: str) -> FmtSyntaxError:
        import bisect
        line = bisect.bisect_right(starts, offset)
        return FmtSyntaxError(line, offset - starts[line - 1] + 1, summary, detail)

    stack: list[tuple[str, int]] = []
    for kind, start, _end in raw:
        if kind == "Invalid":
            return at(start, "Invalid character", f"The character {text[start]!r} is not valid here.")
        if kind == "QuotedNewline":
            return at(start, "Invalid multi-line string",
                      "Quoted strings may not be split over multiple lines. To produce a multi-line string, "
                      "either use the \\n escape to represent a newline character or use the \"heredoc\" "
                      "multi-line template syntax.")
        if kind in _PAIRS:
            stack.append((kind, start))
        elif kind in _CLOSE_TEXT:
            if not stack or _PAIRS[stack[-1][0]] != kind:
                return at(start, "Unexpected closing bracket",
                          f"This {_CLOSE_TEXT[kind]!r} does not close the bracket opened before it.")
            stack.pop()
    if sc.open_at_eof == "string":
        return at(len(text), "Unterminated template string", "No closing marker was found for the string.")
    if sc.open_at_eof == "heredoc":
        return at(len(text), "Unclosed heredoc", "No closing marker was found for the heredoc.")
    if stack:
        kind, start = stack[-1]
        return at(start, "Unclosed bracket", f"This {text[start]!r} has no closing {_CLOSE_TEXT[_PAIRS[kind]]!r}.")
    toks = [t for t in raw if not (t[0] == "Comment" and not text[t[1]:t[2]].endswith("\n"))]
    return _body_error(text, toks, 0, False, at)[1]


def _body_error(text, toks, i, nested, at):
    """Walk one body from ``i``; return (index of its closing brace or EOF, first error or None)."""

    def nl(k: int) -> bool:
        return toks[k][0] in ("Newline", "EOF") or toks[k][0] == "Comment"

    while True:
        while toks[i][0] in ("Newline", "Comment"):
            i += 1
        kind, start, _ = toks[i]
        if kind == "EOF" or (kind == "CBrace" and nested):
            return i, None
        if kind != "Ident":
            return i, at(start, "Argument or block definition required",
                         "An argument or block definition is required here.")
        if toks[i + 1][0] == "Equal":
            end = _expr_end_raw(toks, i + 2)
            if end == i + 2:
                return i, at(toks[i + 1][1], "Missing expression", "An expression is required after '='.")
            glued = _two_values(toks, i + 2, end)
            if glued is not None:
                return i, at(toks[glued][1], "Missing newline after argument",
                             "An argument definition must end with a newline.")
            if not nl(end) and not (nested and toks[end][0] == "CBrace"):
                return i, at(toks[end][1], "Missing newline after argument",
                             "An argument definition must end with a newline.")
            i = end
            continue
        k = i + 1
        while toks[k][0] in ("Ident", "OQuote", "QuotedLit", "CQuote"):
            k += 1
        if toks[k][0] != "OBrace":
            return i, at(toks[k][1], "Invalid block definition",
                         "Either a quoted string block label or an opening brace (\"{\") is expected here.")
        k += 1
        if not nl(k):  # a single-line block: nothing, or one argument, closed on the same line
            if toks[k][0] != "CBrace":
                if toks[k][0] != "Ident" or toks[k + 1][0] != "Equal":
                    return i, at(toks[k][1], "Argument definition required",
                                 "A single-line block definition can contain only a single argument.")
                end = _expr_end_raw(toks, k + 2)
                if toks[end][0] != "CBrace":
                    return i, at(toks[k][1], "Invalid single-argument block definition",
                                 "A single-line block definition must be closed on the same line.")
                k = end
            close = k
        else:
            close, err = _body_error(text, toks, k, True, at)
            if err:
                return close, err
            if toks[close][0] != "CBrace":
                return close, at(toks[close][1], "Unclosed configuration block",
                                 "There is no closing brace for this block.")
        if not nl(close + 1):
            return close, at(toks[close + 1][1], "Missing newline after block definition",
                             "A block definition must end with a newline.")
        i = close + 1


_VALUE_END = {"Ident", "NumberLit", "CQuote", "CParen", "CBrack", "CBrace"}
_VALUE_START = {"Ident", "NumberLit", "OQuote", "OHeredoc", "OBrace"}


def _two_values(toks, i: int, end: int) -> int | None:
    """Index of a value that directly follows another at the top level of an expression (``a = 1 b = 2``)."""
    depth = 0
    for k in range(i, end - 1):
        kind = toks[k][0]
        depth += 1 if kind in OPENERS else -1 if kind in CLOSERS else 0
        if depth == 0 and kind in _VALUE_END and toks[k + 1][0] in _VALUE_START:
            return k + 1
    return None


def _expr_end_raw(toks, i: int) -> int:
    depth = 0
    while True:
        kind = toks[i][0]
        if kind == "EOF" or (depth == 0 and kind in ("Newline", "Comment")):
            return i
        depth += 1 if kind in OPENERS else -1 if kind in CLOSERS else 0
        if depth < 0:
            return i
        i += 1


def _hcl2_gaps(text: str) -> bool:
    """Valid HCL that python-hcl2's grammar refuses: non-ASCII names, line breaks inside ``${ }``,
    ``/* */`` comments between tokens."""
    depth_in_quotes = 0
    quoted = 0
    prev = ("", 0, 0)
    for kind, start, end in _Scanner(text).run():
        if kind == "Ident" and not text[start:end].isascii():
            return True
        if kind == "Comment" and text.startswith("/*", start):
            return True
        if kind == "Star" and prev[0] == "OBrack" and (start > prev[2] or text[end:end + 1] != "]"):
            return True  # a spaced splat, var.l[ * ]
        if kind == "OQuote":
            quoted += 1
        elif kind == "CQuote":
            quoted -= 1
        elif kind in ("TemplateInterp", "TemplateControl") and quoted:
            depth_in_quotes += 1
        elif kind == "TemplateSeqEnd" and depth_in_quotes:
            depth_in_quotes -= 1
        elif kind == "Newline" and depth_in_quotes:
            return True
        prev = (kind, start, end)
    return False


def syntax_error(text: str) -> FmtSyntaxError | None:
    """The first syntax error fmt must stop at, or None. The token structure is checked here; expressions
    by clbplan's parser, except where its grammar is known to refuse valid HCL (then the structure decides)."""
    text = text.removeprefix("\ufeff")
    err = _structure_error(text)
    if err:
        return err
    from planner.config.hclparse import SyntaxProblem, parse_text

    try:
        parse_text(text)
    except SyntaxProblem as p:
        if not _hcl2_gaps(text):
            return FmtSyntaxError(p.line, p.col, p.summary, p.detail)
    return None
