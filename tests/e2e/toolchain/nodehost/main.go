// Command pulumi-language-nodejs is kurl-lb's minimal stand-in for Pulumi's Node.js language host.
//
// Why it exists: the real host is its own Go module
// (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3) and the module proxy these
// machines reach refuses it (403), as it refuses the Python host's. It is built from the pinned
// pkg/v3 and sdk/v3 (tests/e2e/toolchain/go.mod) and does only what a TypeScript program that uses kurl-lb's
// component package needs (tests/e2e/consumers/typescript):
//
//   - Run: `node <@pulumi/pulumi>/cmd/run --monitor=... --engine=... [--dry-run] <program>`, the
//     runner the @pulumi/pulumi npm package ships, resolved from the program's node_modules, with
//     config in PULUMI_CONFIG and secret keys in PULUMI_CONFIG_SECRET_KEYS. The runner itself
//     registers ts-node for TypeScript programs.
//   - InstallDependencies: `npm install` in the program's directory.
//   - GeneratePackage (`pulumi package add`, `pulumi package gen-sdk --language nodejs`): the SDK
//     generator of pkg/v3/codegen/nodejs, at the CLI's version.
//   - Link (`pulumi package add`): adds the generated SDK to package.json as a `file:` dependency;
//     the CLI then asks for InstallDependencies, and npm runs the SDK's postinstall (tsc).
//
// Not implemented: policy packs and plugins written in Node.js (RunPlugin), program generation
// (convert), GetRequiredPlugins beyond none (plugins are loaded when the program registers
// resources, and local packages come from Pulumi.yaml `packages:`), yarn, pnpm and bun.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	"github.com/pulumi/pulumi/pkg/v3/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"

	"kurl-lb/toolchain/hostkit"
)

func main() {
	// Leading flags the engine passes (--typescript, --root, tracing) are ignored.
	hostkit.Serve("pulumi-language-nodejs", func(engineAddress string) pulumirpc.LanguageRuntimeServer {
		return &nodeHost{engineAddress: engineAddress}
	})
}

type nodeHost struct {
	hostkit.Base
	engineAddress string
}

func (h *nodeHost) GetProgramDependencies(
	context.Context, *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return &pulumirpc.GetProgramDependenciesResponse{}, nil
}

func (h *nodeHost) About(ctx context.Context, _ *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, errors.New("node is not on PATH")
	}
	out, err := exec.CommandContext(ctx, node, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("node --version: %w", err)
	}
	return &pulumirpc.AboutResponse{
		Executable: node,
		Version:    strings.TrimPrefix(strings.TrimSpace(string(out)), "v"),
	}, nil
}

func programDir(info *pulumirpc.ProgramInfo, pwd string) string {
	if d := info.GetProgramDirectory(); d != "" {
		return d
	}
	return pwd
}

// runnerPath resolves @pulumi/pulumi's program runner as node resolves it from the program.
func runnerPath(ctx context.Context, node, dir string) (string, error) {
	cmd := exec.CommandContext(ctx, node, "-e",
		"process.stdout.write(require.resolve('@pulumi/pulumi/cmd/run'))")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("@pulumi/pulumi is not installed for the program in %s: "+
			"run `pulumi install` (or `npm install`) there first", dir)
	}
	return string(out), nil
}

func (h *nodeHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	dir := programDir(info, req.GetPwd())
	node, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: "node is not on PATH: install Node.js 18 or newer"}, nil
	}
	runner, err := runnerPath(ctx, node, dir)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	args := []string{runner}
	add := func(flag, value string) {
		if value != "" {
			args = append(args, "--"+flag+"="+value)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", h.engineAddress)
	add("organization", req.GetOrganization())
	add("project", req.GetProject())
	add("stack", req.GetStack())
	add("pwd", req.GetPwd())
	add("root-directory", info.GetRootDirectory())
	if req.GetParallel() > 0 {
		add("parallel", fmt.Sprint(req.GetParallel()))
	}
	// A boolean flag: the runner stops parsing flags at its first positional argument, so a
	// "false" after it would be taken for the program.
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	entry := info.GetEntryPoint()
	if entry == "" {
		entry = "."
	}
	args = append(args, filepath.Join(dir, entry))
	args = append(args, req.GetArgs()...)

	config, err := json.Marshal(req.GetConfig())
	if err != nil {
		return nil, err
	}
	secretKeys, err := json.Marshal(req.GetConfigSecretKeys())
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"PULUMI_CONFIG="+string(config), "PULUMI_CONFIG_SECRET_KEYS="+string(secretKeys))
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return hostkit.RunResponse(cmd.Run(), "Node.js"), nil
}

func (h *nodeHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest,
	server grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	npm, err := exec.LookPath("npm")
	if err != nil {
		return errors.New("npm is not on PATH: install Node.js 18 or newer")
	}
	mu := &sync.Mutex{}
	cmd := exec.CommandContext(server.Context(), npm, "install", "--no-audit", "--no-fund")
	cmd.Dir = programDir(req.GetInfo(), "")
	cmd.Stdout = hostkit.StreamWriter{Mu: mu, Send: func(b []byte) error {
		return server.Send(&pulumirpc.InstallDependenciesResponse{Stdout: b})
	}}
	cmd.Stderr = hostkit.StreamWriter{Mu: mu, Send: func(b []byte) error {
		return server.Send(&pulumirpc.InstallDependenciesResponse{Stderr: b})
	}}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm install in %s: %w", cmd.Dir, err)
	}
	return nil
}

func (h *nodeHost) GeneratePackage(
	_ context.Context, req *pulumirpc.GeneratePackageRequest,
) (*pulumirpc.GeneratePackageResponse, error) {
	loader, err := schema.NewLoaderClient(req.GetLoaderTarget())
	if err != nil {
		return nil, err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal([]byte(req.GetSchema()), &spec); err != nil {
		return nil, fmt.Errorf("the package schema is not JSON: %w", err)
	}
	pkg, diags, err := schema.BindSpec(spec, loader, schema.ValidationOptions{})
	if err != nil {
		return nil, err
	}
	rpcDiags := plugin.HclDiagnosticsToRPCDiagnostics(diags)
	if diags.HasErrors() {
		return &pulumirpc.GeneratePackageResponse{Diagnostics: rpcDiags}, nil
	}
	files, err := nodejs.GeneratePackage("pulumi-language-nodejs", pkg, req.GetExtraFiles(),
		req.GetLocalDependencies(), req.GetLocal(), loader)
	if err != nil {
		return nil, err
	}
	for name, data := range files {
		path := filepath.Join(req.GetDirectory(), name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return nil, err
		}
	}
	return &pulumirpc.GeneratePackageResponse{Diagnostics: rpcDiags}, nil
}

// Link adds each generated SDK to the program's package.json as a `file:` dependency (keys sorted,
// two-space indent, as npm writes it); the CLI then asks for InstallDependencies (npm install).
func (h *nodeHost) Link(_ context.Context, req *pulumirpc.LinkRequest) (*pulumirpc.LinkResponse, error) {
	root := req.GetInfo().GetRootDirectory()
	manifest := filepath.Join(root, "package.json")
	raw, err := os.ReadFile(manifest)
	if err != nil {
		return nil, fmt.Errorf("linking needs the program's package.json: %w", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s is not JSON: %w", manifest, err)
	}
	section := func(key string) map[string]any {
		m, ok := doc[key].(map[string]any)
		if !ok {
			m = map[string]any{}
			doc[key] = m
		}
		return m
	}
	var instructions []string
	for _, dep := range req.GetPackages() {
		sdk := dep.GetPath()
		if !filepath.IsAbs(sdk) {
			sdk = filepath.Join(root, sdk)
		}
		var meta struct {
			Name string `json:"name"`
		}
		b, err := os.ReadFile(filepath.Join(sdk, "package.json"))
		if err == nil {
			err = json.Unmarshal(b, &meta)
		}
		if err != nil || meta.Name == "" {
			return nil, fmt.Errorf("the generated SDK in %s has no package.json naming it", sdk)
		}
		rel, err := filepath.Rel(root, sdk)
		if err != nil {
			return nil, err
		}
		section("dependencies")[meta.Name] = "file:" + filepath.ToSlash(rel)
		alias := dep.GetPackage().GetName()
		instructions = append(instructions, fmt.Sprintf("import * as %s from %q;", alias, meta.Name))
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(manifest, append(out, '\n'), 0o600); err != nil {
		return nil, err
	}
	sort.Strings(instructions)
	return &pulumirpc.LinkResponse{
		ImportInstructions: "You can import the SDK in your TypeScript code with:\n\n  " +
			strings.Join(instructions, "\n  "),
	}, nil
}
