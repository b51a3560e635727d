"""Writes provider/schema.json, the `kurl` package schema as the provider serves it (`make schema`).

The snapshot is for reading: a change to components/args/ or to a component's outputs shows
up as a diff of this file in the pull request. tests/test_package_schema.py starts the provider
as the engine does, asks it for its schema over gRPC and fails when this file differs.

Run from the repository root: `python -m provider.schema_snapshot` (the name is not `schema`, so
that it shadows no module when the plugin runs with this directory first on sys.path).
"""

import json
from pathlib import Path

from pulumi.provider.experimental.component import ComponentProvider

from provider.__main__ import COMPONENTS, PACKAGE

SNAPSHOT = Path(__file__).resolve().parent / "schema.json"


def render(schema: str) -> str:
    """The snapshot's text for a schema as GetSchema returns it: pretty, keys sorted."""
    return json.dumps(json.loads(schema), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def inferred_schema() -> str:
    """The schema the component provider host infers, as its GetSchema returns it."""
    schema = ComponentProvider(COMPONENTS, PACKAGE).schema
    assert schema is not None
    return schema


def main() -> None:
    SNAPSHOT.write_text(render(inferred_schema()), encoding="utf-8")
    print(f"wrote {SNAPSHOT}")


if __name__ == "__main__":
    main()
