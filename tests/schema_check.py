#!/usr/bin/env python3
"""schema_check.py SCHEMA FILE... - validates YAML files against the JSON
Schema that `concsim schema` prints (draft 2020-12, python3-jsonschema):
one line per file, "valid FILE" or "invalid FILE: REASON". Exits 2 when
the schema itself is not a valid draft 2020-12 schema, 0 otherwise."""
import json
import sys

import jsonschema
import yaml


def main():
    with open(sys.argv[1]) as f:
        schema = json.load(f)
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as e:
        print("schema error:", e.message)
        return 2
    v = jsonschema.Draft202012Validator(schema)
    for path in sys.argv[2:]:
        try:
            with open(path, encoding="utf-8") as f:
                doc = yaml.safe_load(f)
        except (yaml.YAMLError, UnicodeDecodeError) as e:
            print("invalid %s: not YAML: %s" % (path, str(e).split("\n")[0]))
            continue
        err = jsonschema.exceptions.best_match(v.iter_errors(doc))
        if err is None:
            print("valid %s" % path)
        else:
            where = "/".join(str(p) for p in err.absolute_path)
            print("invalid %s: %s: %s" % (path, where, err.message[:200]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
