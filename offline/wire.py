"""The Pulumi wire format's marker values, as the engine defines them (pulumi/sdk
go/common/resource/sig and plugin/rpc.go): the gate reads what the program sends with these
alone, never through an SDK's private names."""

from __future__ import annotations

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # a value known only after deployment
SIG_KEY = "4dabf18193072939515e22adb298388d"  # the key that marks a special value
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"  # a resource reference
