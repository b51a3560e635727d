"""Generates docs/config.md from the Args declarations and the stack table, so the reference
cannot drift from them.

.venv/bin/python -m components.config_reference > docs/config.md   (or: make docs)
"""

from __future__ import annotations

import json
import typing

from pydantic.alias_generators import to_camel

from .args import DECLARATIONS
from .declare import REQUIRED, Declaration, Spec, form_of, record_specs
from .problems import in_words
from .scalars import AWS_NAME_LIMIT, NAME_MAX, PULUMI_SUFFIX, ResourcePrefix, Scalar
from .stack import DEFAULT_NAME, NAMESPACE, STACK_TABLE


def _default(spec: Spec) -> str:
    if spec.opt.default is REQUIRED:
        return "**required**" if spec.required else "—"
    if spec.record is not None:
        return "see below"
    return f"`{json.dumps(spec.opt.default)}`"


def _row(spec: Spec, decl: Declaration) -> str:
    words = STACK_TABLE.words(decl.cloud)
    form = in_words(form_of(spec), words).replace("|", "\\|") or "string"
    doc = in_words(spec.doc, words).replace("|", "\\|")
    return f"| `{spec.key}` | {form} | {_default(spec)} | {doc} |"


HEADER = ["| key | allowed form | default | meaning |", "|---|---|---|---|"]


def _rules() -> list[str]:
    """Every declaration's rules: those every cloud has once, then each cloud's own."""
    decls = list(DECLARATIONS.values())
    shared = [r for r in decls[0].rules if all(r in d.rules for d in decls)]
    out = ["### Every cloud", "", *(f"- {r.description}" for r in shared)]
    for d in decls:
        out += ["", f"### {d.title}", ""]
        out += [f"- {r.description}" for r in d.rules if r not in shared]
    return out


# Records shown with their own tables above (health check, primaries).
_TABULATED = frozenset({"health_check", "primaries"})


def _records() -> list[str]:
    """The fields of every other record a stack key holds (`extraPorts[]`, `dnsRecord`,
    `addressMove`, `publicFrontEnd`), per cloud, at the stack key users write."""
    out = ["## Records (`extraPorts[]`, `dnsRecord`, `addressMove`, `publicFrontEnd`)", ""]
    out.append(
        "The fields of each structured key, by its stack key. A record inside a record "
        "(`addressMove.dnsRecord`) takes the fields of the top-level one of that name."
    )
    out.append("")
    for d in DECLARATIONS.values():
        top = {to_camel(f) for f in STACK_TABLE.top_level}
        for spec in d.specs.values():
            if spec.record is None or spec.name in _TABULATED:
                continue
            where = spec.key if spec.key in top else f"{d.cloud}.{spec.key}"
            where += "[]" if spec.is_list else ""
            out += [f"### {d.title}: `{where}`", "", *HEADER]
            out += [_row(s, d) for s in record_specs(spec).values()]
            out.append("")
    return out


# What the health check modes, extra ports and the public front end mean for kURL, from kURL's,
# troubleshoot's and Kubernetes' source (docs/research/api-address.md sections 2-4).
EXTRA_PROSE = [
    "## Health check modes (`healthCheck.protocol`)",
    "",
    "- `tcp` (default): a TCP connect to the API port on each primary. kURL's first-primary "
    "load balancer preflight (troubleshoot's `tcpLoadBalancer` collector) listens on 6443 "
    "itself with a raw TCP listener and dials `load-balancer-address` for up to 3 minutes; a "
    "TCP check passes against that listener, so the preflight sees the LB hairpin back.",
    "- `https`: `GET /readyz` on the API port over TLS (the certificate is not verified), "
    "healthy on HTTP 200 only. A primary whose API server is up but not ready (etcd not "
    "joined, still starting) gets no new connections. During the first-primary preflight "
    "nothing answers HTTPS, so every target is unhealthy: AWS (a target group whose every "
    "target is unhealthy routes to all of them) and GCP (a passthrough LB with no healthy "
    "backend distributes to all) still carry the preflight's connection; Azure's default "
    "`noHealthyBackendsBehavior` (`AllProbedDown`) would not, see docs/azure.md for what "
    "kurl-lb sets there. The preflight only warns when it fails.",
    "- `/readyz` answers without credentials only while the API server admits anonymous "
    "requests to health paths: `--anonymous-auth` is true by default and kURL does not change "
    "it, and the default ClusterRoleBinding `system:public-info-viewer` grants "
    "`system:unauthenticated` `get` on `/readyz`, `/livez`, `/healthz` and `/version`. When "
    "either is off, the check gets 401 or 403, every primary is unhealthy, and the LB falls "
    "back as above (AWS, GCP: to all targets) instead of following readiness: use `tcp` then. "
    "To check a kURL cluster: `curl -sk https://<primary IP>:6443/readyz` prints `ok`; "
    "`kubectl get clusterrolebinding system:public-info-viewer -o yaml` lists "
    "`system:unauthenticated`; `sudo grep -E -- '--anonymous-auth|--authentication-config' "
    "/etc/kubernetes/manifests/kube-apiserver.yaml` shows nothing, or `true`. With an "
    "`AuthenticationConfiguration` (Kubernetes 1.32+), `anonymous.conditions` must list "
    "`/readyz`.",
    "- The policy pack refuses plain HTTP health checks and Layer-7 load balancing in front of "
    "the API; an HTTPS `/readyz` check on the API port passes it.",
    "",
    "## Extra ports (`extraPorts`)",
    "",
    "Each extra port is served on every front end (the current one, an address move's, the "
    "public one) and forwarded to the same registered primaries: kotsadm's NodePort 8800, or "
    "a second port for the API (`{name: api443, port: 443, targetPort: 6443}`). Each port has "
    "its own listener, rule or forwarding rule, and a health check of its target port (TCP, "
    "or the API's check, protocol included, when the target port is the API port); network "
    "rules admit the same clients and hairpin sources as the API port. Adding a port creates "
    "its resources and replaces none; the stack outputs `extraPortAddresses` (name -> "
    "`host:port` on the front end nodes use). What each cloud builds, and what it refuses "
    "(GCP forwards without translating ports; Azure's rules and backend ports), is in "
    "docs/aws.md, docs/azure.md and docs/gcp.md. On AWS registering a primary creates one "
    "target group attachment per front end and port; on Azure and GCP one registration "
    "serves every port.",
    "",
    "## Internal and public front ends (`<cloud>.publicFrontEnd`, AWS and GCP)",
    "",
    "With `scheme: internal`, `publicFrontEnd` adds an internet-facing front end on the same "
    "primaries: nodes use the internal one (kURL's `load-balancer-address`), admins and CI the "
    "public one (`publicLoadBalancerAddress`). kURL has no certificate SAN list; its one second "
    "name is `public-address` (Installer `spec.kurl.publicAddress`), which kURL writes into the "
    "API server's `certSANs` beside `load-balancer-address` (research in "
    "docs/research/public-address.md). `kurlInstaller` and `kurlInstallFlags` therefore carry "
    "the public front end's host as `publicAddress` / `public-address=`: its `dnsRecord` name, "
    "else its IP (GCP) or the NLB's DNS name (AWS). What kURL does with it:",
    "- It is not stored: every `install.sh` run on a primary rebuilds that primary's "
    "certificate from that run's value. Keep it in the Installer spec (`kurlInstaller`), or "
    "give the flag on every primary's install run; joins take the SANs from the cluster's "
    "kubeadm-config, EKCO's certificate rotation keeps them.",
    "- kURL releases before PR #5463 (November 2024) replace it with the VM's own public IP "
    "when the VM has one (cloud metadata): use a newer kURL, or primaries without public IPs.",
    "- kURL's kotsadm and registry (`publishPort`) add-ons put it into an OpenSSL `IP.n` "
    "entry, which fails on a DNS name: with those add-ons use an IP (GCP: a public front end "
    "without `dnsRecord`), or create the `kotsadm-tls` secret before installing.",
    "- One name only: with a `dnsRecord`, admins use that name (the certificate does not hold "
    "the IP or the NLB's own name).",
    "",
    "Azure has no "
    "internal/public pair: an internal Azure load balancer does not hairpin (docs/azure.md).",
    "",
]


def render() -> str:
    scalar = next(m for m in typing.get_args(ResourcePrefix) if isinstance(m, Scalar))
    name_form = scalar.form.replace("|", "\\|")
    out = [
        "# Stack config reference",
        "",
        "<!-- Generated by `make docs` (python -m components.config_reference) from the",
        "     components' Args (components/args/) and the stack table (components/stack.py);",
        "     tests/test_docs.py fails when this file is stale. -->",
        "",
        f"Every key lives in the `{NAMESPACE}` namespace (`{NAMESPACE}:primaries`), next to the "
        "provider settings (`aws:region`, `azure-native:location`, `gcp:project`, `gcp:region`).",
        "Each key is an argument of the stack's component (docs/components.md): the top-level "
        "keys by their own name, the cloud's section (`kurl-lb:aws.vpcId`) by the key's name, "
        "the provider settings as listed below; the component checks them once, and the stack "
        "reports each problem by its stack key.",
        "Set structured values with `pulumi config set --path`, e.g. "
        f"`pulumi config set --path '{NAMESPACE}:primaries[1].registered' true`.",
        "Unknown keys, and keys another cloud uses, are rejected. An invalid config stops the "
        "program before any resource is registered, with one message naming every bad key path "
        f"(`{NAMESPACE}:primaries[1].address`), its value and the allowed form. Messages show "
        "control characters of keys and values escaped (`\\x00`, `\\x85`, `\\u2028`), and cut "
        "long values.",
        "",
        "Integers are JSON integers or ASCII digits (`1e3`, `6443.0` and `true` are refused). "
        "A value nesting deeper than 16 levels or holding more than 10000 items is refused. "
        "Everything the clouds refuse at `pulumi up` is refused here first (see *Rules across "
        "keys*): tags and labels, names derived from `name` and zones, target addresses, "
        "duplicates after normalising, port and health-check ranges.",
        "",
        "A key stored as a secret (`pulumi config set --secret`, also with `--path`) stays "
        "secret: every value read from it reaches resource inputs and stack outputs as a "
        "secret. Resource names (URNs) are never secret: they hold `name`, primary names, "
        "zones, subnet IDs and client CIDRs. A secret the offline preview cannot decrypt is "
        "an unknown value there, like an output: checks that need it wait, and a mandatory "
        "policy that needs it says it cannot verify the stack (exit 3).",
        "",
        "Values are read as the Pulumi CLI reads the stack file: a number or boolean where a "
        "string is expected (what `pulumi config set --path 'kurl-lb:tags.costcenter' 1234` "
        "writes) is taken as that string, and an unquoted date such as `2025-12-31` reaches the "
        "program as the CLI passes it, `2025-12-31 00:00:00 +0000 UTC`: quote dates to keep them "
        "as written.",
        "The program (and this validation) runs on Python 3.11: `make venv` installs "
        "`requirements.lock`, whose wheels are for CPython 3.11 on linux x86_64, and `pulumi up` "
        "uses that `.venv`; on another Python, install `requirements.txt`'s ranges yourself.",
        "",
        "## Top-level keys",
        "",
        *HEADER,
        "| `cloud` | aws, azure or gcp | **required** | Which component the stack builds. |",
        f"| `name` | {name_form} | `{json.dumps(DEFAULT_NAME)}` | Prefix of "
        "every resource name (the component's name). |",
        "",
        f"The `name` prefix is at most {NAME_MAX} characters so that every AWS LB and target "
        f"group name stays within {AWS_NAME_LIMIT} characters, Pulumi's {PULUMI_SUFFIX}-character "
        "random suffix included.",
        "",
    ]
    for d in DECLARATIONS.values():
        out += [f"### {d.title} (`cloud: {d.cloud}`)", "", *HEADER]
        out += [
            _row(spec, d)
            for name in STACK_TABLE.top_level
            if (spec := d.specs.get(name)) is not None
        ]
        out += [f"| `{d.cloud}` | object | **required** | see *{d.title} settings* |", ""]
    out += ["## Health check (`healthCheck`)", ""]
    for d in DECLARATIONS.values():
        out += [f"### {d.title}", "", *HEADER]
        out += [_row(s, d) for s in record_specs(d.specs["health_check"]).values()]
        out.append("")
    out += ["## Primaries (`primaries[]`)", ""]
    for d in DECLARATIONS.values():
        out += [f"### {d.title}", "", *HEADER]
        out += [_row(s, d) for s in record_specs(d.specs["primaries"]).values()]
        out.append("")
    for d in DECLARATIONS.values():
        out += [f"## {d.title} settings (`{d.cloud}`)", "", *HEADER]
        out += [_row(s, d) for s in STACK_TABLE.section(d.cloud).values()]
        out.append("")
    out += _records()
    out += EXTRA_PROSE
    out += ["## Provider settings the components read", "", "| setting | argument | meaning |"]
    out += ["|---|---|---|"]
    for d in DECLARATIONS.values():
        for arg, (key, _) in STACK_TABLE.provider[d.cloud].items():
            doc = in_words(d.specs[arg].doc, STACK_TABLE.words(d.cloud))
            out.append(f"| `{key}` | `{d.specs[arg].key}` | {doc} |")
    out += ["", "## Rules across keys", "", *_rules(), ""]
    return "\n".join(out)


if __name__ == "__main__":
    print(render(), end="")
