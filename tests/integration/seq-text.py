#!/usr/bin/env python3
# seq-text.py FILE SCENARIO: the texts of SCENARIO's sequence diagram in an
# HTML report as a browser serialized it (chromium --dump-dom): one line per
# <text> element inside the <svg class="seq"> of the <section> whose <h2>
# names SCENARIO (the <h2>'s text after its status badge), entities decoded.
# Prints nothing and exits 1 when there is no such section or diagram.
import sys
from html.parser import HTMLParser


class Seq(HTMLParser):
    def __init__(self, name):
        super().__init__(convert_charrefs=True)
        self.name = name
        self.section = 0      # depth of <section> elements we are in
        self.h2 = None        # text of the current section's <h2>, while in it
        self.span = 0
        self.mine = False     # the current section is SCENARIO's
        self.svg = 0          # depth inside SCENARIO's <svg class="seq">
        self.text = None
        self.found = False
        self.texts = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self.section += 1
            if self.section == 1:
                self.mine = False
        elif tag == "h2" and self.section == 1 and not self.mine:
            self.h2 = ""
        elif tag == "span" and self.h2 is not None:
            self.span += 1
        elif tag == "svg" and self.mine and (self.svg or "seq" in (a.get("class") or "").split()):
            self.svg += 1
            self.found = True
        elif tag == "text" and self.svg:
            self.text = ""

    def handle_endtag(self, tag):
        if tag == "section" and self.section:
            self.section -= 1
        elif tag == "h2" and self.h2 is not None:
            self.mine = self.h2.strip() == self.name
            self.h2 = None
        elif tag == "span" and self.span:
            self.span -= 1
        elif tag == "svg" and self.svg:
            self.svg -= 1
        elif tag == "text" and self.text is not None:
            self.texts.append(self.text)
            self.text = None

    def handle_data(self, data):
        if self.h2 is not None and not self.span:
            self.h2 += data
        if self.text is not None:
            self.text += data


def main():
    p = Seq(sys.argv[2])
    p.feed(open(sys.argv[1], encoding="utf-8").read())
    p.close()
    for t in p.texts:
        print(t)
    return 0 if p.found else 1


sys.exit(main())
