#!/usr/bin/env python3
"""tlsrpt-check.py SCHEMA REPORT: validate an RFC 8460 report (JSON) against
the checked-in JSON Schema (docs/tlsrpt.schema.json), then print its counts,
one "TYPE=N" a line, sorted: the failed sessions per result type over every
policy, and "successful=N", "failed=N" (the summaries' totals). Exit 0,
or 1 with the schema's complaint (or a summary that disagrees with its
failure details) on stderr."""
import collections
import json
import sys

import jsonschema


def main():
    with open(sys.argv[1]) as f:
        schema = json.load(f)
    with open(sys.argv[2]) as f:
        report = json.load(f)
    try:
        jsonschema.validate(report, schema,
                            format_checker=jsonschema.FormatChecker())
    except jsonschema.ValidationError as e:
        print("not schema-valid: %s at %s" % (e.message, list(e.absolute_path)),
              file=sys.stderr)
        return 1
    counts = collections.Counter()
    ok = failed = 0
    for p in report["policies"]:
        ok += p["summary"]["total-successful-session-count"]
        n = p["summary"]["total-failure-session-count"]
        failed += n
        details = 0
        for d in p.get("failure-details", []):
            counts[d["result-type"]] += d["failed-session-count"]
            details += d["failed-session-count"]
        if details != n:
            print("policy %s: total-failure-session-count %d, failure-details %d"
                  % (p["policy"]["policy-type"], n, details), file=sys.stderr)
            return 1
    for t in sorted(counts):
        print("%s=%d" % (t, counts[t]))
    print("successful=%d" % ok)
    print("failed=%d" % failed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
