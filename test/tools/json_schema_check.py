#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Validate JSON documents against mpnorm's schemas (doc/schema/).

    json_schema_check.py SCHEMA.json DOC.json...

Exit 0 if every document is valid, 1 with the first error of each that is
not. The schemas reference doc/schema/defs.json relatively; references are
resolved from the schema's own directory, never fetched.
"""
import json
import pathlib
import sys
import warnings

import jsonschema

# Debian 12 ships jsonschema 4.10; RefResolver is deprecated (not gone) in later ones.
warnings.simplefilter("ignore", DeprecationWarning)


def validator(schema_path):
    path = pathlib.Path(schema_path).resolve()
    schema = json.loads(path.read_text())
    resolver = jsonschema.RefResolver(base_uri=path.as_uri(), referrer=schema)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, resolver=resolver)


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    v = validator(sys.argv[1])
    bad = 0
    for doc_path in sys.argv[2:]:
        try:
            doc = json.loads(pathlib.Path(doc_path).read_text())
        except (OSError, ValueError) as e:
            print(f"{doc_path}: not JSON: {e}")
            bad += 1
            continue
        errors = sorted(v.iter_errors(doc), key=lambda e: list(e.path))
        if errors:
            e = errors[0]
            where = "/".join(str(p) for p in e.path) or "(top)"
            print(f"{doc_path}: {where}: {e.message}")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
