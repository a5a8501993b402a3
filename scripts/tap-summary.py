#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Count test results in kselftest runner TAP output.

Each test case counts once: the harness's own cases (the runner shows them
nested, as "# ok N ..."), and a top-level result of its own for a program
that failed without a failing case (crash, timeout, missing binary) or
that reported no cases at all.  XFAIL counts as skipped, XPASS as failed.
Prints "passed failed skipped".
"""
import re
import sys

NESTED = re.compile(r'^# (not ok|ok) \d+ ')
TOP = re.compile(r'^(not ok|ok)( \d+)? ')


def count(lines):
    passed = failed = skipped = 0
    cases = {'ok': 0, 'not ok': 0}
    for line in lines:
        m = NESTED.match(line)
        if m:
            # An expected failure is not a pass; an unexpected pass means
            # an XFAIL mark is stale, which must fail until it is removed.
            if '# XPASS' in line:
                failed += 1
            elif '# SKIP' in line or '# XFAIL' in line:
                skipped += 1
            elif m.group(1) == 'ok':
                passed += 1
            else:
                failed += 1
            cases[m.group(1)] += 1
            continue
        m = TOP.match(line)
        if not m:
            continue
        if m.group(1) == 'not ok' and cases['not ok'] == 0:
            failed += 1
        elif cases['ok'] + cases['not ok'] == 0:
            if '# SKIP' in line:
                skipped += 1
            elif m.group(1) == 'ok':
                passed += 1
        cases = {'ok': 0, 'not ok': 0}
    return passed, failed, skipped


if __name__ == '__main__':
    print(*count(sys.stdin))
