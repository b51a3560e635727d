"""Discovery: the normalised views of everything that fronts the Kubernetes API in a stack.

One view per API front end and cloud (see view_aws, view_azure, view_gcp): the load balancer, its
listeners or rules with both ports, backends, health checks and registrations, with provider
field names and defaults reconciled. Policies are pure rules over these views.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pulumi_policy import ReportViolation, StackValidationArgs

from .graph import StackIndex
from .props import api_ports
from .verdict import Reporter
from .view_aws import AwsFront, AwsOrphans, ElbFront, aws_fronts, elb_fronts
from .view_azure import AzureFront, AzureUnlinked, azure_fronts
from .view_gcp import GcpFront, GcpOrphan, gcp_fronts


@dataclass
class Views:
    aws: list[AwsFront]
    elb: list[ElbFront]
    azure: list[AzureFront]
    gcp: list[GcpFront]
    index: StackIndex
    ports: set[int]
    aws_orphans: AwsOrphans
    azure_ruleless: list[AzureFront]  # load balancers with no rule at all at preview
    azure_unlinked: list[AzureUnlinked]  # separate rules and probes whose LB is unknown
    gcp_orphans: list[GcpOrphan]  # backends no forwarding rule reaches at preview

    @property
    def any_api(self) -> bool:
        """Whether some front end serves, or may serve, the API."""
        return bool(self.aws or self.elb or self.azure or self.gcp)


def discover(args: StackValidationArgs) -> Views:
    index = StackIndex(args.resources)
    ports = api_ports(args)
    aws, aws_orphans = aws_fronts(index, ports)
    azure, azure_ruleless, azure_unlinked = azure_fronts(index, ports)
    gcp, gcp_orphans = gcp_fronts(index, ports)
    return Views(
        aws=aws,
        elb=elb_fronts(index, ports),
        azure=azure,
        gcp=gcp,
        index=index,
        ports=ports,
        aws_orphans=aws_orphans,
        azure_ruleless=azure_ruleless,
        azure_unlinked=azure_unlinked,
        gcp_orphans=gcp_orphans,
    )


Check = Callable[[Views, Reporter], None]


def stack_validator(check: Check) -> Callable[[StackValidationArgs, ReportViolation], None]:
    """A StackValidationPolicy's validate: discover the views once, then run the pure rule."""

    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        check(discover(args), Reporter(report))

    return validate
