#!/usr/bin/env bash
# Builds tests/e2e/toolchain/providers/bin/pulumi-resource-aws (ignored by git): the Terraform AWS
# provider's planning code (6.34.0, from the Upbound fork github.com/upbound/terraform-provider-aws,
# which exports the provider) served to the Pulumi engine by pulumi-terraform-bridge under
# pulumi-aws's tokens. It is test infrastructure, NOT the pulumi-aws release (whose module the Go
# module proxy refuses); see main.go for what it reproduces of pulumi-aws and tests/e2e/README.md.
# Versions are pinned once, in tests/e2e/toolchain/aws-provider/go.mod.
#
# Only the ec2, elbv2 and route53 service packages are compiled (trim/main.go rewrites the provider's two
# generated service lists in a copy under providers/build): the full provider is about 2,500
# packages, over an hour on two cores. tests/test_aws_provider_schema.py checks that the
# resources kurl-lb uses keep pulumi_aws's input names and types.
#
# Called by `make providers`; make skips it when the binary is newer than go.mod, go.sum and the
# Go sources here.
set -euo pipefail
cd "$(dirname "$0")"

die() { printf 'make providers: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null 2>&1 ||
  die "the Go toolchain is not on PATH; install Go 1.26 or newer (https://go.dev/doc/install), then run make providers again"

export CGO_ENABLED=0 GOFLAGS="-buildvcs=false -mod=readonly"
OUT=../providers
# The service packages registered: ec2 (security groups and their rules, VPC, subnet, instance,
# Elastic IP), elbv2 (load balancer, target group, listener, attachment) and route53 (the API's
# DNS record and its hosted zone lookup, issue 21).
KEEP=ec2,elbv2,route53

# Runs a go command; when the module proxy refuses a module, names it instead of a stack of errors.
go_or_die() {
  local out rc=0
  out=$("$@" 2>&1) || rc=$?
  if [ "$rc" -ne 0 ]; then
    local missing
    missing=$(printf '%s\n' "$out" | grep -E '[^ ]+@v[^ ]+: .*(403|404|410|[Nn]ot [Ff]ound|no such file)' |
      head -n 3 || true)
    if [ -n "$missing" ]; then
      die "the Go module proxy ($(go env GOPROXY)) does not serve a module tests/e2e/toolchain/aws-provider/go.mod needs:
$missing
Pin a version the proxy serves in that go.mod (go list -m -versions <module>), then run make providers again"
    fi
    die "\`$*\` failed:
$out"
  fi
  # On success, what the command says besides its downloads.
  out=$(printf '%s\n' "$out" | grep -v '^go: downloading ' || true)
  [ -z "$out" ] || printf '%s\n' "$out"
}

# What go.mod pins (read from the file: nothing is fetched yet).
provider=$(awk '$1 == "replace" && $2 == "github.com/hashicorp/terraform-provider-aws" { print $4 "@" $5 }' go.mod)
bridge=$(awk '$1 == "github.com/pulumi/pulumi-terraform-bridge/v3" { print $1 "@" $2 }' go.mod)
echo "make providers: fetching $provider and $bridge"
go_or_die go mod download github.com/hashicorp/terraform-provider-aws github.com/pulumi/pulumi-terraform-bridge/v3
echo "make providers: keeping the $KEEP services (trim/main.go)"
go_or_die go run ./trim -out "$OUT/build" -keep "$KEEP" .
mkdir -p "$OUT/bin"
echo "make providers: building pulumi-resource-aws (the Terraform AWS provider under pulumi-terraform-bridge; a cold build takes several minutes)"
go_or_die go build -modfile "$OUT/build/go.mod" -ldflags "-s -w" -o "$OUT/bin/pulumi-resource-aws" .
# It starts and maps what kurl-lb uses (the schema is generated from the provider at start).
if ! err=$("$OUT/bin/pulumi-resource-aws" -schema 2>&1 >/dev/null); then
  die "the built pulumi-resource-aws does not start:
$err"
fi
echo "make providers: $OUT/bin/pulumi-resource-aws ($("$OUT/bin/pulumi-resource-aws" -version))"
