"""Shows a recorded graph the way `pulumi preview` does, or as the JSON document `--json` prints
(its shape: docs/architecture.md, "The preview as JSON")."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .address import ADDRESS_PROCEDURE, EXIT_ADDRESS_CHANGE, FLAG, AddressGate, forced_by
from .analyzer import Diagnostic, PolicyResult
from .diff import ACTIONS, REPLACE, UPDATE, Change, summary
from .escape import one_line
from .graph import UNKNOWN, Graph, RecordedResource

if TYPE_CHECKING:
    from .engine import Unverifiable

UNKNOWN_TEXT = "[unknown]"


def display_type(token: str) -> str:
    """`aws:lb/loadBalancer:LoadBalancer` -> `aws:lb:LoadBalancer`, as the Pulumi CLI shows it
    (on one line: a type is the program's text)."""
    parts = token.split(":")
    if len(parts) == 3 and "/" in parts[1]:
        module, leaf = parts[1].rsplit("/", 1)
        if leaf.lower() == parts[2].lower():
            parts[1] = module
    return one_line(":".join(parts))


def format_value(value: Any) -> str:
    shown = _display(value)
    if isinstance(shown, str) and shown is not value:
        return shown  # a marker: [unknown] or [secret], printed bare
    # Non-ASCII shown as written (a tag "Zoë" is not "Zo\u00eb"), as `pulumi preview` shows it.
    return json.dumps(shown, separators=(", ", ": "), sort_keys=True, ensure_ascii=False)


def _display(value: Any) -> Any:
    if value == UNKNOWN:
        return UNKNOWN_TEXT
    if isinstance(value, dict):
        if set(value) == {"secret"}:
            return "[secret]"
        return {k: _display(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_display(v) for v in value]
    return value


def _notes(graph: Graph, warnings: Iterable[str]) -> list[str]:
    """The program's warnings (pulumi.log, sorted: they come as its async work settles) and the
    reader's (secrets, ESC), in that order."""
    return sorted(f"{sev}: {msg}" for sev, msg in graph.diagnostics) + list(warnings)


def _unverifiable_block(unverifiable: Iterable[Unverifiable]) -> list[str]:
    items = sorted(unverifiable, key=lambda u: (u.urn, u.type, u.name))
    if not items:
        return []
    return [
        "",
        "Cannot verify at preview (the gate cannot see into these registrations; exit 3):",
        *(f"    {one_line(u.describe())}" for u in items),
    ]


def _notes_block(graph: Graph, warnings: Iterable[str]) -> list[str]:
    notes = _notes(graph, warnings)
    return ["", "Diagnostics:", *(f"    {n}" for n in notes)] if notes else []


def _children(graph: Graph) -> dict[str, list[RecordedResource]]:
    """Each parent's children in one stable order (by URN), not the order the program's async
    work happened to settle in."""
    tree: dict[str, list[RecordedResource]] = {}
    for r in sorted(graph.resources, key=lambda r: r.urn):
        tree.setdefault(r.parent, []).append(r)
    return tree


def _tree_rows(graph: Graph) -> list[tuple[str, str, str]]:
    tree = _children(graph)
    rows: list[tuple[str, str, str]] = []

    def walk(resource: RecordedResource, prefix: str, last: bool, depth: int) -> None:
        branch = "" if depth == 0 else prefix + ("└─ " if last else "├─ ")
        rows.append((branch + display_type(resource.type), one_line(resource.name), "create"))
        kids = tree.get(resource.urn, [])
        child_prefix = "" if depth == 0 else prefix + ("   " if last else "│  ")
        for i, kid in enumerate(kids):
            walk(kid, child_prefix, i == len(kids) - 1, depth + 1)

    for root in tree.get("", []):
        walk(root, "", True, 0)
    return rows


def _table(rows: Iterable[tuple[str, ...]], indent: str) -> list[str]:
    rows = list(rows)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        indent + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)).rstrip()
        for row in rows
    ]


def render_policy(graph: Graph, result: PolicyResult) -> list[str]:
    """Policy verdicts as `pulumi preview` lists them: level, policy, resource, message."""
    names = {r.urn: f"{display_type(r.type)}: {one_line(r.name)}" for r in graph.resources}
    unverified = result.unverified
    counts = {
        level: sum(d.level == level and d not in unverified for d in result.diagnostics)
        for level in ("mandatory", "advisory")
    }
    head = f"Policies ({result.pack}@v{result.version}, {len(result.policies)} policies):"
    if not result.diagnostics:
        return [head, "    no violations"]
    out = [
        head + f" {counts['mandatory']} mandatory, {len(unverified)} unverified at preview, "
        f"{counts['advisory']} advisory"
    ]

    def label(d: Diagnostic) -> str:
        return "unverified" if d in unverified else d.level

    order = {"mandatory": 0, "unverified": 1, "advisory": 2}
    for d in sorted(result.diagnostics, key=lambda d: (order.get(label(d), 3), d.policy, d.urn)):
        where = names.get(d.urn, one_line(d.urn) or "the stack")
        out.append(f"    [{label(d)}]  {one_line(d.policy)}  ({where})")
        out += [f"        {line}" for line in d.message.splitlines()]
    return out


def render_text(
    graph: Graph,
    warnings: Iterable[str] = (),
    policy: PolicyResult | None = None,
    unverifiable: Iterable[Unverifiable] = (),
) -> str:
    out: list[str] = [
        f"Previewing update ({graph.stack}) offline: the gate's own engine, no cloud account",
        "",
    ]
    rows = [("Type", "Name", "Plan"), *_tree_rows(graph)]
    lines = _table(rows, "")
    out.append("     " + lines[0])
    out += [" +   " + line for line in lines[1:]]

    out += _notes_block(graph, warnings)

    out += _unverifiable_block(unverifiable)

    out += ["", "Resource settings:"]
    for r in sorted(graph.custom, key=lambda r: r.urn):
        out.append(f"  + {display_type(r.type)} ({one_line(r.name)})")
        settings = [(one_line(k), ": " + format_value(v)) for k, v in sorted(r.inputs.items())]
        if settings:
            out += _table(settings, "        ")

    if graph.invokes:
        out += ["", "Lookups `pulumi preview` makes in your account:"]
        out += [
            f"    {one_line(i.token)} {format_value(i.args)}  "
            + ("(answered by --invokes)" if i.answered else "[unknown offline]")
            for i in sorted(graph.invokes, key=lambda i: (i.token, format_value(i.args)))
        ]

    if graph.outputs:
        out += ["", "Outputs:"]
        out += _table(
            [(one_line(k), ": " + format_value(v)) for k, v in sorted(graph.outputs.items())],
            "    ",
        )
    if policy is not None:
        out += ["", *render_policy(graph, policy)]
    out += ["", "Resources:", f"    + {len(graph.resources)} to create", ""]
    return "\n".join(out)


def render_json(
    graph: Graph,
    *,
    policy: PolicyResult | None = None,
    warnings: Iterable[str] = (),
    changes: list[Change] | None = None,
    against: str | None = None,
    gate: AddressGate | None = None,
    unverifiable: Iterable[Unverifiable] = (),
) -> str:
    # Byte-identical for one stack: resources, lookups, verdicts and dependency lists come in
    # the order the program's async work settled; they are sorted, and so are object keys.
    policy_json = policy.to_json() if policy else {"pack": None, "diagnostics": []}
    policy_json["diagnostics"] = sorted(
        policy_json["diagnostics"], key=lambda d: json.dumps(d, sort_keys=True)
    )
    document: dict[str, Any] = {
        "project": graph.project,
        "stack": graph.stack,
        "resources": sorted((_stable(r.to_json()) for r in graph.resources), key=_by_urn),
        "outputs": graph.outputs,
        "policy": policy_json,
        "lookups": sorted(
            ({"token": i.token, "args": i.args, "answered": i.answered} for i in graph.invokes),
            key=lambda i: json.dumps(i, sort_keys=True),
        ),
        "warnings": _notes(graph, warnings),
        # Registrations the gate cannot see into (remote components, dynamic providers): exit 3.
        "unverifiable": sorted(
            ({"urn": u.urn, "type": u.type, "name": u.name, "reason": u.why} for u in unverifiable),
            key=lambda u: json.dumps(u, sort_keys=True),
        ),
    }
    if changes is not None:
        document["diff"] = {
            "against": against,
            "changes": [c.to_json() for c in changes],
            "summary": summary(changes),
        }
        if gate is not None:
            document["diff"]["apiAddress"] = gate.to_json()
    return json.dumps(document, indent=2, sort_keys=True)


def _stable(resource: dict[str, Any]) -> dict[str, Any]:
    resource["dependencies"] = sorted(resource["dependencies"])
    resource["propertyDependencies"] = {
        k: sorted(v) for k, v in resource["propertyDependencies"].items()
    }
    return resource


def _by_urn(resource: dict[str, Any]) -> str:
    return str(resource["urn"])


def plan_word(change: Change) -> str:
    """The Plan column: an update says whether the provider changes the resource in place."""
    if change.op == UPDATE:
        return "update in place" if change.checked else "update (replacement not checked)"
    return change.action


def changed_inputs(change: Change) -> str:
    text = ", ".join(change.properties)
    if change.op == REPLACE:
        text += f"  [forces replacement: {forced_by(change)}]"
    return text


def render_address_gate(gate: AddressGate) -> list[str]:
    out = ["API address (loadBalancerAddress):"]
    out += [f"    {c.message(display_type(c.type))}" for c in gate.changes]
    out += [f"    note: {n}" for n in gate.notes]
    if not gate.changes:
        return out
    if gate.allowed:
        out.append(f"    Allowed by {FLAG}: a planned move ({ADDRESS_PROCEDURE}).")
    else:
        out += [
            f"    Blocked (exit {EXIT_ADDRESS_CHANGE}). Follow {ADDRESS_PROCEDURE},",
            f"    then run again with {FLAG} (make preview ... ALLOW_ADDRESS_CHANGE=1).",
        ]
    return out


def render_diff_text(
    graph: Graph,
    changes: list[Change],
    against: str,
    warnings: Iterable[str] = (),
    policy: PolicyResult | None = None,
    gate: AddressGate | None = None,
    unverifiable: Iterable[Unverifiable] = (),
) -> str:
    """Like `pulumi preview --diff`: what changes against a revision, then the verdicts."""
    out = [
        f"Previewing update ({graph.stack}) against {against} offline: the gate's own engine",
        "",
    ]
    if changes:
        rows = [("Type", "Name", "Plan", "Changed inputs")]
        rows += [
            (display_type(c.type), one_line(c.name), plan_word(c), one_line(changed_inputs(c)))
            for c in changes
        ]
        lines = _table(rows, "")
        out.append("     " + lines[0])
        out += [f" {c.op:<3} {line}" for c, line in zip(changes, lines[1:], strict=True)]
    else:
        out.append("    no changes")
    if gate is not None and (gate.changes or gate.notes):
        out += ["", *render_address_gate(gate)]
    out += _notes_block(graph, warnings)
    out += _unverifiable_block(unverifiable)
    if policy is not None:
        out += ["", *render_policy(graph, policy)]
    counts = summary(changes)
    unchanged = len(graph.resources) - counts["create"] - counts["update"] - counts["replace"]
    out += ["", "Resources:"]
    out += [f"    {op:<2}{counts[word]} to {word}" for op, word in ACTIONS.items() if counts[word]]
    out += [f"    {unchanged} unchanged", ""]
    return "\n".join(out)
