#!/usr/bin/env python3
"""Check a letter's PDF against its Markdown (docs/LETTERS.md), with poppler's tools.

usage: pdf_check.py PDF MARKDOWN PAPER   (PAPER: a4 or letter)

The Markdown is the same document written by the Markdown writer; from it come
the headings, the references and the record entries the PDF must hold. Checks:
  - pdfinfo: the page size (612 x 792 pt for letter, 595.28 x 841.89 pt for A4,
    to the nearest point) on every page, and the page count;
  - pdffonts: at least one font, every font embedded (emb = yes);
  - pdftotext -layout: every heading, every reference and every record entry of
    the Markdown is in the text (compared without white space, since the PDF
    wraps lines); no "[@", "{{", "}}", "(null)" or "??"; every citation [n] is
    in 1..number of references and every [Rn] in 1..number of record entries;
  - pdftoppm -r 50 -png -gray: one PNG per page, each with ink in its body (above the
    page number's band), so no page is blank.
Prints each problem; exit 1 if any.
"""
import os
import re
import struct
import subprocess
import sys
import tempfile
import zlib


def run(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def unescape_md(s):
    return re.sub(r"\\(.)", r"\1", s).replace("`", "").replace("**", "")


def squash(s):
    return re.sub(r"\s+", "", s)


def png_body_ink(path):
    """Dark pixels in the top 85% of a PNG page (8-bit gray or RGB, no interlace)."""
    with open(path, "rb") as f:
        data = f.read()
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or color not in (0, 2) or interlace:
                raise ValueError("unexpected PNG format")
            bpp = 1 if color == 0 else 3
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    ink = 0
    for y in range(height):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 255
            elif ftype == 2:
                line[i] = (line[i] + b) & 255
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        prev = line
        if y < height * 0.85:
            ink += sum(1 for i in range(0, stride, bpp) if line[i] < 128)
            if ink >= 50:
                break  # enough: not blank
    return ink


def main():
    if len(sys.argv) != 4 or sys.argv[3] not in ("a4", "letter"):
        print(__doc__)
        return 64
    pdf, md_path, paper = sys.argv[1:]
    problems = []
    with open(md_path, encoding="utf-8") as f:
        md = f.read().splitlines()

    info = run("pdfinfo", "-f", "1", "-l", "9999", pdf)
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    want = (612, 792) if paper == "letter" else (595, 842)
    sizes = re.findall(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info, re.M)
    if len(sizes) != pages:
        problems.append("pdfinfo lists %d page sizes for %d pages" % (len(sizes), pages))
    for i, (w, h) in enumerate(sizes):
        if (round(float(w)), round(float(h))) != want:
            problems.append("page %d is %s x %s pt, want %d x %d" % (i + 1, w, h, *want))

    fonts = run("pdffonts", pdf).splitlines()[2:]
    if not fonts:
        problems.append("no fonts")
    for line in fonts:
        # name type... encoding emb sub uni object ID: emb is the 5th field from the end
        if line.split()[-5] != "yes":
            problems.append("font not embedded: " + line)

    text = run("pdftotext", "-layout", pdf, "-")
    # a paragraph or entry that runs onto the next page has the page number between its lines
    flat = squash(re.sub(r"^ *Page \d+ of \d+ *$", "", text, flags=re.M))
    headings = [unescape_md(l.lstrip("#").strip()) for l in md if re.match(r"#{1,6} ", l)]
    refs = [unescape_md(re.sub(r"^\d+\. ", "", l)) for l in md if re.match(r"\d+\. ", l)]
    records = [unescape_md(re.sub(r"^- ", "", l)) for l in md if re.match(r"- R\d+\. ", l)]
    if not headings:
        problems.append("the Markdown has no heading")
    for kind, items in (("heading", headings), ("reference", refs), ("record entry", records)):
        for item in items:
            if squash(item) not in flat:
                problems.append("%s missing from the PDF text: %s" % (kind, item[:100]))
    for marker in ("[@", "{{", "}}", "(null)", "??"):
        if marker in text:
            problems.append("unresolved marker %r in the PDF text" % marker)
    # a mark follows a space (processNote[0] is an element path, not a citation)
    spaced = re.sub(r"\s+", " ", text)
    for group in re.findall(r"(?<!\S)\[(\d+(?:, ?\d+)*)\]", spaced):
        for n in group.split(","):
            if not 1 <= int(n) <= len(refs):
                problems.append("citation [%s] but %d references" % (n, len(refs)))
    for group in re.findall(r"(?<!\S)\[(R\d+(?:, ?R\d+)*)\]", spaced):
        for n in group.split(","):
            n = n.strip()
            if not 1 <= int(n[1:]) <= len(records):
                problems.append("record mark [%s] but %d record entries" % (n, len(records)))
    for n in range(1, pages + 1):
        if "Page %d of %d" % (n, pages) not in text:
            problems.append("no 'Page %d of %d'" % (n, pages))

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["pdftoppm", "-r", "50", "-png", "-gray", pdf, os.path.join(tmp, "p")], check=True)
        pngs = sorted(p for p in os.listdir(tmp) if p.endswith(".png"))
        if len(pngs) != pages:
            problems.append("pdftoppm rendered %d pages, pdfinfo says %d" % (len(pngs), pages))
        for p in pngs:
            if png_body_ink(os.path.join(tmp, p)) < 50:
                problems.append("page %s is blank" % p)

    for p in problems:
        print("%s: %s" % (pdf, p))
    print("%s: %d pages, %d headings, %d references, %d record entries checked" %
          (pdf, pages, len(headings), len(refs), len(records)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
