//go:build tools

// Package engine pins the Pulumi CLI that `make engine` builds (see README.md in this folder).
package engine

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
