"""Benchmark of the bridge against direct LDAP, slapd's C tools and scim2-server.

One command runs every measurement and prints a table (see
``docs/benchmarks.md`` for the figures and what each row means)::

    .venv/bin/python -m bench.run --users 10000 --concurrency 8 \\
        --out bench/results/latest.json

``--quick`` is a smoke run of about two minutes. Nothing here is part of the
test suite: the figures depend on the machine, so they pass or fail no CI.
"""
