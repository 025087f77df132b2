#!/usr/bin/env python3
# html-check.py FILE: is the HTML report of `mxlab run --html` one
# self-contained, well-formed page? Prints one problem a line and exits 1,
# or prints nothing and exits 0. Checked: every element closed, in order
# (void elements and SVG's self-closed ones excepted); no element that
# loads or runs something (script, link, iframe, object, embed, img,
# image, use with an href, ...); no attribute naming a remote resource or
# running script (on*=, src=, href= other than "#..."); no @import or
# url() in the CSS but url(#...).
import re
import sys
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "source", "track", "wbr"}
LOADERS = {"script", "link", "iframe", "frame", "object", "embed", "img", "image",
           "audio", "video", "source", "base", "form", "foreignobject", "use"}


class Check(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.problems = []
        self.in_style = False

    def attrs_ok(self, tag, attrs):
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"line {self.getpos()[0]}: <{tag} {name}=...>: script")
            if name in ("src", "href", "xlink:href", "action", "formaction", "srcset"):
                if not value.startswith("#"):
                    self.problems.append(
                        f"line {self.getpos()[0]}: <{tag} {name}={value!r}>: a resource")
            if name == "style" or name in ("marker-end", "fill", "stroke"):
                for u in re.findall(r"url\(\s*['\"]?([^)'\"]*)", value):
                    if not u.startswith("#"):
                        self.problems.append(f"line {self.getpos()[0]}: url({u})")

    def handle_starttag(self, tag, attrs):
        if tag in LOADERS:
            self.problems.append(f"line {self.getpos()[0]}: <{tag}> element")
        self.attrs_ok(tag, attrs)
        if tag == "style":
            self.in_style = True
        if tag not in VOID:
            self.stack.append((tag, self.getpos()[0]))

    def handle_startendtag(self, tag, attrs):
        if tag in LOADERS:
            self.problems.append(f"line {self.getpos()[0]}: <{tag}/> element")
        self.attrs_ok(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "style":
            self.in_style = False
        if tag in VOID:
            return
        if not self.stack or self.stack[-1][0] != tag:
            top = self.stack[-1] if self.stack else ("nothing", 0)
            self.problems.append(
                f"line {self.getpos()[0]}: </{tag}> closes <{top[0]}> of line {top[1]}")
            return
        self.stack.pop()

    def handle_data(self, data):
        if self.in_style:
            if "@import" in data:
                self.problems.append("CSS @import")
            for u in re.findall(r"url\(\s*['\"]?([^)'\"]*)", data):
                if not u.startswith("#"):
                    self.problems.append(f"CSS url({u})")


def main():
    text = open(sys.argv[1], encoding="utf-8").read()
    c = Check()
    c.feed(text)
    c.close()
    if not text.startswith("<!DOCTYPE html>"):
        c.problems.append("no <!DOCTYPE html> first")
    for tag, line in c.stack:
        c.problems.append(f"<{tag}> of line {line} never closed")
    for p in c.problems:
        print(p)
    return 1 if c.problems else 0


sys.exit(main())
