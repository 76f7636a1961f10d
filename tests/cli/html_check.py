#!/usr/bin/env python3
"""Check a letter's HTML page (docs/LETTERS.md) with Python's html.parser.

usage: html_check.py FILE [--table]

Checks: a doctype; <html lang>, <meta charset>, a non-empty <title>; strict
nesting (every element closed, in order; void elements never closed);
exactly one <h1> and no heading level skipped; no <script>, no event handler
attribute, no external resource (no src attribute, no <link>, no href that
is not a fragment, no url( or @import in the stylesheet); a print
stylesheet; ids unique and every href="#x" naming an element with id="x";
every <table> with a <caption> and <th scope>; with --table, at least one
table whose rows have a row header (the criteria). Prints each problem and
exits 1 if there is any.
"""
import sys
from html.parser import HTMLParser

VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source", "track", "embed"}


class Check(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.problems, self.ids, self.hrefs = [], [], set(), []
        self.doctype = self.lang = self.charset = False
        self.title, self.in_title, self.in_style, self.style = "", False, False, ""
        self.h1 = 0
        self.last_level = 0
        self.tables = []  # per table: caption seen, th with scope, row headers

    def handle_decl(self, decl):
        if decl.lower() == "doctype html":
            self.doctype = True

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html" and a.get("lang"):
            self.lang = True
        if tag == "meta" and (a.get("charset") or "").lower() == "utf-8":
            self.charset = True
        if tag in ("script", "link", "iframe", "object", "embed", "img", "base"):
            self.problems.append("<%s> element" % tag)
        for k, v in attrs:
            if k.startswith("on"):
                self.problems.append("event handler attribute %s" % k)
            if k == "src":
                self.problems.append("src attribute (external resource)")
            if k == "id":
                if v in self.ids:
                    self.problems.append("duplicate id %r" % v)
                self.ids.add(v)
            if k == "href":
                if not v or not v.startswith("#"):
                    self.problems.append("href %r is not a fragment" % v)
                else:
                    self.hrefs.append(v[1:])
        if len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            level = int(tag[1])
            if level == 1:
                self.h1 += 1
            if level > self.last_level + 1:
                self.problems.append("heading level skipped: h%d after h%d" % (level, self.last_level))
            self.last_level = level
        if tag == "table":
            self.tables.append({"caption": False, "th_scope": 0, "row_th": 0})
        if tag == "caption" and self.tables:
            self.tables[-1]["caption"] = True
        if tag == "th" and self.tables:
            if a.get("scope") in ("col", "row"):
                self.tables[-1]["th_scope"] += 1
            else:
                self.problems.append("<th> without scope")
            if a.get("scope") == "row":
                self.tables[-1]["row_th"] += 1
        if tag == "title":
            self.in_title = True
        if tag == "style":
            self.in_style = True
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.problems.append("self-closing non-void element <%s/>" % tag)
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in VOID:
            self.problems.append("end tag for void element </%s>" % tag)
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append("</%s> does not close the open element (%s)" % (tag, "/".join(self.stack)))
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()
        if tag == "title":
            self.in_title = False
        if tag == "style":
            self.in_style = False

    def handle_data(self, data):
        if self.in_title:
            self.title += data
        if self.in_style:
            self.style += data


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 64
    want_table = "--table" in sys.argv[2:]
    with open(sys.argv[1], encoding="utf-8") as f:
        text = f.read()
    c = Check()
    c.feed(text)
    c.close()
    p = c.problems
    if not c.doctype:
        p.append("no <!DOCTYPE html>")
    if not c.lang:
        p.append("no <html lang>")
    if not c.charset:
        p.append("no <meta charset=utf-8>")
    if not c.title.strip():
        p.append("no title")
    if c.stack:
        p.append("elements left open: " + "/".join(c.stack))
    if c.h1 != 1:
        p.append("%d h1 elements, want 1" % c.h1)
    if "url(" in c.style or "@import" in c.style:
        p.append("the stylesheet loads an external resource")
    if "@media print" not in c.style:
        p.append("no print stylesheet")
    for h in c.hrefs:
        if h not in c.ids:
            p.append("href #%s has no element with that id" % h)
    for i, t in enumerate(c.tables):
        if not t["caption"]:
            p.append("table %d has no caption" % (i + 1))
        if not t["th_scope"]:
            p.append("table %d has no th with scope" % (i + 1))
    if want_table and not any(t["row_th"] for t in c.tables):
        p.append("no criteria table (a table with row headers)")
    for x in p:
        print("%s: %s" % (sys.argv[1], x))
    return 1 if p else 0


if __name__ == "__main__":
    sys.exit(main())
