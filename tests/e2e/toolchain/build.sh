#!/usr/bin/env bash
# Builds the Pulumi CLI and kurl-lb's Python and Node.js language hosts into tests/e2e/toolchain/bin (ignored by
# git), and the Pulumi YAML language host (for tests/e2e/consumers/yaml) from its own module, tests/e2e/toolchain/yaml.
# The CLI's version is pinned once, in tests/e2e/toolchain/go.mod (github.com/pulumi/pulumi/pkg/v3 and sdk/v3);
# the YAML host's in tests/e2e/toolchain/yaml/go.mod (github.com/pulumi/pulumi-yaml and the pulumi/pkg/v3 it was
# released against, which its API needs: a separate module keeps those versions out of go.mod).
# Called by `make engine`; make skips it when bin/ is newer than go.mod, go.sum and the host.
set -euo pipefail
cd "$(dirname "$0")"

die() { printf 'make engine: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null 2>&1 ||
  die "the Go toolchain is not on PATH; install Go 1.26 or newer (https://go.dev/doc/install), then run make engine again"

export CGO_ENABLED=0 GOFLAGS="-buildvcs=false -mod=readonly"
PKG=github.com/pulumi/pulumi/pkg/v3
SDK=github.com/pulumi/pulumi/sdk/v3
version=$(go list -m -f '{{.Version}}' "$PKG") || die "cannot read the pinned $PKG version from tests/e2e/toolchain/go.mod"

# Fetch every module first, so an unserved one is named instead of failing inside a build.
# $1: the module's directory, $2: its go.mod as the user sees it.
download() {
  local out missing
  if ! out=$(cd "$1" && go mod download -x all 2>&1 >/dev/null); then
    missing=$(printf '%s\n' "$out" | grep -E '^go: [^ ]+@v[^ ]+: .*(403|404|410)' | head -n 3 || true)
    die "the Go module proxy ($(go env GOPROXY)) does not serve what $2 needs:
${missing:-$out}
Pin a version the proxy serves in $2 (go list -m -versions <module>), then run make engine again"
  fi
}
download . tests/e2e/toolchain/go.mod
download yaml tests/e2e/toolchain/yaml/go.mod

mkdir -p bin
ldflags="-s -w -X $SDK/go/common/version.Version=$version"
echo "make engine: building pulumi $version (a cold build takes several minutes)"
go build -ldflags "$ldflags" -o bin/pulumi "$PKG/cmd/pulumi"
echo "make engine: building pulumi-language-python (kurl-lb's host, tests/e2e/toolchain/langhost)"
go build -ldflags "$ldflags" -o bin/pulumi-language-python ./langhost
echo "make engine: building pulumi-language-nodejs (kurl-lb's minimal host, tests/e2e/toolchain/nodehost)"
go build -ldflags "$ldflags" -o bin/pulumi-language-nodejs ./nodehost
# The exec shim the host runs programs with ships in the sdk/v3 module, not in the wheel.
sdk_dir=$(go list -m -f '{{.Dir}}' "$SDK")
install -m 0755 "$sdk_dir/python/cmd/pulumi-language-python-exec" bin/pulumi-language-python-exec
YAML=github.com/pulumi/pulumi-yaml
yaml_version=$(cd yaml && go list -m -f '{{.Version}}' "$YAML") ||
  die "cannot read the pinned $YAML version from tests/e2e/toolchain/yaml/go.mod"
echo "make engine: building pulumi-language-yaml $yaml_version (tests/e2e/toolchain/yaml)"
(cd yaml && go build -ldflags "-s -w -X $YAML/pkg/version.Version=${yaml_version#v}" \
  -o ../bin/pulumi-language-yaml "$YAML/cmd/pulumi-language-yaml")
bin/pulumi version
