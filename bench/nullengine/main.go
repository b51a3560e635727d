// Command nullengine is the cheapest engine a Pulumi program can run against: it answers the
// SDK's ResourceMonitor and Engine calls on a unix socket with the least work (a registration's
// outputs are its inputs, logs are dropped) and records nothing. bench/gate_overhead.py runs the
// program under the SDK's standard runtime against it: the floor of any out-of-process engine,
// the gate's included, since the program's own gRPC client work is spent whoever serves it.
//
//	nullengine SOCKET PROJECT STACK
package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"sync"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// The features the gate's monitor reports (offline/engine.py FEATURES), so the SDK takes the
// same paths under both.
var features = map[string]bool{
	"secrets": true, "resourceReferences": true, "aliasSpecs": true,
	"deletedWith": true, "transforms": true, "invokeTransforms": true,
}

type engine struct {
	pulumirpc.UnimplementedEngineServer
	mu   sync.Mutex
	root string
}

func (e *engine) Log(context.Context, *pulumirpc.LogRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func (e *engine) GetRootResource(
	context.Context, *pulumirpc.GetRootResourceRequest,
) (*pulumirpc.GetRootResourceResponse, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return &pulumirpc.GetRootResourceResponse{Urn: e.root}, nil
}

func (e *engine) SetRootResource(
	_ context.Context, r *pulumirpc.SetRootResourceRequest,
) (*pulumirpc.SetRootResourceResponse, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.root = r.Urn
	return &pulumirpc.SetRootResourceResponse{}, nil
}

type monitor struct {
	pulumirpc.UnimplementedResourceMonitorServer
	project, stack string
	mu             sync.Mutex
	types          map[string]string // urn -> qualified type
}

func (m *monitor) SupportsFeature(
	_ context.Context, r *pulumirpc.SupportsFeatureRequest,
) (*pulumirpc.SupportsFeatureResponse, error) {
	return &pulumirpc.SupportsFeatureResponse{HasSupport: features[r.Id]}, nil
}

func (m *monitor) RegisterResource(
	_ context.Context, r *pulumirpc.RegisterResourceRequest,
) (*pulumirpc.RegisterResourceResponse, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	qualified := r.Type
	if parent, ok := m.types[r.Parent]; ok && parent != "pulumi:pulumi:Stack" {
		qualified = parent + "$" + r.Type
	}
	urn := fmt.Sprintf("urn:pulumi:%s::%s::%s::%s", m.stack, m.project, qualified, r.Name)
	m.types[urn] = qualified
	return &pulumirpc.RegisterResourceResponse{Urn: urn, Object: r.Object}, nil
}

func (m *monitor) RegisterResourceOutputs(
	context.Context, *pulumirpc.RegisterResourceOutputsRequest,
) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func (m *monitor) SignalAndWaitForShutdown(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func (m *monitor) Invoke(
	context.Context, *pulumirpc.ResourceInvokeRequest,
) (*pulumirpc.ResourceInvokeResponse, error) {
	return &pulumirpc.ResourceInvokeResponse{}, nil
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: nullengine SOCKET PROJECT STACK")
		os.Exit(2)
	}
	listener, err := net.Listen("unix", os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	server := grpc.NewServer()
	pulumirpc.RegisterEngineServer(server, &engine{})
	pulumirpc.RegisterResourceMonitorServer(
		server, &monitor{project: os.Args[2], stack: os.Args[3], types: map[string]string{}},
	)
	if err := server.Serve(listener); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
