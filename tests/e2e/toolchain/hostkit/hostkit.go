// Package hostkit holds what kurl-lb's language hosts (tests/e2e/toolchain/langhost for Python,
// tests/e2e/toolchain/nodehost for Node.js) share: serving the LanguageRuntime over gRPC with the port
// handshake the engine expects, the RPCs both answer alike, program exit codes as RunResponses,
// and child output streamed to the engine.
package hostkit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// UserActionableExitCode is the exit code with which a language SDK's runner says it already
// showed the user an actionable message (the engine then bails without a stack trace).
const UserActionableExitCode = 32

// Serve starts the language host `name` (as its messages call it): the engine passes its address
// as the last argument (leading flags such as tracing or logging are accepted and ignored),
// and reads the port this prints on stdout.
func Serve(name string, newHost func(engineAddress string) pulumirpc.LanguageRuntimeServer) {
	engineAddress := ""
	if n := len(os.Args); n > 1 && !strings.HasPrefix(os.Args[n-1], "-") {
		engineAddress = os.Args[n-1]
	}
	host := newHost(engineAddress)
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		Fail(name, "could not start the language host RPC server: %v", err)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		Fail(name, "language host RPC stopped serving: %v", err)
	}
}

// Fail ends the host with a message naming it as kurl-lb's build.
func Fail(name, format string, args ...any) {
	fmt.Fprintf(os.Stderr, name+" (kurl-lb engine build): "+format+"\n", args...)
	os.Exit(1)
}

// Base answers the RPCs both hosts answer alike; a host embeds it.
type Base struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
}

func (Base) Handshake(
	context.Context, *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (Base) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

// GetRequiredPlugins: plugins are loaded when the program registers resources (the real hosts
// read them from installed packages' metadata; the engine then finds them the same way).
func (Base) GetRequiredPlugins(
	context.Context, *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (Base) GetRequiredPackages(
	context.Context, *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (Base) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// RunResponse is how a program's end (the error of running it) reaches the engine; `language`
// names it in the message when it could not be run at all.
func RunResponse(err error, language string) *pulumirpc.RunResponse {
	if err == nil {
		return &pulumirpc.RunResponse{}
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		if exitErr.ExitCode() == UserActionableExitCode {
			return &pulumirpc.RunResponse{Bail: true}
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf(
			"Program exited with non-zero exit code: %d", exitErr.ExitCode())}
	}
	return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not run the %s program: %v", language, err)}
}

// StreamWriter forwards a child's output to a gRPC stream; stdout and stderr share one stream,
// so sends are serialised (share Mu between the two writers).
type StreamWriter struct {
	Mu   *sync.Mutex
	Send func([]byte) error
}

func (w StreamWriter) Write(p []byte) (int, error) {
	w.Mu.Lock()
	defer w.Mu.Unlock()
	// The stream may keep the slice: hand it a copy.
	if err := w.Send(append([]byte(nil), p...)); err != nil {
		return 0, err
	}
	return len(p), nil
}
