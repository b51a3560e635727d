package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"sync"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	gproto "google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// offline wraps the bridged provider: Configure gets the settings that keep the Terraform
// provider off the network, lookups go to a command instead of AWS when one is given, and
// anything but a preview is refused.
type offline struct {
	pulumirpc.ResourceProviderServer
	lookups []string // the command (argv) answering invokes; empty: the provider's data sources

	mu     sync.Mutex
	config map[string]string // the provider's config variables, as the engine sent them
}

func newOffline(inner pulumirpc.ResourceProviderServer, lookups string) *offline {
	return &offline{ResourceProviderServer: inner, lookups: strings.Fields(lookups)}
}

func (o *offline) Configure(
	ctx context.Context, req *pulumirpc.ConfigureRequest,
) (*pulumirpc.ConfigureResponse, error) {
	variables := map[string]string{}
	for k, v := range req.GetVariables() {
		variables[k] = v
	}
	o.mu.Lock()
	o.config = variables
	o.mu.Unlock()

	// A copy: the engine's request is left as it came.
	forced := gproto.Clone(req).(*pulumirpc.ConfigureRequest)
	if forced.Variables == nil {
		forced.Variables = map[string]string{}
	}
	for key, value := range offlineConfig {
		forced.Variables["aws:"+key] = fmt.Sprint(value)
		if forced.Args != nil {
			v, err := structpb.NewValue(value)
			if err != nil {
				return nil, err
			}
			forced.Args.Fields[key] = v
		}
	}
	return o.ResourceProviderServer.Configure(ctx, forced)
}

// What the lookup command reads on stdin and answers on stdout (one JSON document each).
type lookupRequest struct {
	Token  string            `json:"token"`
	Args   map[string]any    `json:"args"`
	Config map[string]string `json:"config"`
}

type lookupAnswer struct {
	Return  map[string]any `json:"return"`
	Failure string         `json:"failure"`
}

func (o *offline) Invoke(
	ctx context.Context, req *pulumirpc.InvokeRequest,
) (*pulumirpc.InvokeResponse, error) {
	if len(o.lookups) == 0 {
		return o.ResourceProviderServer.Invoke(ctx, req)
	}
	o.mu.Lock()
	config := o.config
	o.mu.Unlock()
	in, err := json.Marshal(lookupRequest{Token: req.GetTok(), Args: req.GetArgs().AsMap(), Config: config})
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, o.lookups[0], o.lookups[1:]...)
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("KURL_AWS_LOOKUPS (%s) failed for %s: %w\n%s",
			strings.Join(o.lookups, " "), req.GetTok(), err, stderr.String())
	}
	var answer lookupAnswer
	if err := json.Unmarshal(stdout.Bytes(), &answer); err != nil {
		return nil, fmt.Errorf("KURL_AWS_LOOKUPS answered %s with no JSON: %w\n%s", req.GetTok(), err, stdout.String())
	}
	if answer.Failure != "" {
		return &pulumirpc.InvokeResponse{Failures: []*pulumirpc.CheckFailure{{Reason: answer.Failure}}}, nil
	}
	ret, err := structpb.NewStruct(answer.Return)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.InvokeResponse{Return: ret}, nil
}

// The plugin plans; it never changes anything (its credentials are dummies anyway): a deploy
// through it fails here, saying why, instead of at an AWS endpoint.
func planningOnly(what string) error {
	return status.Errorf(codes.FailedPrecondition,
		"%s: this pulumi-resource-aws is kurl-lb's test build of the Terraform AWS provider's "+
			"planning code (make providers); it previews only, use the pulumi-aws plugin to deploy", what)
}

func (o *offline) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	if !req.GetPreview() {
		return nil, planningOnly("create " + req.GetUrn())
	}
	return o.ResourceProviderServer.Create(ctx, req)
}

func (o *offline) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	if !req.GetPreview() {
		return nil, planningOnly("update " + req.GetUrn())
	}
	return o.ResourceProviderServer.Update(ctx, req)
}

func (o *offline) Delete(_ context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	return nil, planningOnly("delete " + req.GetUrn())
}
