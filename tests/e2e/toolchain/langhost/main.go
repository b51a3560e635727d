// Command pulumi-language-python is kurl-lb's stand-in for Pulumi's Python language host.
//
// Why it exists: the real host is its own Go module
// (github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3) with no version tags, and the
// module proxy these machines reach refuses every version of it (403), so it cannot be built here.
// The CLI itself (pkg/v3) and the Python toolchain code the real host is built on (sdk/v3's
// python/toolchain: virtualenv resolution, pip/uv/poetry) are served, so this host is built from
// them at the same pinned version and does what the real host does for the calls `pulumi preview`,
// `pulumi up`, `pulumi destroy`, `pulumi install` and `--policy-pack` make:
//
//   - Run: the program runs through `pulumi-language-python-exec` (the shim shipped in sdk/v3,
//     copied beside this binary by `make engine`) with the interpreter of the project's virtualenv
//     (Pulumi.yaml runtime.options.virtualenv), config in PULUMI_CONFIG and secret keys in
//     PULUMI_CONFIG_SECRET_KEYS, honouring `main:`.
//   - RunPlugin: Python policy packs run as `python -u -m pulumi.policy <engine> <pack dir>` in the
//     pack's virtualenv (PulumiPolicy.yaml runtime.options.virtualenv); other plugins as
//     `python -u <dir>`. Output is streamed back to the engine as the real host streams it. A
//     resource provider written in Python (a component package: provider/, served by
//     pulumi.provider.experimental.component_provider_host) runs this way and prints its port.
//   - InstallDependencies (for a plugin run from a local directory, an existing virtualenv is
//     used as it is: see there), GetProgramDependencies, About, GetPluginInfo,
//     GetRequiredPackages.
//
// It is not a test double for the program: the program, the engine and the policy pack are real.
// Code generation (convert, package gen) is not implemented.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	"kurl-lb/toolchain/hostkit"
)

const name = "pulumi-language-python"

func main() {
	hostkit.Serve(name, func(engineAddress string) pulumirpc.LanguageRuntimeServer {
		self, err := os.Executable()
		if err != nil {
			hostkit.Fail(name, "cannot locate this executable: %v", err)
		}
		execShim := self + "-exec"
		if _, err := os.Stat(execShim); err != nil {
			hostkit.Fail(name, "%s is missing: run `make engine` (it copies the shim from the sdk/v3 module)", execShim)
		}
		return &pythonHost{engineAddress: engineAddress, execShim: execShim}
	})
}

type pythonHost struct {
	hostkit.Base
	engineAddress string
	execShim      string
}

// toolchainFor resolves the Python toolchain (pip/uv/poetry and the virtualenv) of a program or
// plugin exactly as the real host does: from its ProgramInfo's runtime options.
func toolchainFor(info *pulumirpc.ProgramInfo) (toolchain.Toolchain, error) {
	opts := toolchain.PythonOptions{
		Root:       info.GetRootDirectory(),
		ProgramDir: info.GetProgramDirectory(),
		Toolchain:  toolchain.Pip,
	}
	fields := map[string]*structpb.Value{}
	if o := info.GetOptions(); o != nil {
		fields = o.GetFields()
	}
	if v, ok := fields["virtualenv"]; ok {
		opts.Virtualenv = v.GetStringValue()
	}
	if v, ok := fields["toolchain"]; ok {
		switch v.GetStringValue() {
		case "pip", "":
			opts.Toolchain = toolchain.Pip
		case "uv":
			opts.Toolchain = toolchain.Uv
		case "poetry":
			opts.Toolchain = toolchain.Poetry
		default:
			return nil, fmt.Errorf("unsupported runtime.options.toolchain %q: pip, uv or poetry", v.GetStringValue())
		}
	}
	return toolchain.ResolveToolchain(opts)
}

func (h *pythonHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	tc, err := toolchainFor(info)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	if err := tc.ValidateVenv(ctx); err != nil {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf(
			"%v\nCreate the program's virtualenv first (kurl-lb: `make venv`; any project: `pulumi install`)",
			err)}, nil
	}

	program := req.GetProgram()
	if info != nil && info.GetProgramDirectory() != "" {
		program = filepath.Join(info.GetProgramDirectory(), info.GetEntryPoint())
	}
	if program == "" {
		program = "."
	}
	args := []string{h.execShim}
	add := func(flag, value string) {
		if value != "" {
			args = append(args, "--"+flag, value)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", h.engineAddress)
	add("project", req.GetProject())
	add("stack", req.GetStack())
	add("pwd", req.GetPwd())
	add("dry_run", fmt.Sprintf("%v", req.GetDryRun()))
	add("parallel", fmt.Sprint(req.GetParallel()))
	add("organization", req.GetOrganization())
	add("root_directory", info.GetRootDirectory())
	args = append(args, program)
	args = append(args, req.GetArgs()...)

	cmd, err := tc.Command(ctx, args...)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	config, err := json.Marshal(req.GetConfig())
	if err != nil {
		return nil, err
	}
	secretKeys, err := json.Marshal(req.GetConfigSecretKeys())
	if err != nil {
		return nil, err
	}
	cmd.Env = append(cmd.Env, "PULUMI_CONFIG="+string(config), "PULUMI_CONFIG_SECRET_KEYS="+string(secretKeys))
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return hostkit.RunResponse(cmd.Run(), "Python"), nil
}

func (h *pythonHost) RunPlugin(
	req *pulumirpc.RunPluginRequest, server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse],
) error {
	ctx := server.Context()
	info := req.GetInfo()
	tc, err := toolchainFor(info)
	if err != nil {
		return err
	}
	if err := tc.ValidateVenv(ctx); err != nil {
		return fmt.Errorf("%w\nCreate the plugin's virtualenv first (kurl-lb's pack: `make venv`)", err)
	}
	var cmd *exec.Cmd
	if req.GetKind() == "analyzer" {
		// A policy pack: the engine's address, then the pack's directory.
		args := append([]string{"-u", "-m", "pulumi.policy"}, req.GetArgs()...)
		cmd, err = tc.Command(ctx, append(args, info.GetProgramDirectory())...)
	} else {
		args := append([]string{"-u", info.GetProgramDirectory()}, req.GetArgs()...)
		cmd, err = tc.Command(ctx, args...)
	}
	if err != nil {
		return err
	}
	cmd.Dir = req.GetPwd()
	cmd.Env = append(cmd.Env, req.GetEnv()...)
	mu := &sync.Mutex{}
	cmd.Stdout = hostkit.StreamWriter{Mu: mu, Send: func(b []byte) error {
		return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}})
	}}
	cmd.Stderr = hostkit.StreamWriter{Mu: mu, Send: func(b []byte) error {
		return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: b}})
	}}
	code := int32(0)
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			return fmt.Errorf("could not run the Python plugin: %w", err)
		}
		code = int32(exitErr.ExitCode())
	}
	mu.Lock()
	defer mu.Unlock()
	return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: code}})
}

func (h *pythonHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest,
	server grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	tc, err := toolchainFor(req.GetInfo())
	if err != nil {
		return err
	}
	mu := &sync.Mutex{}
	stdout := hostkit.StreamWriter{Mu: mu, Send: func(b []byte) error {
		return server.Send(&pulumirpc.InstallDependenciesResponse{Stdout: b})
	}}
	stderr := hostkit.StreamWriter{Mu: mu, Send: func(b []byte) error {
		return server.Send(&pulumirpc.InstallDependenciesResponse{Stderr: b})
	}}
	// The engine asks for this before it runs a plugin from a local directory (a component
	// package: `pulumi package add <dir>`, Pulumi.yaml `packages:` or `plugins.providers`). The
	// real host would re-create the plugin's virtualenv and upgrade pip in it; kurl-lb's plugins
	// share the project's .venv, which `make venv` fills from the hashed lock, so an existing
	// virtualenv is used as it is (and a symlinked one, as in e2e sandboxes, is not replaced).
	if req.GetIsPlugin() && tc.ValidateVenv(server.Context()) == nil {
		_, err := fmt.Fprintf(stdout, "plugin %s: using its existing virtualenv as is\n",
			req.GetInfo().GetProgramDirectory())
		return err
	}
	return tc.InstallDependencies(server.Context(), req.GetInfo().GetProgramDirectory(),
		req.GetUseLanguageVersionTools(), true /*showOutput*/, stdout, stderr)
}

func (h *pythonHost) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	tc, err := toolchainFor(req.GetInfo())
	if err != nil {
		return nil, err
	}
	about, err := tc.About(ctx)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{
		Executable: about.PythonExecutable,
		Version:    about.PythonVersion.String(),
	}, nil
}

func (h *pythonHost) GetProgramDependencies(
	ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	tc, err := toolchainFor(req.GetInfo())
	if err != nil {
		return nil, err
	}
	pkgs, err := tc.ListPackages(ctx, req.GetTransitiveDependencies())
	if err != nil {
		return nil, err
	}
	deps := make([]*pulumirpc.DependencyInfo, 0, len(pkgs))
	for _, p := range pkgs {
		deps = append(deps, &pulumirpc.DependencyInfo{Name: p.Name, Version: p.Version})
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

// Code generation is the real host's; kurl-lb's engine build never calls it.
func (h *pythonHost) GenerateProgram(
	context.Context, *pulumirpc.GenerateProgramRequest,
) (*pulumirpc.GenerateProgramResponse, error) {
	return nil, status.Error(codes.Unimplemented, "code generation is not part of kurl-lb's engine build")
}
