"""How the policy pack's cost grows with the number of resources in a stack.

Builds stacks of N internal-NLB topologies (LB, target group, listener, attachment each), sends
them to the real pack over gRPC (AnalyzeStack, as the engine does) and prints the time per
resource relative to the smallest stack, measured in this same run. Linear cost keeps the ratio
near 1.0; a quadratic scan would grow it with N.

    .venv/bin/python -m bench.policy_scaling      (or: make bench)
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import pulumi_aws as aws

from offline.analyzer import policy_gate
from offline.recorder import Graph, PreviewMocks, record

ROOT = Path(__file__).resolve().parent.parent
SIZES = (25, 100, 400)
REPEAT = 3


def topology(count: int) -> Graph:
    def program() -> None:
        for i in range(count):
            lb = aws.lb.LoadBalancer(
                f"api-{i}", load_balancer_type="network", internal=True, subnets=["subnet-0a1b2c3d"]
            )
            tg = aws.lb.TargetGroup(f"api-{i}", port=6443, protocol="TCP", target_type="ip")
            aws.lb.Listener(
                f"api-{i}",
                load_balancer_arn=lb.arn,
                port=6443,
                protocol="TCP",
                default_actions=[{"type": "forward", "target_group_arn": tg.arn}],
            )
            aws.lb.TargetGroupAttachment(f"api-{i}", target_group_arn=tg.arn, target_id="10.0.0.1")

    return record(program, project="bench", stack="bench", config={}, mocks=PreviewMocks())


def main() -> int:
    graphs = {n: topology(n) for n in SIZES}
    with policy_gate(ROOT / "policies") as gate:
        gate.analyze(graphs[SIZES[0]])  # warm-up
        per_resource: dict[int, float] = {}
        for n, graph in graphs.items():
            runs = []
            for _ in range(REPEAT):
                start = time.perf_counter()
                gate.analyze(graph)
                runs.append(time.perf_counter() - start)
            per_resource[n] = statistics.median(runs) / len(graph.resources)
    base = per_resource[SIZES[0]]
    baseline = f"ratio vs {SIZES[0]}"
    print(f"{'topologies':>10}  {'resources':>9}  {'ms/resource':>11}  {baseline:>12}")
    for n in SIZES:
        print(
            f"{n:>10}  {len(graphs[n].resources):>9}  {per_resource[n] * 1000:>11.3f}  "
            f"{per_resource[n] / base:>12.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
