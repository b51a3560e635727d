"""The NLB built inside a component package's Construct (remote=True): the engine would hand it
to the package's provider, whose registrations the gate cannot see. Exit 3, naming it."""

import pulumi
from bad_nlb import compliant


class PackagedNlb(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        props = {"internal": True, "targetType": "instance", "address": None}
        super().__init__("evilpkg:index:InternalNlb", name, props, opts, remote=True)


compliant()
PackagedNlb("api")
